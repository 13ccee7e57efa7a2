using System.Security.Cryptography;

namespace SimpleXLedger.Tokens.Interop;

/// <summary>
/// Modular arithmetic on client secrets (the blind r, its inverse, the unblinded signature) done by OpenSSL's
/// constant-time BIGNUM code: Montgomery multiplication, constant-time exponentiation and inversion with
/// BN_FLG_CONSTTIME set on every secret. System.Numerics is never used on secrets.
/// Every number crosses the boundary as a big-endian byte string; every native number is cleared on free.
/// </summary>
internal sealed class BigNumbers : IDisposable
{
    private readonly List<nint> _numbers = [];
    private nint _ctx;
    private nint _mont;

    private BigNumbers()
    {
        _ctx = LibCrypto.BN_CTX_secure_new();
        if (_ctx == 0)
        {
            throw new OutOfMemoryException("BN_CTX_secure_new failed");
        }
    }

    /// <summary>A scope whose Montgomery context is set up for the modulus n.</summary>
    public static BigNumbers ForModulus(ReadOnlySpan<byte> modulus, out nint n)
    {
        var scope = new BigNumbers();
        try
        {
            n = scope.Load(modulus, secret: false);
            scope._mont = LibCrypto.BN_MONT_CTX_new();
            if (scope._mont == 0 || LibCrypto.BN_MONT_CTX_set(scope._mont, n, scope._ctx) != 1)
            {
                throw new CryptographicException("BN_MONT_CTX_set failed");
            }

            return scope;
        }
        catch
        {
            scope.Dispose();
            throw;
        }
    }

    public unsafe nint Load(ReadOnlySpan<byte> bigEndian, bool secret)
    {
        var bn = New(secret);
        fixed (byte* p = bigEndian)
        {
            if (LibCrypto.BN_bin2bn(p, bigEndian.Length, bn) == 0)
            {
                throw new CryptographicException("BN_bin2bn failed");
            }
        }

        return bn;
    }

    public nint New(bool secret)
    {
        var bn = LibCrypto.BN_new();
        if (bn == 0)
        {
            throw new OutOfMemoryException("BN_new failed");
        }

        _numbers.Add(bn);
        if (secret)
        {
            LibCrypto.BN_set_flags(bn, LibCrypto.BnFlagConstTime);
        }

        return bn;
    }

    /// <summary>Writes bn as exactly destination.Length big-endian bytes; false if it does not fit.</summary>
    public static unsafe bool TryWrite(nint bn, Span<byte> destination)
    {
        fixed (byte* p = destination)
        {
            return LibCrypto.BN_bn2binpad(bn, p, destination.Length) == destination.Length;
        }
    }

    /// <summary>0 &lt; a &lt; n (public comparison; used for range checks and rejection sampling).</summary>
    public static bool InRange(nint a, nint n) => LibCrypto.BN_is_zero(a) == 0 && LibCrypto.BN_ucmp(a, n) < 0;

    public bool IsCoprime(nint a, nint n)
    {
        // BN_gcd is constant-time in OpenSSL 3.
        var g = New(secret: true);
        return LibCrypto.BN_gcd(g, a, n, _ctx) == 1 && LibCrypto.BN_is_one(g) == 1;
    }

    /// <summary>r uniform in [1, n) by rejection sampling over RandomNumberGenerator.</summary>
    public nint RandomBelow(nint n, int modulusLength)
    {
        var bits = LibCrypto.BN_num_bits(n);
        var topMask = (byte)(0xFF >> ((8 * modulusLength) - bits));
        var buffer = GC.AllocateArray<byte>(modulusLength, pinned: true);
        try
        {
            while (true)
            {
                RandomNumberGenerator.Fill(buffer);
                buffer[0] &= topMask;
                var r = Load(buffer, secret: true);
                if (InRange(r, n))
                {
                    return r;
                }
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer);
        }
    }

    /// <summary>a^-1 mod n (constant time, a flagged secret); false when a is not invertible.</summary>
    public bool TryInverse(nint a, nint n, out nint inverse)
    {
        inverse = New(secret: true);
        if (LibCrypto.BN_mod_inverse(inverse, a, n, _ctx) == 0)
        {
            LibCrypto.ERR_clear_error();
            return false;
        }

        return true;
    }

    /// <summary>a^p mod n with the constant-time Montgomery ladder of OpenSSL.</summary>
    public nint ModExp(nint a, nint p, nint n)
    {
        var result = New(secret: true);
        if (LibCrypto.BN_mod_exp_mont_consttime(result, a, p, n, _ctx, _mont) != 1)
        {
            LibCrypto.ERR_clear_error();
            throw new CryptographicException("BN_mod_exp_mont_consttime failed");
        }

        return result;
    }

    /// <summary>a·b mod n for a, b &lt; n: one Montgomery product (a·b·R⁻¹) then back out of Montgomery form (·R).</summary>
    public nint ModMul(nint a, nint b)
    {
        var t = New(secret: true);
        var result = New(secret: true);
        if (LibCrypto.BN_mod_mul_montgomery(t, a, b, _mont, _ctx) != 1 || LibCrypto.BN_to_montgomery(result, t, _mont, _ctx) != 1)
        {
            LibCrypto.ERR_clear_error();
            throw new CryptographicException("Montgomery multiplication failed");
        }

        return result;
    }

    public void Dispose()
    {
        foreach (var bn in _numbers)
        {
            LibCrypto.BN_clear_free(bn);
        }

        _numbers.Clear();
        if (_mont != 0)
        {
            LibCrypto.BN_MONT_CTX_free(_mont);
            _mont = 0;
        }

        if (_ctx != 0)
        {
            LibCrypto.BN_CTX_free(_ctx);
            _ctx = 0;
        }
    }
}
