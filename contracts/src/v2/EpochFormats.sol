// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice The header of a posted epoch (docs/ledger-v2.md §5.6), passed as calldata to every claim,
///         proof and answer; the contract re-hashes it against the one commitment it stored.
///         `keyCounts` is the packed list of (keyIndex u16, count u32), strictly increasing by index.
struct EpochHeader {
    uint64 epoch;
    uint8 round;
    bytes32 tokenRoot;
    uint32 n;
    uint32 r;
    bytes32 payoutRoot;
    uint32 m;
    uint128 total;
    uint128 epochRate;
    bytes keyCounts;
}

/// @title EpochFormats: the byte-exact settlement formats of ledger v2 (docs/ledger-v2.md §4, §5)
/// @notice Token leaves (378 bytes, tag 0x10) in a position-indexed Merkle tree (nodes 0x11), payout
///         leaves (45 bytes, tag 0x20) in a Merkle-sum tree whose every node commits both children's
///         sums (0x21), and the epoch commitment (0x30). All integers big-endian. A tree of n leaves has
///         depth ceil(log2 n) (0 for n = 1); padding leaves are the zero hash with sum 0.
library EpochFormats {
    uint256 internal constant TOKEN_LEAF_LENGTH = 378;
    uint256 internal constant PAYOUT_LEAF_LENGTH = 45;
    uint8 internal constant TOKEN_LEAF_TAG = 0x10;
    uint8 internal constant PAYOUT_LEAF_TAG = 0x20;
    uint8 internal constant KIND_PAID = 1;
    uint8 internal constant KIND_ROLLOVER = 2;
    uint8 internal constant KIND_RECOUP = 3;
    uint8 internal constant HEADER_VERSION = 1;
    uint256 internal constant MAX_KEYS_PER_EPOCH = 5;

    error LeafLength(uint256 expected, uint256 actual);
    error PathLength(uint256 expected, uint256 actual);
    error PositionOutOfRange(uint256 position, uint256 count);
    error KeyCountsMalformed();
    error SumOverflow();

    /// @notice keccak256 of the 179-byte header: what a post stores.
    function commitment(EpochHeader calldata h, address ledger) internal view returns (bytes32) {
        return keccak256(
            abi.encodePacked(
                bytes1(0x30),
                HEADER_VERSION,
                uint64(block.chainid),
                ledger,
                h.epoch,
                h.round,
                h.tokenRoot,
                h.n,
                h.r,
                h.payoutRoot,
                h.m,
                h.total,
                h.epochRate,
                keccak256(h.keyCounts)
            )
        );
    }

    /// @notice ceil(log2 n); 0 for n <= 1.
    function depth(uint256 n) internal pure returns (uint256 d) {
        while ((uint256(1) << d) < n) d++;
    }

    // ------------------------------------------------------------------ key counts

    function keyCountAt(bytes calldata keyCounts, uint256 i) internal pure returns (uint16 keyIndex, uint32 count) {
        uint256 word;
        assembly ("memory-safe") {
            word := calldataload(add(keyCounts.offset, mul(i, 6)))
        }
        keyIndex = uint16(word >> 240);
        count = uint32(word >> 208);
    }

    /// @notice The count declared for a registry index, and whether it was declared at all.
    function declaredCount(bytes calldata keyCounts, uint256 keyIndex) internal pure returns (bool found, uint32 count) {
        uint256 k = keyCounts.length / 6;
        for (uint256 i = 0; i < k; i++) {
            (uint16 index, uint32 c) = keyCountAt(keyCounts, i);
            if (index == keyIndex) return (true, c);
        }
        return (false, 0);
    }

    // ------------------------------------------------------------------ token leaves

    struct TokenLeaf {
        uint8 tag;
        uint8 kind;
        address payee;
        bytes32 keyId;
        bytes32 nonce;
        uint32 ordinal;
    }

    function tokenLeaf(bytes calldata leaf) internal pure returns (TokenLeaf memory t) {
        if (leaf.length != TOKEN_LEAF_LENGTH) revert LeafLength(TOKEN_LEAF_LENGTH, leaf.length);
        uint256 w0;
        bytes32 keyId;
        bytes32 nonce;
        uint256 w86;
        assembly ("memory-safe") {
            w0 := calldataload(leaf.offset)
            keyId := calldataload(add(leaf.offset, 22))
            nonce := calldataload(add(leaf.offset, 54))
            w86 := calldataload(add(leaf.offset, 86))
        }
        t.tag = uint8(w0 >> 248);
        t.kind = uint8(w0 >> 240);
        t.payee = address(uint160(w0 >> 80));
        t.keyId = keyId;
        t.nonce = nonce;
        t.ordinal = uint32(w86 >> 224);
    }

    /// @notice The 256-byte authenticator of a token leaf, copied to memory for the verifier.
    function authenticator(bytes calldata leaf) internal pure returns (bytes memory) {
        return leaf[122:378];
    }

    /// @notice Verifies a token leaf at `position` against the epoch's token root; reverts if it does not.
    function checkTokenLeaf(EpochHeader calldata h, uint256 position, bytes calldata leaf, bytes32[] calldata path)
        internal
        pure
        returns (bool)
    {
        if (position >= h.n) revert PositionOutOfRange(position, h.n);
        uint256 d = depth(h.n);
        if (path.length != d) revert PathLength(d, path.length);
        bytes32 node = keccak256(leaf);
        for (uint256 i = 0; i < d; i++) {
            node = ((position >> i) & 1) == 0
                ? keccak256(abi.encodePacked(bytes1(0x11), node, path[i]))
                : keccak256(abi.encodePacked(bytes1(0x11), path[i], node));
        }
        return node == h.tokenRoot;
    }

    /// @notice (payee, keyId, nonce) of `a` compared as unsigned big-endian bytes: -1, 0 or 1.
    function compareTokens(TokenLeaf memory a, TokenLeaf memory b) internal pure returns (int256) {
        if (a.payee != b.payee) return a.payee < b.payee ? -1 : int256(1);
        if (a.keyId != b.keyId) return a.keyId < b.keyId ? -1 : int256(1);
        if (a.nonce != b.nonce) return a.nonce < b.nonce ? -1 : int256(1);
        return 0;
    }

    // ------------------------------------------------------------------ payout leaves and the sum tree

    struct PayoutLeaf {
        uint8 tag;
        address payee;
        uint128 amount;
        uint32 start;
        uint32 count;
    }

    function payoutLeaf(bytes calldata leaf) internal pure returns (PayoutLeaf memory p) {
        if (leaf.length != PAYOUT_LEAF_LENGTH) revert LeafLength(PAYOUT_LEAF_LENGTH, leaf.length);
        uint256 w0;
        uint256 w21;
        assembly ("memory-safe") {
            w0 := calldataload(leaf.offset)
            w21 := calldataload(add(leaf.offset, 21))
        }
        p.tag = uint8(w0 >> 248);
        p.payee = address(uint160(w0 >> 88));
        p.amount = uint128(w21 >> 128);
        p.start = uint32(w21 >> 96);
        p.count = uint32(w21 >> 64);
    }

    function sumNode(bytes32 hL, uint128 sL, bytes32 hR, uint128 sR) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(bytes1(0x21), hL, sL, hR, sR));
    }

    /// @notice Climbs from a node (hash, sum) at `level` and `index` to the root with sibling hashes and
    ///         sums, returning the root hash and root sum. Reverts on a sum overflow (a proof shows it).
    function climbSum(
        bytes32 hash,
        uint256 sum,
        uint256 index,
        bytes32[] calldata siblingHashes,
        uint128[] calldata siblingSums
    ) internal pure returns (bytes32, uint256) {
        if (siblingSums.length != siblingHashes.length) revert PathLength(siblingHashes.length, siblingSums.length);
        for (uint256 i = 0; i < siblingHashes.length; i++) {
            uint128 s = uint128(sum);
            hash = ((index >> i) & 1) == 0
                ? sumNode(hash, s, siblingHashes[i], siblingSums[i])
                : sumNode(siblingHashes[i], siblingSums[i], hash, s);
            sum += siblingSums[i];
            if (sum > type(uint128).max) revert SumOverflow();
        }
        return (hash, sum);
    }

    /// @notice Climbs payout leaf `index` to the root: the leaf, and whether the path reaches the posted root
    ///         hash and whether its root sum is the posted total. Claims need both; proofs that the sums
    ///         themselves are wrong need only the hash.
    function climbPayoutLeaf(
        EpochHeader calldata h,
        uint256 index,
        bytes calldata leaf,
        bytes32[] calldata siblingHashes,
        uint128[] calldata siblingSums
    ) internal pure returns (PayoutLeaf memory p, bool rootMatches, bool totalMatches) {
        if (index >= h.m) revert PositionOutOfRange(index, h.m);
        uint256 d = depth(h.m);
        if (siblingHashes.length != d) revert PathLength(d, siblingHashes.length);
        p = payoutLeaf(leaf);
        (bytes32 root, uint256 rootSum) = climbSum(keccak256(leaf), p.amount, index, siblingHashes, siblingSums);
        rootMatches = root == h.payoutRoot;
        totalMatches = rootSum == h.total;
    }
}
