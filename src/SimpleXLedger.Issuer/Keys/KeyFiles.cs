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

    /// <summary>Writes a new private key file (never overwrites one).</summary>
    public void Save(string keyId, TokenPrivateKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        key.Save(PathOf(keyId), _passphrase);
    }

    /// <summary>The open private key of a key id, loading it on first use.</summary>
    public TokenPrivateKey Open(string keyId) => _open.GetOrAdd(keyId, Load);

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

        try
        {
            return TokenPrivateKey.FromPem(pem, encrypted ? _passphrase : default);
        }
        catch (TokenException)
        {
            throw new TokenKeyFileException($"the private key of {keyId} could not be read (wrong passphrase?)");
        }
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
