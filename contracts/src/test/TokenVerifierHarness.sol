// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Sha384} from "../crypto/Sha384.sol";
import {RsaPssSha384} from "../crypto/RsaPssSha384.sol";
import {PrivateTokenType2} from "../crypto/PrivateTokenType2.sol";

/// @title TokenVerifierHarness: the crypto libraries as external functions, for tests only
/// @notice Not part of the ledger. The view functions answer eth_call; the measure* functions are
///         state-changing wrappers so a transaction's receipt shows the gas of one verification.
contract TokenVerifierHarness {
    event Verified(bool valid);

    function sha384(bytes memory data) external pure returns (bytes memory) {
        return Sha384.hash(data);
    }

    function verifyPss(bytes memory modulus, bytes memory message, bytes memory signature)
        external
        view
        returns (bool)
    {
        return RsaPssSha384.verify(modulus, message, signature);
    }

    function verifyToken(
        bytes memory modulus,
        bytes32 challengeDigest,
        bytes32 nonce,
        bytes32 tokenKeyId,
        bytes memory authenticator
    ) external view returns (bool) {
        return PrivateTokenType2.verifyToken(modulus, challengeDigest, nonce, tokenKeyId, authenticator);
    }

    function modulusFromSpki(bytes memory spki) external pure returns (bool ok, bytes memory modulus) {
        return PrivateTokenType2.modulusFromSpki(spki);
    }

    function verifyTokenWithSpki(
        bytes memory spki,
        bytes32 challengeDigest,
        bytes32 nonce,
        bytes32 tokenKeyId,
        bytes memory authenticator
    ) external view returns (bool) {
        return PrivateTokenType2.verifyTokenWithSpki(spki, challengeDigest, nonce, tokenKeyId, authenticator);
    }

    function verifyTokenBytes(bytes memory spki, bytes memory token) external view returns (bool) {
        return PrivateTokenType2.verifyTokenBytes(spki, token);
    }

    /// @notice verifyToken and the gas its library call alone used (gasleft before and after).
    function gasOfVerifyToken(
        bytes memory modulus,
        bytes32 challengeDigest,
        bytes32 nonce,
        bytes32 tokenKeyId,
        bytes memory authenticator
    ) external view returns (bool valid, uint256 gasUsed) {
        uint256 before = gasleft();
        valid = PrivateTokenType2.verifyToken(modulus, challengeDigest, nonce, tokenKeyId, authenticator);
        gasUsed = before - gasleft();
    }

    /// @notice verifyTokenBytes (SPKI template, key id, signature) and the gas it alone used.
    function gasOfVerifyTokenBytes(bytes memory spki, bytes memory token)
        external
        view
        returns (bool valid, uint256 gasUsed)
    {
        uint256 before = gasleft();
        valid = PrivateTokenType2.verifyTokenBytes(spki, token);
        gasUsed = before - gasleft();
    }

    /// @notice verifyToken in a transaction (emits the result), for a receipt's gasUsed.
    function measureVerifyToken(
        bytes memory modulus,
        bytes32 challengeDigest,
        bytes32 nonce,
        bytes32 tokenKeyId,
        bytes memory authenticator
    ) external returns (bool valid) {
        valid = PrivateTokenType2.verifyToken(modulus, challengeDigest, nonce, tokenKeyId, authenticator);
        emit Verified(valid);
    }

    /// @notice verifyTokenBytes in a transaction (emits the result), for a receipt's gasUsed.
    function measureVerifyTokenBytes(bytes memory spki, bytes memory token) external returns (bool valid) {
        valid = PrivateTokenType2.verifyTokenBytes(spki, token);
        emit Verified(valid);
    }
}
