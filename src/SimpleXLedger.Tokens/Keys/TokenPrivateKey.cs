using SimpleXLedger.Tokens.BlindRsa;

namespace SimpleXLedger.Tokens;

/// <summary>
/// A token type 2 issuer private key (RSA-2048, e = 65537), held by OpenSSL. Dispose it when done.
/// Saved as PKCS#8 PEM (optionally passphrase-encrypted) in a file created owner-only (0600).
/// </summary>
public sealed class TokenPrivateKey : IDisposable
{
    private TokenPrivateKey(RsaBssaPrivateKey rsaKey)
    {
        RsaKey = rsaKey;
        PublicKey = TokenPublicKey.FromRsaKey(rsaKey.PublicKey);
    }

    public TokenPublicKey PublicKey { get; }

    /// <summary>The RSA key for RSABSSA BlindSign.</summary>
    public RsaBssaPrivateKey RsaKey { get; }

    public static TokenPrivateKey Generate() => new(RsaBssaPrivateKey.Generate(TokenPublicKey.ModulusBits));

    /// <summary>Takes ownership of an RSA-2048 key; throws <see cref="TokenException"/> (InvalidKey) for other sizes.</summary>
    public static TokenPrivateKey FromRsaKey(RsaBssaPrivateKey rsaKey)
    {
        ArgumentNullException.ThrowIfNull(rsaKey);
        if (!TokenPublicKey.IsType2(rsaKey.PublicKey))
        {
            throw new TokenException(TokenError.InvalidKey);
        }

        return new TokenPrivateKey(rsaKey);
    }

    /// <summary>From PEM: "PRIVATE KEY", or "ENCRYPTED PRIVATE KEY" with the passphrase. Throws <see cref="TokenException"/> (InvalidKey).</summary>
    public static TokenPrivateKey FromPem(ReadOnlySpan<char> pem, ReadOnlySpan<char> passphrase = default)
    {
        RsaBssaPrivateKey rsa;
        try
        {
            rsa = RsaBssaPrivateKey.ImportPem(pem, passphrase);
        }
        catch (RsaBssaException)
        {
            throw new TokenException(TokenError.InvalidKey);
        }

        if (!TokenPublicKey.IsType2(rsa.PublicKey))
        {
            rsa.Dispose();
            throw new TokenException(TokenError.InvalidKey);
        }

        return new TokenPrivateKey(rsa);
    }

    /// <summary>Loads a PEM file written by <see cref="Save"/> (or any PKCS#8 RSA-2048 PEM).</summary>
    public static TokenPrivateKey Load(string path, ReadOnlySpan<char> passphrase = default)
    {
        var pem = File.ReadAllText(path);
        return FromPem(pem, passphrase);
    }

    /// <summary>
    /// Writes the key as PKCS#8 PEM to a new file created with mode 0600 (never widened, never chmod-ed later).
    /// Refuses to overwrite an existing file. With a passphrase the PEM is "ENCRYPTED PRIVATE KEY".
    /// </summary>
    public void Save(string path, ReadOnlySpan<char> passphrase = default)
    {
        var pem = passphrase.IsEmpty ? RsaKey.ExportPkcs8Pem() : RsaKey.ExportEncryptedPkcs8Pem(passphrase);
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        writer.Write(pem);
        writer.Flush();
        stream.Flush(flushToDisk: true);
    }

    public string ExportPkcs8Pem() => RsaKey.ExportPkcs8Pem();

    public string ExportEncryptedPkcs8Pem(ReadOnlySpan<char> passphrase) => RsaKey.ExportEncryptedPkcs8Pem(passphrase);

    public void Dispose() => RsaKey.Dispose();

    public override string ToString() => $"TokenPrivateKey({PublicKey.KeyIdHex})";
}
