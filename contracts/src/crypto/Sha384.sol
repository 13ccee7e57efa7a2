// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Sha384: SHA-384 (FIPS 180-4 §6.5) for memory bytes
/// @notice The SHA-512 compression function with the SHA-384 initial value, output truncated to 48 bytes.
///         The EVM has no SHA-384 precompile, so this is done in assembly: every 64-bit word lives in
///         the low bits of a 256-bit stack word and is masked after additions; a rotation is one shift
///         of the word doubled (x | x << 64), so the three rotations of a Σ cost one mask.
/// @dev    Pure; uses memory past the free-memory pointer as scratch (padded message, the 80-word message
///         schedule with the round constants added, the state) and leaves the pointer where it was.
library Sha384 {
    /// @dev The 80 SHA-512 round constants K0..K79, 8 bytes each, big-endian (FIPS 180-4 §4.2.3).
    bytes private constant K =
        hex"428a2f98d728ae227137449123ef65cdb5c0fbcfec4d3b2fe9b5dba58189dbbc"
        hex"3956c25bf348b53859f111f1b605d019923f82a4af194f9bab1c5ed5da6d8118"
        hex"d807aa98a303024212835b0145706fbe243185be4ee4b28c550c7dc3d5ffb4e2"
        hex"72be5d74f27b896f80deb1fe3b1696b19bdc06a725c71235c19bf174cf692694"
        hex"e49b69c19ef14ad2efbe4786384f25e30fc19dc68b8cd5b5240ca1cc77ac9c65"
        hex"2de92c6f592b02754a7484aa6ea6e4835cb0a9dcbd41fbd476f988da831153b5"
        hex"983e5152ee66dfaba831c66d2db43210b00327c898fb213fbf597fc7beef0ee4"
        hex"c6e00bf33da88fc2d5a79147930aa72506ca6351e003826f142929670a0e6e70"
        hex"27b70a8546d22ffc2e1b21385c26c9264d2c6dfc5ac42aed53380d139d95b3df"
        hex"650a73548baf63de766a0abb3c77b2a881c2c92e47edaee692722c851482353b"
        hex"a2bfe8a14cf10364a81a664bbc423001c24b8b70d0f89791c76c51a30654be30"
        hex"d192e819d6ef5218d69906245565a910f40e35855771202a106aa07032bbd1b8"
        hex"19a4c116b8d2d0c81e376c085141ab532748774cdf8eeb9934b0bcb5e19b48a8"
        hex"391c0cb3c5c95a634ed8aa4ae3418acb5b9cca4f7763e373682e6ff3d6b2b8a3"
        hex"748f82ee5defb2fc78a5636f43172f6084c87814a1f0ab728cc702081a6439ec"
        hex"90befffa23631e28a4506cebde82bde9bef9a3f7b2c67915c67178f2e372532b"
        hex"ca273eceea26619cd186b8c721c0c207eada7dd6cde0eb1ef57d4f7fee6ed178"
        hex"06f067aa72176fba0a637dc5a2c898a6113f9804bef90dae1b710b35131c471b"
        hex"28db77f523047d8432caab7b40c724933c9ebe0a15c9bebc431d67c49c100d4c"
        hex"4cc5d4becb3e42b6597f299cfc657e2a5fcb6fab3ad6faec6c44198c4a475817";

    /// @notice SHA-384 of data, as a 48-byte array.
    function hash(bytes memory data) internal pure returns (bytes memory digest) {
        uint256 ptr;
        assembly ("memory-safe") {
            ptr := add(data, 32)
        }
        (bytes32 hi, bytes32 lo) = hashMemory(ptr, data.length);
        digest = new bytes(48);
        assembly ("memory-safe") {
            mstore(add(digest, 32), hi)
            mstore(add(digest, 64), lo) // bytes 32..47; the 16 bytes after the array are free memory
        }
    }

    /// @notice SHA-384 of the len bytes at memory address ptr.
    /// @return hi the digest's first 32 bytes
    /// @return lo the digest's last 16 bytes, left-aligned (the low 16 bytes are zero)
    /// @dev The input may lie anywhere in allocated memory; it is copied, never written.
    function hashMemory(uint256 ptr, uint256 len) internal pure returns (bytes32 hi, bytes32 lo) {
        bytes memory k = K;
        assembly ("memory-safe") {
            // Scratch layout from the free-memory pointer: st (8 words of state), w (80 words: the
            // schedule W_t), wk (80 words: W_t + K_t), then the padded message.
            let st := mload(0x40)
            let w := add(st, 0x100)
            let wk := add(w, 0xa00)
            let buf := add(wk, 0xa00)

            // Padding (§5.1.2): message, 0x80, zeros, 128-bit bit length; len + 17 rounded up to 128.
            let padded := and(add(len, 0x90), not(0x7f))
            for { let p := add(buf, and(len, not(0x1f))) } lt(p, add(buf, padded)) { p := add(p, 0x20) } {
                mstore(p, 0)
            }
            mstore(add(buf, sub(padded, 0x20)), shl(3, len))
            mcopy(buf, ptr, len)
            mstore8(add(buf, len), 0x80)

            // SHA-384 initial hash value (§5.3.4).
            mstore(st, 0xcbbb9d5dc1059ed8)
            mstore(add(st, 0x20), 0x629a292a367cd507)
            mstore(add(st, 0x40), 0x9159015a3070dd17)
            mstore(add(st, 0x60), 0x152fecd8f70e5939)
            mstore(add(st, 0x80), 0x67332667ffc00b31)
            mstore(add(st, 0xa0), 0x8eb44a8768581511)
            mstore(add(st, 0xc0), 0xdb0c2e0d64f98fa7)
            mstore(add(st, 0xe0), 0x47b5481dbefa4fa4)

            let kp := add(k, 0x20)
            let end := add(buf, padded)
            for { let blk := buf } lt(blk, end) { blk := add(blk, 0x80) } {
                schedule(blk, w, wk, kp)
                rounds(st, wk)
            }

            hi := or(or(shl(192, mload(st)), shl(128, mload(add(st, 0x20)))),
                     or(shl(64, mload(add(st, 0x40))), mload(add(st, 0x60))))
            lo := or(shl(192, mload(add(st, 0x80))), shl(128, mload(add(st, 0xa0))))

            // W_0..W_79 (§6.4.2 step 1), and W_t + K_t for the rounds.
            function schedule(block_, sched_, schedK_, k_) {
                let m := 0xffffffffffffffff
                for { let t := 0 } lt(t, 0x200) { t := add(t, 0x20) } {
                    let x := shr(192, mload(add(block_, shr(2, t))))
                    mstore(add(sched_, t), x)
                    mstore(add(schedK_, t), add(x, shr(192, mload(add(k_, shr(2, t))))))
                }
                for { let t := 0x200 } lt(t, 0xa00) { t := add(t, 0x20) } {
                    let a := mload(add(sched_, sub(t, 0x40))) // W_{t-2}
                    let b := mload(add(sched_, sub(t, 0x1e0))) // W_{t-15}
                    let aa := or(a, shl(64, a))
                    let bb := or(b, shl(64, b))
                    // σ1(W_{t-2}) + W_{t-7} + σ0(W_{t-15}) + W_{t-16}
                    let x := and(
                        add(
                            add(xor(xor(shr(19, aa), shr(61, aa)), shr(6, a)), mload(add(sched_, sub(t, 0xe0)))),
                            add(xor(xor(shr(1, bb), shr(8, bb)), shr(7, b)), mload(add(sched_, sub(t, 0x200))))
                        ),
                        m
                    )
                    // The σ terms are masked by the final and: only their low 64 bits matter mod 2^64.
                    mstore(add(sched_, t), x)
                    mstore(add(schedK_, t), add(x, shr(192, mload(add(k_, shr(2, t))))))
                }
            }

            // The 80 rounds (§6.4.2 steps 2-4) on the state at st, eight per loop pass with the roles of
            // the working variables rotated in the text instead of moved: after round t the new a is the
            // old h's slot and the new e the old d's (so no seven assignments per round).
            // Σ0 and Σ1 are not masked: their bits above 64 are junk that the and with m removes, as
            // the sums are only used mod 2^64.
            function rounds(state_, schedK_) {
                let m := 0xffffffffffffffff
                let a := mload(state_)
                let b := mload(add(state_, 0x20))
                let c := mload(add(state_, 0x40))
                let d := mload(add(state_, 0x60))
                let e := mload(add(state_, 0x80))
                let f := mload(add(state_, 0xa0))
                let g := mload(add(state_, 0xc0))
                let h := mload(add(state_, 0xe0))
                for { let p := schedK_ } lt(p, add(schedK_, 0xa00)) { p := add(p, 0x100) } {
                    // round 8i+0: T1 = h + Σ1(e) + Ch(e, f, g) + K_t + W_t; d += T1; h = T1 + Σ0(a) + Maj(a, b, c)
                    {
                        let x := or(e, shl(64, e))
                        let t1 := add(
                            add(h, mload(add(p, 0x0))),
                            add(xor(xor(shr(14, x), shr(18, x)), shr(41, x)), xor(g, and(e, xor(f, g))))
                        )
                        d := and(add(d, t1), m)
                        x := or(a, shl(64, a))
                        h := and(
                            add(t1, add(xor(xor(shr(28, x), shr(34, x)), shr(39, x)), or(and(a, b), and(c, or(a, b))))),
                            m
                        )
                    }
                    // round 8i+1: T1 = h + Σ1(e) + Ch(e, f, g) + K_t + W_t; d += T1; h = T1 + Σ0(a) + Maj(a, b, c)
                    {
                        let x := or(d, shl(64, d))
                        let t1 := add(
                            add(g, mload(add(p, 0x20))),
                            add(xor(xor(shr(14, x), shr(18, x)), shr(41, x)), xor(f, and(d, xor(e, f))))
                        )
                        c := and(add(c, t1), m)
                        x := or(h, shl(64, h))
                        g := and(
                            add(t1, add(xor(xor(shr(28, x), shr(34, x)), shr(39, x)), or(and(h, a), and(b, or(h, a))))),
                            m
                        )
                    }
                    // round 8i+2: T1 = h + Σ1(e) + Ch(e, f, g) + K_t + W_t; d += T1; h = T1 + Σ0(a) + Maj(a, b, c)
                    {
                        let x := or(c, shl(64, c))
                        let t1 := add(
                            add(f, mload(add(p, 0x40))),
                            add(xor(xor(shr(14, x), shr(18, x)), shr(41, x)), xor(e, and(c, xor(d, e))))
                        )
                        b := and(add(b, t1), m)
                        x := or(g, shl(64, g))
                        f := and(
                            add(t1, add(xor(xor(shr(28, x), shr(34, x)), shr(39, x)), or(and(g, h), and(a, or(g, h))))),
                            m
                        )
                    }
                    // round 8i+3: T1 = h + Σ1(e) + Ch(e, f, g) + K_t + W_t; d += T1; h = T1 + Σ0(a) + Maj(a, b, c)
                    {
                        let x := or(b, shl(64, b))
                        let t1 := add(
                            add(e, mload(add(p, 0x60))),
                            add(xor(xor(shr(14, x), shr(18, x)), shr(41, x)), xor(d, and(b, xor(c, d))))
                        )
                        a := and(add(a, t1), m)
                        x := or(f, shl(64, f))
                        e := and(
                            add(t1, add(xor(xor(shr(28, x), shr(34, x)), shr(39, x)), or(and(f, g), and(h, or(f, g))))),
                            m
                        )
                    }
                    // round 8i+4: T1 = h + Σ1(e) + Ch(e, f, g) + K_t + W_t; d += T1; h = T1 + Σ0(a) + Maj(a, b, c)
                    {
                        let x := or(a, shl(64, a))
                        let t1 := add(
                            add(d, mload(add(p, 0x80))),
                            add(xor(xor(shr(14, x), shr(18, x)), shr(41, x)), xor(c, and(a, xor(b, c))))
                        )
                        h := and(add(h, t1), m)
                        x := or(e, shl(64, e))
                        d := and(
                            add(t1, add(xor(xor(shr(28, x), shr(34, x)), shr(39, x)), or(and(e, f), and(g, or(e, f))))),
                            m
                        )
                    }
                    // round 8i+5: T1 = h + Σ1(e) + Ch(e, f, g) + K_t + W_t; d += T1; h = T1 + Σ0(a) + Maj(a, b, c)
                    {
                        let x := or(h, shl(64, h))
                        let t1 := add(
                            add(c, mload(add(p, 0xa0))),
                            add(xor(xor(shr(14, x), shr(18, x)), shr(41, x)), xor(b, and(h, xor(a, b))))
                        )
                        g := and(add(g, t1), m)
                        x := or(d, shl(64, d))
                        c := and(
                            add(t1, add(xor(xor(shr(28, x), shr(34, x)), shr(39, x)), or(and(d, e), and(f, or(d, e))))),
                            m
                        )
                    }
                    // round 8i+6: T1 = h + Σ1(e) + Ch(e, f, g) + K_t + W_t; d += T1; h = T1 + Σ0(a) + Maj(a, b, c)
                    {
                        let x := or(g, shl(64, g))
                        let t1 := add(
                            add(b, mload(add(p, 0xc0))),
                            add(xor(xor(shr(14, x), shr(18, x)), shr(41, x)), xor(a, and(g, xor(h, a))))
                        )
                        f := and(add(f, t1), m)
                        x := or(c, shl(64, c))
                        b := and(
                            add(t1, add(xor(xor(shr(28, x), shr(34, x)), shr(39, x)), or(and(c, d), and(e, or(c, d))))),
                            m
                        )
                    }
                    // round 8i+7: T1 = h + Σ1(e) + Ch(e, f, g) + K_t + W_t; d += T1; h = T1 + Σ0(a) + Maj(a, b, c)
                    {
                        let x := or(f, shl(64, f))
                        let t1 := add(
                            add(a, mload(add(p, 0xe0))),
                            add(xor(xor(shr(14, x), shr(18, x)), shr(41, x)), xor(h, and(f, xor(g, h))))
                        )
                        e := and(add(e, t1), m)
                        x := or(b, shl(64, b))
                        a := and(
                            add(t1, add(xor(xor(shr(28, x), shr(34, x)), shr(39, x)), or(and(b, c), and(d, or(b, c))))),
                            m
                        )
                    }
                }
                mstore(state_, and(add(mload(state_), a), m))
                mstore(add(state_, 0x20), and(add(mload(add(state_, 0x20)), b), m))
                mstore(add(state_, 0x40), and(add(mload(add(state_, 0x40)), c), m))
                mstore(add(state_, 0x60), and(add(mload(add(state_, 0x60)), d), m))
                mstore(add(state_, 0x80), and(add(mload(add(state_, 0x80)), e), m))
                mstore(add(state_, 0xa0), and(add(mload(add(state_, 0xa0)), f), m))
                mstore(add(state_, 0xc0), and(add(mload(add(state_, 0xc0)), g), m))
                mstore(add(state_, 0xe0), and(add(mload(add(state_, 0xe0)), h), m))
            }
        }
    }
}
