// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Sha384} from "./Sha384.sol";

/// @title RsaPssSha384: RSASSA-PSS-VERIFY for RSA-2048 with SHA-384, MGF1-SHA-384 and a 48-byte salt
/// @notice RFC 8017 §8.1.2 with EMSA-PSS-VERIFY (§9.1.2), the parameters of RFC 9474's
///         RSABSSA-SHA384-PSS-Deterministic and of Privacy Pass token type 2 (RFC 9578 §6.4). The public
///         exponent is fixed at 65537 and the modulus at exactly 2048 bits (256 bytes, top bit set).
///         The message is hashed as given: the Deterministic variant has no randomizer prefix.
///         Every malformed input gives false; nothing reverts (short of running out of gas).
library RsaPssSha384 {
    uint256 internal constant MODULUS_LENGTH = 256; // k = emLen: emBits = 2047 still needs 256 bytes
    uint256 internal constant HASH_LENGTH = 48; // hLen
    uint256 internal constant SALT_LENGTH = 48; // sLen
    uint256 private constant DB_LENGTH = 207; // emLen - hLen - 1
    uint256 private constant MODEXP = 0x05; // EIP-198 precompile

    /// @notice True when signature is a valid RSASSA-PSS (SHA-384, MGF1-SHA-384, sLen 48, e = 65537)
    ///         signature of message under the 2048-bit modulus (256 bytes, big-endian).
    function verify(bytes memory modulus, bytes memory message, bytes memory signature)
        internal
        view
        returns (bool)
    {
        if (modulus.length != MODULUS_LENGTH || signature.length != MODULUS_LENGTH) return false;
        if (uint8(modulus[0]) < 0x80) return false; // not 2048 bits
        if (!lessThan(signature, modulus)) return false; // RSAVP1 step 1: s < n

        bytes memory em = rsaPublic(modulus, signature);
        if (em.length != MODULUS_LENGTH) return false;
        return emsaPssVerify(message, em);
    }

    /// @dev signature < modulus, both 256 bytes big-endian, compared a word at a time.
    function lessThan(bytes memory a, bytes memory b) private pure returns (bool less) {
        assembly ("memory-safe") {
            let decided := 0
            for { let i := 0x20 } and(iszero(decided), lt(i, 0x120)) { i := add(i, 0x20) } {
                let x := mload(add(a, i))
                let y := mload(add(b, i))
                if lt(x, y) {
                    less := 1
                    decided := 1
                }
                if gt(x, y) { decided := 1 }
            }
        }
    }

    /// @dev RSAVP1: s^65537 mod n through the MODEXP precompile; an empty array if the call fails.
    function rsaPublic(bytes memory modulus, bytes memory signature) private view returns (bytes memory m) {
        m = new bytes(MODULUS_LENGTH);
        bool ok;
        assembly ("memory-safe") {
            // Input: len(base) ‖ len(exp) ‖ len(mod) ‖ base ‖ exp ‖ mod (EIP-198).
            let input := mload(0x40)
            mstore(input, 0x100)
            mstore(add(input, 0x20), 3)
            mstore(add(input, 0x40), 0x100)
            mcopy(add(input, 0x60), add(signature, 0x20), 0x100)
            mstore(add(input, 0x160), shl(232, 0x010001))
            mcopy(add(input, 0x163), add(modulus, 0x20), 0x100)
            ok := staticcall(gas(), MODEXP, input, 0x263, add(m, 0x20), 0x100)
            if iszero(eq(returndatasize(), 0x100)) { ok := 0 }
        }
        if (!ok) m = "";
    }

    /// @dev EMSA-PSS-VERIFY (RFC 8017 §9.1.2) for emBits = 2047, emLen = 256.
    function emsaPssVerify(bytes memory message, bytes memory em) private pure returns (bool) {
        // Step 4: the trailer field. Step 6: the 8·emLen − emBits = 1 leftmost bit of maskedDB is zero.
        if (uint8(em[MODULUS_LENGTH - 1]) != 0xbc) return false;
        if (uint8(em[0]) >= 0x80) return false;

        // Step 2: mHash = Hash(M).
        uint256 messagePtr;
        assembly ("memory-safe") {
            messagePtr := add(message, 0x20)
        }
        (bytes32 mHashHi, bytes32 mHashLo) = Sha384.hashMemory(messagePtr, message.length);

        // Step 5: maskedDB = EM[0..207), H = EM[207..255). Step 7: dbMask = MGF1(H, 207): five blocks
        // SHA-384(H ‖ counter), counter = 0..4, 240 bytes of which 207 are used.
        bytes memory mgfInput = new bytes(HASH_LENGTH + 4);
        bytes memory db = new bytes(5 * HASH_LENGTH);
        assembly ("memory-safe") {
            mcopy(add(mgfInput, 0x20), add(em, add(0x20, DB_LENGTH)), HASH_LENGTH)
        }
        for (uint256 counter = 0; counter < 5; counter++) {
            uint256 inputPtr;
            assembly ("memory-safe") {
                inputPtr := add(mgfInput, 0x20)
                mstore8(add(inputPtr, add(HASH_LENGTH, 3)), counter) // the big-endian counter's last byte
            }
            (bytes32 hi, bytes32 lo) = Sha384.hashMemory(inputPtr, HASH_LENGTH + 4);
            assembly ("memory-safe") {
                let out := add(add(db, 0x20), mul(counter, HASH_LENGTH))
                mstore(out, hi)
                mstore(add(out, 0x20), lo) // the low 16 zero bytes are overwritten by the next block
            }
        }

        // Step 8: DB = maskedDB xor dbMask; step 9: clear its leftmost bit. Step 10: DB must be
        // PS (emLen − hLen − sLen − 2 = 158 zero bytes) ‖ 0x01 ‖ salt (48 bytes).
        bool ok;
        assembly ("memory-safe") {
            let d := add(db, 0x20)
            let e := add(em, 0x20)
            // DB[0..128): four words, all zero once the top bit is cleared.
            let w0 := and(xor(mload(d), mload(e)), shr(1, not(0)))
            let w1 := xor(mload(add(d, 0x20)), mload(add(e, 0x20)))
            let w2 := xor(mload(add(d, 0x40)), mload(add(e, 0x40)))
            let w3 := xor(mload(add(d, 0x60)), mload(add(e, 0x60)))
            // DB[128..160): 30 zero bytes, 0x01 at DB[158], then the first salt byte (the low byte).
            let w4 := xor(mload(add(d, 0x80)), mload(add(e, 0x80)))
            ok := and(iszero(or(or(w0, w1), or(w2, w3))), eq(shr(8, w4), 1))
            // The salt, DB[159..207), is written back unmasked into db for M' below.
            mstore(add(d, 0x80), w4)
            mstore(add(d, 0xa0), xor(mload(add(d, 0xa0)), mload(add(e, 0xa0))))
            mstore(add(d, 0xc0), xor(mload(add(d, 0xc0)), mload(add(e, 0xc0))))
        }
        if (!ok) return false;

        // Steps 12-13: M' = (0x)00 00 00 00 00 00 00 00 ‖ mHash ‖ salt; H' = Hash(M').
        bytes memory mPrime = new bytes(8 + HASH_LENGTH + SALT_LENGTH);
        uint256 mPrimePtr;
        assembly ("memory-safe") {
            mPrimePtr := add(mPrime, 0x20)
            // The first 8 bytes stay zero (new bytes is zeroed).
            mstore(add(mPrimePtr, 8), mHashHi)
            mstore(add(mPrimePtr, 0x28), mHashLo)
            mcopy(add(mPrimePtr, 0x38), add(add(db, 0x20), 159), SALT_LENGTH)
        }
        (bytes32 hHi, bytes32 hLo) = Sha384.hashMemory(mPrimePtr, 8 + HASH_LENGTH + SALT_LENGTH);

        // Step 14: H == H'.
        bytes32 emHi;
        bytes32 emLo;
        assembly ("memory-safe") {
            emHi := mload(add(em, add(0x20, DB_LENGTH)))
            emLo := and(mload(add(em, add(0x40, DB_LENGTH))), not(sub(shl(128, 1), 1)))
        }
        return emHi == hHi && emLo == hLo;
    }
}
