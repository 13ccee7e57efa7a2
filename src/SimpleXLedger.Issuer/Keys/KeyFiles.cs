using System.Collections.Concurrent;
using SimpleXLedger.Tokens;

namespace SimpleXLedger.Issuer.Keys;

/// <summary>
/// The token keys' private halves: one PKCS#8 PEM file per key in <c>&lt;data&gt;/keys/</c>, the directory 0700 and
/// each file created 0600. With a passphrase the file is encrypted PKCS#8 (PBES2, AES-256, PBKDF2-SHA-256).
/// Loaded keys stay open as handles for the life of the process.
/// </summary>
public sealed class KeyFiles : IDisposable
{
    private readonly string _directory;
    private readonly string? _passphrase;
    private readonly ConcurrentDictionary<string, TokenPrivateKey> _open = new(StringComparer.Ordinal);

    public KeyFiles(string dataDirectory, string? passphrase)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dataDirectory);
        _directory = Path.Combine(dataDirectory, "keys");
        _passphrase = string.IsNullOrEmpty(passphrase) ? null : passphrase;
        if (!Directory.Exists(_directory))
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(_directory);
            }
            else
            {
                Directory.CreateDirectory(_directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
    }

    public bool Encrypts => _passphrase is not null;

    /// <summary>
    /// Whether OpenSSL's RSA blinding is on for a key handle. The real probe reads the handle's flags; tests replace
    /// it to see the refusal (blinding cannot be turned off from outside OpenSSL).
    /// </summary>
    internal Func<TokenPrivateKey, bool> BlindingProbe { get; init; } = static key => key.RsaKey.OpenSslBlindingEnabled;

    /// <summary>Writes a new private key file (never overwrites one).</summary>
    public void Save(string keyId, TokenPrivateKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        key.Save(PathOf(keyId), _passphrase);
    }

    /// <summary>
    /// The open private key of a key id, loading it on first use. A handle without OpenSSL's RSA blinding is never
    /// handed out (<see cref="OpenSslBlindingDisabledException"/>).
    /// </summary>
    public TokenPrivateKey Open(string keyId) => _open.GetOrAdd(keyId, Load);

    /// <summary>
    /// The issuer's start check: opens the key it is about to sign with and throws
    /// <see cref="OpenSslBlindingDisabledException"/> unless OpenSSL's RSA blinding is on for that handle, so a
    /// build of OpenSSL (or a key) without it stops the issuer before it serves rather than leaking the private key
    /// through the timing of its signatures.
    /// </summary>
    public void RequireBlinding(string keyId)
    {
        var key = Open(keyId);
        if (!BlindingProbe(key))
        {
            throw new OpenSslBlindingDisabledException(keyId);
        }
    }

    public bool Exists(string keyId) => File.Exists(PathOf(keyId));

    /// <summary>Removes the file of a key that was never registered.</summary>
    public void Delete(string keyId) => File.Delete(PathOf(keyId));

    public void Dispose()
    {
        foreach (var key in _open.Values)
        {
            key.Dispose();
        }

        _open.Clear();
    }

    private TokenPrivateKey Load(string keyId)
    {
        var path = PathOf(keyId);
        if (!File.Exists(path))
        {
            throw new TokenKeyFileException($"the private key of {keyId} is missing from the data directory");
        }

        var pem = File.ReadAllText(path);
        var encrypted = pem.Contains("ENCRYPTED PRIVATE KEY", StringComparison.Ordinal);
        if (encrypted && _passphrase is null)
        {
            throw new TokenKeyFileException($"the private key of {keyId} is encrypted: give its passphrase");
        }

        TokenPrivateKey key;
        try
        {
            key = TokenPrivateKey.FromPem(pem, encrypted ? _passphrase : default);
        }
        catch (TokenException)
        {
            throw new TokenKeyFileException($"the private key of {keyId} could not be read (wrong passphrase?)");
        }

        if (!BlindingProbe(key))
        {
            key.Dispose();
            throw new OpenSslBlindingDisabledException(keyId);
        }

        return key;
    }

    private string PathOf(string keyId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(keyId);
        var hex = keyId.StartsWith("0x", StringComparison.Ordinal) ? keyId[2..] : keyId;
        if (hex.Length != 64 || !hex.All(Uri.IsHexDigit))
        {
            throw new ArgumentException("a key id is 0x + 64 hex digits", nameof(keyId));
        }

        return Path.Combine(_directory, hex + ".pem");
    }
}

/// <summary>A private key file is missing or unreadable. Never carries key material.</summary>
public sealed class TokenKeyFileException : Exception
{
    public TokenKeyFileException()
    {
    }

    public TokenKeyFileException(string message)
        : base(message)
    {
    }

    public TokenKeyFileException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// OpenSSL's RSA blinding is off for a token key's handle: the issuer refuses to sign with it (unblinded RSA private
/// operations leak the key through their timing). Carries the public key id only.
/// </summary>
public sealed class OpenSslBlindingDisabledException : Exception
{
    public OpenSslBlindingDisabledException()
        : base("OpenSSL RSA blinding is off for a token key: the issuer refuses to sign with it")
    {
    }

    public OpenSslBlindingDisabledException(string keyId)
        : base($"OpenSSL RSA blinding is off for token key {keyId}: the issuer refuses to sign with it; use an OpenSSL build with RSA blinding")
    {
    }

    public OpenSslBlindingDisabledException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
