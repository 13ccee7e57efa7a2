// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {RsaPssSha384} from "./RsaPssSha384.sol";

/// @title PrivateTokenType2: Privacy Pass token type 0x0002 (Blind RSA 2048) verification
/// @notice A token (RFC 9577 §2.2) is token_type (2) ‖ nonce (32) ‖ challenge_digest (32) ‖
///         token_key_id (32) ‖ authenticator (256). Its authenticator is an RSASSA-PSS signature
///         (SHA-384, MGF1-SHA-384, 48-byte salt) over the first 98 bytes (RFC 9578 §6.4); the issuer
///         key is the RFC 9578 §6.5 SPKI (id-RSASSA-PSS with those parameters, RSA-2048, e = 65537),
///         and token_key_id = SHA-256(SPKI). The SPKI must be byte-for-byte the one canonical DER
///         encoding (the same strictness as SimpleXLedger.Tokens' TokenPublicKey.TryFromSpki), so a key
///         has exactly one id.
library PrivateTokenType2 {
    uint16 internal constant TOKEN_TYPE = 0x0002;
    uint256 internal constant TOKEN_LENGTH = 2 + 32 + 32 + 32 + 256; // 354
    uint256 internal constant SPKI_LENGTH = 342;

    /// @dev The SPKI up to the modulus: SEQUENCE { SEQUENCE { id-RSASSA-PSS, RSASSA-PSS-params {
    ///      [0] sha384, [1] mgf1(sha384), [2] 48 } }, BIT STRING { SEQUENCE { INTEGER 00‖n ... 81 bytes.
    bytes private constant SPKI_PREFIX =
        hex"30820152303d06092a864886f70d01010a3030a00d300b0609608648016503040202a11a301806092a864886f70d010108"
        hex"300b0609608648016503040202a2030201300382010f003082010a0282010100";
    /// @dev After the modulus: INTEGER 65537.
    bytes5 private constant SPKI_SUFFIX = 0x0203010001;

    /// @notice token_input = token_type ‖ nonce ‖ challenge_digest ‖ token_key_id, the signed message.
    function tokenInput(bytes32 challengeDigest, bytes32 nonce, bytes32 tokenKeyId)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encodePacked(TOKEN_TYPE, nonce, challengeDigest, tokenKeyId);
    }

    /// @notice True when authenticator is the issuer's signature over this token's input, under the
    ///         2048-bit modulus. Checks neither the key id against a key nor the nonce against a spent-set.
    function verifyToken(
        bytes memory modulus,
        bytes32 challengeDigest,
        bytes32 nonce,
        bytes32 tokenKeyId,
        bytes memory authenticator
    ) internal view returns (bool) {
        return RsaPssSha384.verify(modulus, tokenInput(challengeDigest, nonce, tokenKeyId), authenticator);
    }

    /// @notice The 256-byte modulus when spki is exactly the canonical type-2 SPKI (RSASSA-PSS, SHA-384,
    ///         MGF1-SHA-384, salt 48, a 2048-bit odd modulus, e = 65537); ok = false otherwise.
    /// @dev    Stricter than RFC 9578, which allows any e: a key with another exponent is refused here,
    ///         so "not ok" means "not a key this verifier handles", never "the token is invalid".
    function modulusFromSpki(bytes memory spki) internal pure returns (bool ok, bytes memory modulus) {
        if (spki.length != SPKI_LENGTH) return (false, "");
        bytes memory prefix = SPKI_PREFIX;
        bytes32 prefixHash = keccak256(prefix);
        bytes32 actualPrefixHash;
        bytes5 suffix;
        assembly ("memory-safe") {
            actualPrefixHash := keccak256(add(spki, 0x20), mload(prefix))
            suffix := mload(add(spki, add(0x20, sub(SPKI_LENGTH, 5))))
        }
        if (actualPrefixHash != prefixHash || suffix != SPKI_SUFFIX) return (false, "");
        modulus = new bytes(256);
        assembly ("memory-safe") {
            mcopy(add(modulus, 0x20), add(add(spki, 0x20), mload(prefix)), 256)
        }
        // DER: the INTEGER's leading 00 is only allowed before a set top bit, and 2048 bits need it set.
        // An RSA modulus is odd (SimpleXLedger.Tokens refuses an even one too).
        if (uint8(modulus[0]) < 0x80 || uint8(modulus[255]) & 1 == 0) return (false, "");
        return (true, modulus);
    }

    /// @notice The full check a dispute needs: spki is a canonical type-2 key whose SHA-256 is
    ///         tokenKeyId, and authenticator is its valid signature over the token input.
    function verifyTokenWithSpki(
        bytes memory spki,
        bytes32 challengeDigest,
        bytes32 nonce,
        bytes32 tokenKeyId,
        bytes memory authenticator
    ) internal view returns (bool) {
        if (sha256(spki) != tokenKeyId) return false;
        (bool ok, bytes memory modulus) = modulusFromSpki(spki);
        if (!ok) return false;
        return verifyToken(modulus, challengeDigest, nonce, tokenKeyId, authenticator);
    }

    /// @notice A whole RFC 9577 token (354 bytes) against an SPKI: the type must be 0x0002 and the
    ///         token's key id SHA-256(spki).
    function verifyTokenBytes(bytes memory spki, bytes memory token) internal view returns (bool) {
        if (token.length != TOKEN_LENGTH) return false;
        bytes32 word0;
        bytes32 challengeDigest;
        bytes32 nonce;
        bytes32 tokenKeyId;
        bytes memory authenticator = new bytes(256);
        assembly ("memory-safe") {
            let p := add(token, 0x20)
            word0 := mload(p)
            nonce := mload(add(p, 2))
            challengeDigest := mload(add(p, 34))
            tokenKeyId := mload(add(p, 66))
            mcopy(add(authenticator, 0x20), add(p, 98), 256)
        }
        if (uint16(bytes2(word0)) != TOKEN_TYPE) return false;
        return verifyTokenWithSpki(spki, challengeDigest, nonce, tokenKeyId, authenticator);
    }
}
