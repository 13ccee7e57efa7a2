// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {EpochFormats} from "./EpochFormats.sol";
import {ISxlKeyRegistryV2, ISxlLedgerV2, ISxlLedgerV2View} from "./ISxlLedgerV2.sol";
import {PrivateTokenType2} from "../crypto/PrivateTokenType2.sol";

/// @title SxlKeyRegistryV2: token keys, what each verifies against, and issued versus counted per key
/// @notice Created by its ledger (docs/ledger-v2.md §2.2). A key is anchored by the issuer with its SPKI,
///         which must be the one canonical RSASSA-PSS/SHA-384, e = 65537, 2048-bit template (anything else
///         reverts), and the issuer's name, from which the registry itself computes the network challenge
///         digest (RFC 9577: type 2, that name, empty redemption context, empty origin info). The modulus
///         and the digest are what a fraud proof verifies a counted token against. The ledger counts
///         tokens under a key at each post and gives them back at a freeze; counted never exceeds issued.
contract SxlKeyRegistryV2 is ISxlKeyRegistryV2, ISxlLedgerV2 {
    /// @notice Keys whose redeem window is still open at any instant (issue windows are disjoint).
    uint256 public constant MAX_LIVE_KEYS = 5;

    ISxlLedgerV2View public immutable ledger;
    uint64 public immutable minKeyDelay;
    uint64 public immutable minIssueWindow;
    uint64 public immutable minRedeemWindow;

    /// @dev One slot: the only one a post touches per key.
    struct KeyRecord {
        uint40 usableFrom;
        uint40 issueUntil;
        uint40 redeemUntil;
        uint40 revokedAt;
        uint48 issued;
        uint48 counted;
    }

    struct KeyMeta {
        bytes32 keyId;
        bytes32 challengeDigest;
        bytes modulus;
        string issuerName;
    }

    KeyRecord[] private _keys;
    KeyMeta[] private _meta;
    mapping(bytes32 => uint256) public indexOf; // keyId → index + 1
    uint64 public totalIssued;

    event KeyAnchored(uint256 indexed keyIndex, bytes32 indexed keyId, uint64 usableFrom, uint64 issueUntil, uint64 redeemUntil);
    /// @notice The SPKI and issuer name of a key just anchored: what wallets check the issuer against.
    event KeyPublished(uint256 indexed keyIndex, string issuerName, bytes spki);
    event KeyRevoked(uint256 indexed keyIndex, uint64 revokedAt);
    event IssuedAnchored(uint256 indexed keyIndex, uint64 cumulative, uint64 totalIssued);

    constructor(address ledger_, uint64 minKeyDelay_, uint64 minIssueWindow_, uint64 minRedeemWindow_) {
        ledger = ISxlLedgerV2View(ledger_);
        minKeyDelay = minKeyDelay_;
        minIssueWindow = minIssueWindow_;
        minRedeemWindow = minRedeemWindow_;
    }

    modifier onlyIssuer() {
        if (msg.sender != ledger.issuer()) revert NotIssuer();
        _;
    }

    modifier onlyLedger() {
        if (msg.sender != address(ledger)) revert NotLedger();
        _;
    }

    /// @notice RFC 9577 challenge_digest of the network challenge for an issuer name.
    function networkChallengeDigest(string memory issuerName) public pure returns (bytes32) {
        bytes memory name = bytes(issuerName);
        if (name.length == 0 || name.length > type(uint16).max) revert KeyWindowsInvalid("issuer name");
        return sha256(abi.encodePacked(uint16(0x0002), uint16(name.length), name, uint8(0), uint16(0)));
    }

    function anchorKey(bytes calldata spki, string calldata issuerName, uint40 usableFrom, uint40 issueUntil, uint40 redeemUntil)
        external
        onlyIssuer
        returns (uint256 keyIndex)
    {
        (bool ok, bytes memory modulus) = PrivateTokenType2.modulusFromSpki(spki);
        if (!ok) revert SpkiNotTemplate();
        bytes32 keyId = sha256(spki);
        if (indexOf[keyId] != 0) revert KeyAlreadyAnchored(keyId);
        uint256 existing = _checkWindows(usableFrom, issueUntil, redeemUntil);
        keyIndex = existing;
        _keys.push(KeyRecord(usableFrom, issueUntil, redeemUntil, 0, 0, 0));
        _meta.push(KeyMeta(keyId, networkChallengeDigest(issuerName), modulus, issuerName));
        indexOf[keyId] = keyIndex + 1;
        emit KeyAnchored(keyIndex, keyId, usableFrom, issueUntil, redeemUntil);
        emit KeyPublished(keyIndex, issuerName, spki);
    }

    /// @dev Window lengths, disjoint issue windows, at most MAX_LIVE_KEYS redeemable; returns the key count.
    function _checkWindows(uint40 usableFrom, uint40 issueUntil, uint40 redeemUntil) private view returns (uint256 existing) {
        if (usableFrom < block.timestamp + minKeyDelay) revert KeyWindowsInvalid("usableFrom too soon");
        if (issueUntil < uint256(usableFrom) + minIssueWindow || issueUntil <= usableFrom) {
            revert KeyWindowsInvalid("issue window too short");
        }
        if (redeemUntil < uint256(issueUntil) + minRedeemWindow) revert KeyWindowsInvalid("redeem window too short");
        existing = _keys.length;
        uint256 live = 0;
        for (uint256 i = existing; i > 0; i--) {
            KeyRecord memory k = _keys[i - 1];
            if (i == existing && usableFrom < k.issueUntil) revert KeyWindowsInvalid("issue windows overlap");
            if (k.redeemUntil > block.timestamp) live++;
            if (k.redeemUntil <= block.timestamp && k.issueUntil <= block.timestamp) break;
        }
        if (live + 1 > MAX_LIVE_KEYS) revert TooManyLiveKeys(live + 1);
    }

    /// @notice A revoked key stops issuing; tokens under it count only in epochs that started before.
    function revokeKey(uint256 keyIndex) external {
        if (msg.sender != ledger.issuer() && msg.sender != ledger.governance()) revert NotIssuer();
        KeyRecord storage k = _key(keyIndex);
        if (k.revokedAt != 0) revert KeyWindowsInvalid("already revoked");
        k.revokedAt = uint40(block.timestamp);
        emit KeyRevoked(keyIndex, uint64(block.timestamp));
    }

    /// @notice The issuer's cumulative tokens issued under a key; all keys together never above the
    ///         credits funded. (Issue 15 replaces this bound with card-signed debits.)
    function anchorIssued(uint256 keyIndex, uint64 cumulative) external onlyIssuer {
        KeyRecord storage k = _key(keyIndex);
        uint64 previous = k.issued;
        if (cumulative < previous) revert IssuedDecreased(keyIndex, previous, cumulative);
        if (cumulative > type(uint48).max) revert KeyWindowsInvalid("issued overflow");
        uint64 total = totalIssued + (cumulative - previous);
        uint64 funded = ledger.creditsFunded();
        if (total > funded) revert IssuedExceedsFunded(total, funded);
        k.issued = uint48(cumulative);
        totalIssued = total;
        emit IssuedAnchored(keyIndex, cumulative, total);
    }

    /// @notice The ledger counts a post's tokens for the epoch [epochStart, epochEnd): `keyCounts` is the packed
    ///         (keyIndex u16, count u32) list, at most five, strictly increasing by index, no zero count. Each key
    ///         must be usable in the epoch (usable before it ends, redeemable when it starts, not revoked before it
    ///         started), and over all standing epochs never counts more tokens than were issued under it.
    ///         Returns the sum of the counts.
    function countAll(bytes calldata keyCounts, uint64 epochStart, uint64 epochEnd) external onlyLedger returns (uint256 sum) {
        uint256 k = keyCounts.length / 6;
        if (keyCounts.length % 6 != 0 || k > EpochFormats.MAX_KEYS_PER_EPOCH) revert KeyCountsInvalid();
        uint256 previous;
        for (uint256 i = 0; i < k; i++) {
            (uint16 keyIndex, uint32 tokens) = EpochFormats.keyCountAt(keyCounts, i);
            if (tokens == 0 || (i > 0 && keyIndex <= previous)) revert KeyCountsInvalid();
            previous = keyIndex;
            sum += tokens;
            KeyRecord storage key = _key(keyIndex);
            KeyRecord memory r = key;
            if (r.usableFrom >= epochEnd || epochStart >= r.redeemUntil || (r.revokedAt != 0 && epochStart >= r.revokedAt)) {
                revert KeyNotUsable(keyIndex, epochStart);
            }
            uint64 counted = uint64(r.counted) + tokens;
            if (counted > r.issued) revert CountExceedsIssued(keyIndex, counted, r.issued);
            key.counted = uint48(counted);
        }
    }

    /// @notice A frozen epoch's counts go back (the list was checked when it was posted).
    function uncountAll(bytes calldata keyCounts) external onlyLedger {
        uint256 k = keyCounts.length / 6;
        for (uint256 i = 0; i < k; i++) {
            (uint16 keyIndex, uint32 tokens) = EpochFormats.keyCountAt(keyCounts, i);
            _keys[keyIndex].counted -= uint48(tokens);
        }
    }

    function keyWindows(uint256 keyIndex)
        external
        view
        returns (uint64 usableFrom, uint64 issueUntil, uint64 redeemUntil, uint64 revokedAt, uint64 issued, uint64 counted)
    {
        KeyRecord memory k = _key(keyIndex);
        return (k.usableFrom, k.issueUntil, k.redeemUntil, k.revokedAt, k.issued, k.counted);
    }

    function keyMaterial(uint256 keyIndex)
        external
        view
        returns (bytes32 keyId, bytes32 challengeDigest, bytes memory modulus)
    {
        _key(keyIndex);
        KeyMeta storage m = _meta[keyIndex];
        return (m.keyId, m.challengeDigest, m.modulus);
    }

    function issuerNameOf(uint256 keyIndex) external view returns (string memory) {
        _key(keyIndex);
        return _meta[keyIndex].issuerName;
    }

    function keyCount() external view returns (uint256) {
        return _keys.length;
    }

    function _key(uint256 keyIndex) private view returns (KeyRecord storage) {
        if (keyIndex >= _keys.length) revert UnknownKey(bytes32(keyIndex));
        return _keys[keyIndex];
    }
}
