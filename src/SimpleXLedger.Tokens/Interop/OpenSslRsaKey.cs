using System.Security.Cryptography;

namespace SimpleXLedger.Tokens.Interop;

/// <summary>
/// Raw RSA (no padding) on the EVP_PKEY that .NET's <see cref="RSAOpenSsl"/> holds. The private operation is
/// OpenSSL's RSADP: CRT, constant-time exponentiation, and base blinding (RSA_FLAG_NO_BLINDING is never set).
/// Initialised EVP_PKEY_CTX objects are pooled and reused so each call costs one RSA operation, not a context
/// set-up; a context is used by one thread at a time.
/// </summary>
internal sealed class OpenSslRsaKey : IDisposable
{
    private readonly SafeEvpPKeyHandle _key;
    private readonly Stack<nint> _privateContexts = new();
    private readonly Stack<nint> _publicContexts = new();
    private readonly Lock _lock = new();
    private bool _disposed;

    public OpenSslRsaKey(SafeEvpPKeyHandle key, int modulusLength)
    {
        _key = key;
        ModulusLength = modulusLength;
    }

    public int ModulusLength { get; }

    /// <summary>RSADP/RSASP1: input^d mod n. False when input ≥ n (or the operation fails).</summary>
    public unsafe bool TryPrivate(ReadOnlySpan<byte> input, Span<byte> output)
    {
        if (input.Length != ModulusLength || output.Length != ModulusLength)
        {
            return false;
        }

        var ctx = Rent(_privateContexts, isPrivate: true);
        var ok = false;
        try
        {
            var length = (nuint)output.Length;
            fixed (byte* i = input)
            fixed (byte* o = output)
            {
                ok = LibCrypto.EVP_PKEY_decrypt(ctx, o, ref length, i, (nuint)input.Length) == 1 && length == (nuint)ModulusLength;
            }

            return ok;
        }
        finally
        {
            if (!ok)
            {
                LibCrypto.ERR_clear_error();
            }

            Return(_privateContexts, ctx);
        }
    }

    /// <summary>RSAEP/RSAVP1: input^e mod n. False when input ≥ n.</summary>
    public unsafe bool TryPublic(ReadOnlySpan<byte> input, Span<byte> output)
    {
        if (input.Length != ModulusLength || output.Length != ModulusLength)
        {
            return false;
        }

        var ctx = Rent(_publicContexts, isPrivate: false);
        var ok = false;
        try
        {
            var length = (nuint)output.Length;
            fixed (byte* i = input)
            fixed (byte* o = output)
            {
                ok = LibCrypto.EVP_PKEY_encrypt(ctx, o, ref length, i, (nuint)input.Length) == 1 && length == (nuint)ModulusLength;
            }

            return ok;
        }
        finally
        {
            if (!ok)
            {
                LibCrypto.ERR_clear_error();
            }

            Return(_publicContexts, ctx);
        }
    }

    /// <summary>RSASSA-PSS-VERIFY with SHA-384 and MGF1-SHA-384 and the given salt length, over a SHA-384 digest.</summary>
    public unsafe bool VerifyPssSha384(ReadOnlySpan<byte> digest, ReadOnlySpan<byte> signature, int saltLength)
    {
        var ctx = NewContext();
        try
        {
            var md = LibCrypto.EVP_sha384();
            if (LibCrypto.EVP_PKEY_verify_init(ctx) != 1
                || LibCrypto.EVP_PKEY_CTX_set_rsa_padding(ctx, LibCrypto.RsaPkcs1PssPadding) != 1
                || LibCrypto.EVP_PKEY_CTX_set_signature_md(ctx, md) != 1
                || LibCrypto.EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) != 1
                || LibCrypto.EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, saltLength) != 1)
            {
                throw new CryptographicException("EVP_PKEY_verify set-up failed");
            }

            fixed (byte* s = signature)
            fixed (byte* d = digest)
            {
                return LibCrypto.EVP_PKEY_verify(ctx, s, (nuint)signature.Length, d, (nuint)digest.Length) == 1;
            }
        }
        finally
        {
            LibCrypto.ERR_clear_error();
            LibCrypto.EVP_PKEY_CTX_free(ctx);
        }
    }

    /// <summary>True when OpenSSL's RSA blinding is on for this key (RSA_FLAG_NO_BLINDING clear).</summary>
    public bool BlindingEnabled
    {
        get
        {
            var added = false;
            try
            {
                _key.DangerousAddRef(ref added);
                var rsa = LibCrypto.EVP_PKEY_get0_RSA(_key.DangerousGetHandle());
                if (rsa == 0)
                {
                    LibCrypto.ERR_clear_error();
                    throw new CryptographicException("the key has no RSA object");
                }

                return LibCrypto.RSA_test_flags(rsa, LibCrypto.RsaFlagNoBlinding) == 0;
            }
            finally
            {
                if (added)
                {
                    _key.DangerousRelease();
                }
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            FreeAll(_privateContexts);
            FreeAll(_publicContexts);
        }

        _key.Dispose();
    }

    private nint Rent(Stack<nint> pool, bool isPrivate)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (pool.TryPop(out var pooled))
            {
                return pooled;
            }
        }

        var ctx = NewContext();
        var init = isPrivate ? LibCrypto.EVP_PKEY_decrypt_init(ctx) : LibCrypto.EVP_PKEY_encrypt_init(ctx);
        if (init != 1 || LibCrypto.EVP_PKEY_CTX_set_rsa_padding(ctx, LibCrypto.RsaNoPadding) != 1)
        {
            LibCrypto.ERR_clear_error();
            LibCrypto.EVP_PKEY_CTX_free(ctx);
            throw new CryptographicException("EVP_PKEY raw RSA set-up failed");
        }

        return ctx;
    }

    private void Return(Stack<nint> pool, nint ctx)
    {
        lock (_lock)
        {
            if (!_disposed)
            {
                pool.Push(ctx);
                return;
            }
        }

        LibCrypto.EVP_PKEY_CTX_free(ctx);
    }

    private nint NewContext()
    {
        var added = false;
        try
        {
            // The context takes its own reference on the EVP_PKEY.
            _key.DangerousAddRef(ref added);
            var ctx = LibCrypto.EVP_PKEY_CTX_new(_key.DangerousGetHandle(), 0);
            if (ctx == 0)
            {
                LibCrypto.ERR_clear_error();
                throw new CryptographicException("EVP_PKEY_CTX_new failed");
            }

            return ctx;
        }
        finally
        {
            if (added)
            {
                _key.DangerousRelease();
            }
        }
    }

    private static void FreeAll(Stack<nint> pool)
    {
        while (pool.TryPop(out var ctx))
        {
            LibCrypto.EVP_PKEY_CTX_free(ctx);
        }
    }
}
