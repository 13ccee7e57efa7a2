// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {EpochFormats, EpochHeader} from "./EpochFormats.sol";
import {ISxlEpochJudge, ISxlKeyRegistryV2, ISxlLedgerV2View} from "./ISxlLedgerV2.sol";
import {PrivateTokenType2} from "../crypto/PrivateTokenType2.sol";

/// @notice One token leaf at a position, with its path in the token tree.
struct TokenEvidence {
    uint32 position;
    bytes leaf;
    bytes32[] path;
}

/// @notice One payout leaf at an index, with sibling hashes and sums up to the root.
struct PayoutEvidence {
    uint32 index;
    bytes leaf;
    bytes32[] siblingHashes;
    uint128[] siblingSums;
}

/// @notice A payout-tree node (level ≥ 1 above the leaves, index at that level) with its preimage
///         (0x21 ‖ hL ‖ sL ‖ hR ‖ sR, 97 bytes), its path to the root, and the preimage of one child.
struct SumEvidence {
    uint256 level;
    uint256 index;
    bytes nodePreimage;
    bytes32[] siblingHashes;
    uint128[] siblingSums;
    bool rightChild;
    bytes childPreimage;
}

/// @title SxlEpochJudge: the settlement fraud proofs of ledger v2 (docs/ledger-v2.md §7, §14.1)
/// @notice Stateless. The ledger calls it (staticcall) with the evidence anyone filed; every function
///         returns a verdict naming the commitment(s) the evidence was checked against when it proves a
///         deviation, and reverts `NotFraud` when it does not, or `BadEvidence` when a leaf is not where the
///         evidence says. The ledger freezes an epoch only when that commitment is the one standing.
///         Reads (fee recipient, fee, key registry) go to the caller: answers are relative to whoever asks.
contract SxlEpochJudge is ISxlEpochJudge {
    error NotFraud();
    error BadEvidence();

    // ================================================================ token tree (S1–S9)

    /// @notice S1/S2: the token does not verify under its key for the network's challenge, or its key
    ///         is not anchored at all.
    function invalidToken(EpochHeader calldata h, TokenEvidence calldata t) external view returns (Verdict memory) {
        _checkToken(h, t);
        EpochFormats.TokenLeaf memory leaf = EpochFormats.tokenLeaf(t.leaf);
        ISxlKeyRegistryV2 registry = _registry();
        uint256 indexPlusOne = registry.indexOf(leaf.keyId);
        if (indexPlusOne != 0) {
            (, bytes32 challengeDigest, bytes memory modulus) = registry.keyMaterial(indexPlusOne - 1);
            bool valid = PrivateTokenType2.verifyToken(
                modulus, challengeDigest, leaf.nonce, leaf.keyId, EpochFormats.authenticator(t.leaf)
            );
            if (valid) revert NotFraud();
        }
        return _verdict(h);
    }

    /// @notice S2/S6: an entry under a key the post did not declare, or with an ordinal at or above the
    ///         count declared for its key (so the declared count is too low).
    function undeclared(EpochHeader calldata h, TokenEvidence calldata t) external view returns (Verdict memory) {
        _checkToken(h, t);
        EpochFormats.TokenLeaf memory leaf = EpochFormats.tokenLeaf(t.leaf);
        uint256 indexPlusOne = _registry().indexOf(leaf.keyId);
        if (indexPlusOne != 0) {
            (bool found, uint32 declared) = EpochFormats.declaredCount(h.keyCounts, indexPlusOne - 1);
            if (found && leaf.ordinal < declared) revert NotFraud();
        }
        return _verdict(h);
    }

    /// @notice S4/S6: two positions holding the same (keyId, nonce), or the same ordinal under one key.
    function conflict(EpochHeader calldata h, TokenEvidence calldata a, TokenEvidence calldata b)
        external
        view
        returns (Verdict memory)
    {
        if (a.position == b.position) revert NotFraud();
        _checkToken(h, a);
        _checkToken(h, b);
        EpochFormats.TokenLeaf memory x = EpochFormats.tokenLeaf(a.leaf);
        EpochFormats.TokenLeaf memory y = EpochFormats.tokenLeaf(b.leaf);
        if (x.keyId != y.keyId || (x.nonce != y.nonce && x.ordinal != y.ordinal)) revert NotFraud();
        return _verdict(h);
    }

    /// @notice S5: one (keyId, nonce) counted in two epochs. The ledger freezes whichever was posted later.
    function duplicateAcross(
        EpochHeader calldata h,
        TokenEvidence calldata a,
        EpochHeader calldata other,
        TokenEvidence calldata b
    ) external view returns (Verdict memory v) {
        if (h.epoch == other.epoch) revert NotFraud();
        _checkToken(h, a);
        _checkToken(other, b);
        EpochFormats.TokenLeaf memory x = EpochFormats.tokenLeaf(a.leaf);
        EpochFormats.TokenLeaf memory y = EpochFormats.tokenLeaf(b.leaf);
        if (x.keyId != y.keyId || x.nonce != y.nonce) revert NotFraud();
        v = _verdict(h);
        v.otherEpoch = other.epoch;
        v.otherCommitment = EpochFormats.commitment(other, msg.sender);
        v.otherKeyCounts = other.keyCounts;
    }

    /// @notice S8: two adjacent leaves not strictly increasing by (payee, keyId, nonce).
    function order(EpochHeader calldata h, TokenEvidence calldata a, TokenEvidence calldata b)
        external
        view
        returns (Verdict memory)
    {
        if (uint256(b.position) != uint256(a.position) + 1) revert NotFraud();
        _checkToken(h, a);
        _checkToken(h, b);
        if (EpochFormats.compareTokens(EpochFormats.tokenLeaf(a.leaf), EpochFormats.tokenLeaf(b.leaf)) < 0) {
            revert NotFraud();
        }
        return _verdict(h);
    }

    /// @notice S9: a malformed leaf (tag, kind), a non-paying entry outside [0, R) or paying anyone, or a
    ///         paying entry inside [0, R) or paying nobody.
    function kindRange(EpochHeader calldata h, TokenEvidence calldata t) external view returns (Verdict memory) {
        _checkToken(h, t);
        EpochFormats.TokenLeaf memory leaf = EpochFormats.tokenLeaf(t.leaf);
        bool wellFormed = leaf.tag == EpochFormats.TOKEN_LEAF_TAG && leaf.kind >= EpochFormats.KIND_PAID
            && leaf.kind <= EpochFormats.KIND_RECOUP;
        bool paying = leaf.kind == EpochFormats.KIND_PAID;
        bool inPlace = t.position < h.r
            ? (!paying && leaf.payee == address(0))
            : (paying && leaf.payee != address(0));
        if (wellFormed && inPlace) revert NotFraud();
        return _verdict(h);
    }

    // ================================================================ payout tree (S10–S17)

    /// @notice S10/S14/S15: leaf 0 is not (0, 0, 0, R); an operator leaf pays nobody or not rate × count;
    ///         the last leaf is not (feeRecipient, fee × (N − R), N, 0); or the leaf is malformed.
    function payoutLeaf(EpochHeader calldata h, PayoutEvidence calldata p) external view returns (Verdict memory) {
        EpochFormats.PayoutLeaf memory leaf = _checkPayout(h, p);
        bool right;
        if (leaf.tag != EpochFormats.PAYOUT_LEAF_TAG) {
            right = false;
        } else if (p.index == 0) {
            right = leaf.payee == address(0) && leaf.amount == 0 && leaf.start == 0 && leaf.count == h.r;
        } else if (p.index == h.m - 1) {
            ISxlLedgerV2View ledger = ISxlLedgerV2View(msg.sender);
            right = leaf.payee == ledger.feeRecipient()
                && uint256(leaf.amount) == ledger.feePerCredit() * (uint256(h.n) - h.r) && leaf.start == h.n
                && leaf.count == 0;
        } else {
            right = leaf.payee != address(0) && leaf.count > 0
                && uint256(leaf.amount) == uint256(h.epochRate) * leaf.count;
        }
        if (right) revert NotFraud();
        return _verdict(h);
    }

    /// @notice S11/S13: adjacent payout leaves that do not tile (start ≠ previous start + count), or two
    ///         operator leaves whose payees are not strictly increasing.
    function tiling(EpochHeader calldata h, PayoutEvidence calldata a, PayoutEvidence calldata b)
        external
        view
        returns (Verdict memory)
    {
        if (uint256(b.index) != uint256(a.index) + 1) revert NotFraud();
        EpochFormats.PayoutLeaf memory x = _checkPayout(h, a);
        EpochFormats.PayoutLeaf memory y = _checkPayout(h, b);
        bool tiles = uint256(y.start) == uint256(x.start) + x.count;
        bool ordered = a.index == 0 || b.index == h.m - 1 || x.payee < y.payee;
        if (tiles && ordered) revert NotFraud();
        return _verdict(h);
    }

    /// @notice S12: a token inside a payout leaf's range [start, start + count) under another payee.
    function rangePayee(EpochHeader calldata h, PayoutEvidence calldata p, TokenEvidence calldata t)
        external
        view
        returns (Verdict memory)
    {
        EpochFormats.PayoutLeaf memory leaf = _checkPayout(h, p);
        _checkToken(h, t);
        if (t.position < leaf.start || t.position >= uint256(leaf.start) + leaf.count) revert NotFraud();
        if (EpochFormats.tokenLeaf(t.leaf).payee == leaf.payee) revert NotFraud();
        return _verdict(h);
    }

    /// @notice S16: a node (at `level` ≥ 1, `index`) lists for one child a sum other than that child's
    ///         true sum: a leaf's amount, a node's two listed sums added, or 0 for a padding (zero) child.
    ///         `childPreimage` is the 45-byte leaf (level 1), the 97-byte node preimage (level > 1), or
    ///         empty for a zero-hash child.
    function sumChild(EpochHeader calldata h, SumEvidence calldata s) external view returns (Verdict memory) {
        uint256 d = EpochFormats.depth(h.m);
        if (s.level == 0 || s.level > d || s.siblingHashes.length != d - s.level) revert BadEvidence();
        (bytes32 hL, uint128 sL, bytes32 hR, uint128 sR) = _sumPreimage(s.nodePreimage);
        (bytes32 root,) =
            EpochFormats.climbSum(keccak256(s.nodePreimage), uint256(sL) + sR, s.index, s.siblingHashes, s.siblingSums);
        if (root != h.payoutRoot) revert BadEvidence();
        if (_childSum(s, s.rightChild ? hR : hL) == (s.rightChild ? sR : sL)) revert NotFraud();
        return _verdict(h);
    }

    function _childSum(SumEvidence calldata s, bytes32 childHash) private pure returns (uint256) {
        if (s.childPreimage.length == 0) {
            if (childHash != bytes32(0)) revert BadEvidence();
            return 0;
        }
        if (keccak256(s.childPreimage) != childHash) revert BadEvidence();
        if (s.level == 1) return EpochFormats.payoutLeaf(s.childPreimage).amount;
        (, uint128 cL,, uint128 cR) = _sumPreimage(s.childPreimage);
        return uint256(cL) + cR;
    }

    /// @notice S17: the root's two listed sums do not add up to the posted total.
    function rootSum(EpochHeader calldata h, bytes calldata rootPreimage) external view returns (Verdict memory) {
        (, uint128 sL,, uint128 sR) = _sumPreimage(rootPreimage);
        if (keccak256(rootPreimage) != h.payoutRoot) revert BadEvidence();
        if (uint256(sL) + sR == h.total) revert NotFraud();
        return _verdict(h);
    }

    // ================================================================ data availability answers (S19)

    /// @notice Checks every token leaf against the header; returns the commitment and the hash of the
    ///         positions answered, which the ledger compares with the challenge.
    function answerTokens(EpochHeader calldata h, TokenEvidence[] calldata leaves)
        external
        view
        returns (bytes32 commitment, bytes32 positionsHash)
    {
        uint32[] memory positions = new uint32[](leaves.length);
        for (uint256 i = 0; i < leaves.length; i++) {
            _checkToken(h, leaves[i]);
            positions[i] = leaves[i].position;
        }
        return (EpochFormats.commitment(h, msg.sender), keccak256(abi.encodePacked(positions)));
    }

    function answerPayouts(EpochHeader calldata h, PayoutEvidence[] calldata leaves)
        external
        view
        returns (bytes32 commitment, bytes32 positionsHash)
    {
        uint32[] memory positions = new uint32[](leaves.length);
        for (uint256 i = 0; i < leaves.length; i++) {
            _checkPayout(h, leaves[i]);
            positions[i] = leaves[i].index;
        }
        return (EpochFormats.commitment(h, msg.sender), keccak256(abi.encodePacked(positions)));
    }

    // ================================================================ helpers

    function _verdict(EpochHeader calldata h) private view returns (Verdict memory v) {
        v.epoch = h.epoch;
        v.commitment = EpochFormats.commitment(h, msg.sender);
        v.keyCounts = h.keyCounts;
    }

    function _registry() private view returns (ISxlKeyRegistryV2) {
        return ISxlKeyRegistryV2(ISxlLedgerV2View(msg.sender).keyRegistry());
    }

    function _checkToken(EpochHeader calldata h, TokenEvidence calldata t) private pure {
        if (t.leaf.length != EpochFormats.TOKEN_LEAF_LENGTH) revert BadEvidence();
        if (!EpochFormats.checkTokenLeaf(h, t.position, t.leaf, t.path)) revert BadEvidence();
    }

    function _checkPayout(EpochHeader calldata h, PayoutEvidence calldata p)
        private
        pure
        returns (EpochFormats.PayoutLeaf memory leaf)
    {
        bool rootMatches;
        (leaf, rootMatches,) = EpochFormats.climbPayoutLeaf(h, p.index, p.leaf, p.siblingHashes, p.siblingSums);
        if (!rootMatches) revert BadEvidence();
    }

    function _sumPreimage(bytes calldata preimage)
        private
        pure
        returns (bytes32 hL, uint128 sL, bytes32 hR, uint128 sR)
    {
        if (preimage.length != 97 || preimage[0] != 0x21) revert BadEvidence();
        uint256 w33;
        uint256 w81;
        assembly ("memory-safe") {
            hL := calldataload(add(preimage.offset, 1))
            w33 := calldataload(add(preimage.offset, 33))
            hR := calldataload(add(preimage.offset, 49))
            w81 := calldataload(add(preimage.offset, 81))
        }
        sL = uint128(w33 >> 128);
        sR = uint128(w81 >> 128);
    }
}
