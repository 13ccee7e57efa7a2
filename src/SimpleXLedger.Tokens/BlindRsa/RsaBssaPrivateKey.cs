using System.Security.Cryptography;
using SimpleXLedger.Tokens.Interop;

namespace SimpleXLedger.Tokens.BlindRsa;

/// <summary>
/// An RSA private key for RSABSSA BlindSign, held by OpenSSL (through .NET's <see cref="RSAOpenSsl"/>).
/// Dispose it when done; the key material never leaves native memory except through the explicit
/// PKCS#8 export methods. Safe to use from several threads at once.
/// </summary>
public sealed class RsaBssaPrivateKey : IDisposable
{
    private readonly RSAOpenSsl _rsa;
    private readonly OpenSslRsaKey _raw;

    private RsaBssaPrivateKey(RSAOpenSsl rsa)
    {
        _rsa = rsa;
        var p = rsa.ExportParameters(includePrivateParameters: false);
        PublicKey = RsaBssaPublicKey.TryFromParameters(p.Modulus, p.Exponent, out var pk)
            ? pk
            : throw new RsaBssaException(RsaBssaError.InvalidKey);
        _raw = OpenSslKeys.Raw(rsa, PublicKey.ModulusLength);
    }

    public RsaBssaPublicKey PublicKey { get; }

    public int ModulusBits => PublicKey.ModulusBits;

    internal OpenSslRsaKey Raw => _raw;

    /// <summary>Generates a fresh key (e = 65537).</summary>
    public static RsaBssaPrivateKey Generate(int modulusBits = 2048)
    {
        if (modulusBits < RsaBssaPublicKey.MinimumModulusBits || modulusBits > RsaBssaPublicKey.MaximumModulusBits)
        {
            throw new ArgumentOutOfRangeException(nameof(modulusBits));
        }

        return Own(OpenSslKeys.Generate(modulusBits));
    }

    /// <summary>Imports a PEM "PRIVATE KEY" (PKCS#8), "ENCRYPTED PRIVATE KEY" (with a passphrase) or "RSA PRIVATE KEY".</summary>
    public static RsaBssaPrivateKey ImportPem(ReadOnlySpan<char> pem, ReadOnlySpan<char> passphrase = default)
    {
        var rsa = OpenSslKeys.CreateEmpty();
        try
        {
            if (passphrase.IsEmpty)
            {
                rsa.ImportFromPem(pem);
            }
            else
            {
                rsa.ImportFromEncryptedPem(pem, passphrase);
            }
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            rsa.Dispose();

            // The platform's message never names key bytes, but keep ours fixed anyway.
            throw new RsaBssaException(RsaBssaError.InvalidKey);
        }

        return Own(rsa);
    }

    /// <summary>Imports a DER PKCS#8 PrivateKeyInfo.</summary>
    public static RsaBssaPrivateKey ImportPkcs8(ReadOnlySpan<byte> pkcs8)
    {
        var rsa = OpenSslKeys.CreateEmpty();
        try
        {
            rsa.ImportPkcs8PrivateKey(pkcs8, out var read);
            if (read != pkcs8.Length)
            {
                throw new CryptographicException();
            }
        }
        catch (CryptographicException)
        {
            rsa.Dispose();
            throw new RsaBssaException(RsaBssaError.InvalidKey);
        }

        return Own(rsa);
    }

    /// <summary>Imports private RSA parameters (n, e, d, p, q, dp, dq, qi).</summary>
    public static RsaBssaPrivateKey ImportParameters(RSAParameters parameters)
    {
        var rsa = OpenSslKeys.CreateEmpty();
        try
        {
            rsa.ImportParameters(parameters);
        }
        catch (CryptographicException)
        {
            rsa.Dispose();
            throw new RsaBssaException(RsaBssaError.InvalidKey);
        }

        return Own(rsa);
    }

    /// <summary>Unencrypted PKCS#8 PEM ("PRIVATE KEY"). Secret: write it only to owner-only files.</summary>
    public string ExportPkcs8Pem() => _rsa.ExportPkcs8PrivateKeyPem();

    /// <summary>PKCS#8 PEM encrypted under the passphrase (PBES2, AES-256-CBC, PBKDF2-SHA256).</summary>
    public string ExportEncryptedPkcs8Pem(ReadOnlySpan<char> passphrase, int iterations = 600_000)
    {
        if (passphrase.IsEmpty)
        {
            throw new ArgumentException("A passphrase is required.", nameof(passphrase));
        }

        return _rsa.ExportEncryptedPkcs8PrivateKeyPem(passphrase, new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, iterations));
    }

    /// <summary>True when OpenSSL's RSA blinding is enabled for this key's private operation.</summary>
    public bool OpenSslBlindingEnabled => _raw.BlindingEnabled;

    public void Dispose()
    {
        _raw.Dispose();
        _rsa.Dispose();
    }

    private static RsaBssaPrivateKey Own(RSAOpenSsl rsa)
    {
        try
        {
            return new RsaBssaPrivateKey(rsa);
        }
        catch
        {
            rsa.Dispose();
            throw;
        }
    }
}
