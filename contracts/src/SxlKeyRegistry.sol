// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ISxlLedger} from "./ISxlLedger.sol";

/// @notice What the key registry needs from its ledger: who holds the roles, and the funded-credits bound.
interface ILedgerForRegistry {
    function issuer() external view returns (address);
    function governance() external view returns (address);
    function recordIssued(uint64 added) external returns (uint64 total);
}

/// @title SxlKeyRegistry: the issuer's token keys, their windows, and tokens issued under each
/// @notice Created by its SxlLedger, whose timelocked roles it follows. A key is anchored by its SPKI
///         (the key id is SHA-256 of it), becomes usable no sooner than {minKeyDelay} after anchoring,
///         issues for at least {minIssueWindow} and stays redeemable at least {minRedeemWindow} after.
///         Issuing windows never overlap, anchored keys never change, and a revoked key stops issuing
///         but keeps its slot. Windows are half-open: [usableFrom, issueUntil), [usableFrom, redeemUntil).
contract SxlKeyRegistry is ISxlLedger {
    ILedgerForRegistry public immutable ledger;
    uint64 public immutable minKeyDelay;
    uint64 public immutable minIssueWindow;
    uint64 public immutable minRedeemWindow;

    struct KeyRecord {
        uint64 usableFrom;
        uint64 issueUntil;
        uint64 redeemUntil;
        uint64 revokedAt;
        uint64 anchoredAt;
        uint64 issued; // cumulative tokens issued under the key, as anchored by the issuer
    }

    mapping(bytes32 => KeyRecord) private _keys;
    mapping(bytes32 => bytes) private _spki;
    bytes32[] private _keyIds;

    constructor(address ledger_, uint64 minKeyDelay_, uint64 minIssueWindow_, uint64 minRedeemWindow_) {
        ledger = ILedgerForRegistry(ledger_);
        minKeyDelay = minKeyDelay_;
        minIssueWindow = minIssueWindow_;
        minRedeemWindow = minRedeemWindow_;
    }

    modifier onlyIssuer() {
        if (msg.sender != ledger.issuer()) revert NotIssuer();
        _;
    }
    /// @notice Anchors a token key by its SPKI; the key id must be SHA-256(SPKI). Anchored keys never change.
    function anchorKey(bytes32 keyId, bytes calldata spki, uint64 usableFrom, uint64 issueUntil, uint64 redeemUntil)
        external
        onlyIssuer
    {
        bytes32 digest = sha256(spki);
        if (digest != keyId) revert SpkiMismatch(keyId, digest);
        if (_keys[keyId].anchoredAt != 0) revert KeyAlreadyAnchored(keyId);
        uint64 nowTs = uint64(block.timestamp);
        if (usableFrom < nowTs + minKeyDelay) revert KeyTooSoon(usableFrom, nowTs + minKeyDelay);
        if (issueUntil < usableFrom + minIssueWindow) revert IssueWindowTooShort(issueUntil, usableFrom + minIssueWindow);
        if (issueUntil <= usableFrom) revert IssueWindowTooShort(issueUntil, usableFrom + 1);
        if (redeemUntil < issueUntil + minRedeemWindow) {
            revert RedeemWindowTooShort(redeemUntil, issueUntil + minRedeemWindow);
        }
        uint256 count = _keyIds.length;
        if (count > 0) {
            // Keys are anchored in window order, so the last one is the only one that could overlap.
            uint64 previousUntil = _keys[_keyIds[count - 1]].issueUntil;
            if (usableFrom < previousUntil) revert IssueWindowOverlap(usableFrom, previousUntil);
        }
        _keys[keyId] = KeyRecord(usableFrom, issueUntil, redeemUntil, 0, nowTs, 0);
        _spki[keyId] = spki;
        _keyIds.push(keyId);
        emit KeyAnchored(keyId, spki, usableFrom, issueUntil, redeemUntil);
    }

    /// @notice A revoked key stops issuing but keeps its slot: no other key may issue in its window.
    function revokeKey(bytes32 keyId) external {
        if (msg.sender != ledger.issuer() && msg.sender != ledger.governance()) revert NotIssuer();
        KeyRecord storage k = _keys[keyId];
        if (k.anchoredAt == 0) revert UnknownKey(keyId);
        if (k.revokedAt != 0) revert KeyAlreadyRevoked(keyId);
        k.revokedAt = uint64(block.timestamp);
        emit KeyRevoked(keyId, uint64(block.timestamp));
    }

    /// @notice The issuer anchors its cumulative number of tokens issued under a key (once per epoch).
    function anchorIssued(bytes32 keyId, uint64 cumulative) external onlyIssuer {
        KeyRecord storage k = _keys[keyId];
        if (k.anchoredAt == 0) revert UnknownKey(keyId);
        uint64 previous = k.issued;
        if (cumulative < previous) revert IssuedDecreased(keyId, previous, cumulative);
        k.issued = cumulative;
        // The ledger refuses when tokens issued across all keys would exceed the credits funded.
        uint64 total = ledger.recordIssued(cumulative - previous);
        emit IssuedAnchored(keyId, cumulative, total);
    }

    /// @notice The key that issues now (zero id if none, or if the current slot's key was revoked).
    function currentIssuingKey()
        external
        view
        returns (bytes32 keyId, uint64 usableFrom, uint64 issueUntil, uint64 redeemUntil, bytes memory spki)
    {
        for (uint256 i = _keyIds.length; i > 0; i--) {
            bytes32 id = _keyIds[i - 1];
            KeyRecord memory k = _keys[id];
            if (k.issueUntil <= block.timestamp) break; // older keys ended even earlier
            if (k.usableFrom <= block.timestamp) {
                if (k.revokedAt != 0) break;
                return (id, k.usableFrom, k.issueUntil, k.redeemUntil, _spki[id]);
            }
        }
        return (bytes32(0), 0, 0, 0, "");
    }

    /// @notice A key's windows and state by id (all zero if unknown).
    function keyWindows(bytes32 keyId)
        external
        view
        returns (uint64 usableFrom, uint64 issueUntil, uint64 redeemUntil, uint64 revokedAt, uint64 anchoredAt, uint64 issued)
    {
        KeyRecord memory k = _keys[keyId];
        return (k.usableFrom, k.issueUntil, k.redeemUntil, k.revokedAt, k.anchoredAt, k.issued);
    }

    function keySpki(bytes32 keyId) external view returns (bytes memory) {
        return _spki[keyId];
    }

    function keyCount() external view returns (uint256) {
        return _keyIds.length;
    }

    function keyIdAt(uint256 index) external view returns (bytes32) {
        return _keyIds[index];
    }

}
