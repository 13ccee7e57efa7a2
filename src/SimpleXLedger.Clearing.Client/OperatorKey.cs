using NSec.Cryptography;

namespace SimpleXLedger.Clearing.Client;

/// <summary>
/// A relay operator's Ed25519 key: it authenticates the operator's relays to the clearing house. Kept as
/// a PKCS#8 PEM file only its owner may read (created on first use). A disposable handle, as NSec keys are.
/// </summary>
public sealed class OperatorKey : IDisposable
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode GroupOrOther = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    private static readonly SignatureAlgorithm Algorithm = SignatureAlgorithm.Ed25519;
    private readonly Key _key;

    private OperatorKey(Key key)
    {
        _key = key;
        PublicKey = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
    }

    /// <summary>The raw 32-byte public key, as registered and sent with every batch.</summary>
    public byte[] PublicKey { get; }

    public string PublicKeyHex => Convert.ToHexStringLower(PublicKey);

    public static OperatorKey Generate() => new(Key.Create(Algorithm, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextArchiving }));

    /// <summary>Reads the key file, or creates it (mode 0600) with a fresh key when it does not exist.</summary>
    public static OperatorKey LoadOrCreate(string path, out bool created)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        created = false;
        if (File.Exists(path))
        {
            return Load(path);
        }

        var key = Generate();
        try
        {
            key.Save(path);
            created = true;
            return key;
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process made it first: use theirs.
            key.Dispose();
            return Load(path);
        }
    }

    /// <summary>Reads a key file; refuses one that others may read or write, and anything but an Ed25519 private key.</summary>
    public static OperatorKey Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new OperatorKeyException($"operator key file {path} does not exist");
        }

        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & GroupOrOther) != 0)
        {
            throw new OperatorKeyException($"operator key file {path} is readable or writable by others; chmod 600 it");
        }

        var bytes = File.ReadAllBytes(path);
        try
        {
            if (Key.TryImport(Algorithm, bytes, KeyBlobFormat.PkixPrivateKeyText, out var key, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextArchiving }))
            {
                return new OperatorKey(key!);
            }
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(bytes);
        }

        throw new OperatorKeyException($"operator key file {path} does not hold an Ed25519 private key (PKCS#8 PEM)");
    }

    /// <summary>Writes the key to a new file (mode 0600); never overwrites.</summary>
    public void Save(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnly;
        }

        var blob = _key.Export(KeyBlobFormat.PkixPrivateKeyText);
        try
        {
            using var stream = new FileStream(path, options);
            stream.Write(blob);
            stream.Flush(flushToDisk: true);
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(blob);
        }
    }

    public byte[] Sign(ReadOnlySpan<byte> data) => Algorithm.Sign(_key, data);

    /// <summary>Checks an operator signature against a raw public key; false for malformed keys or signatures.</summary>
    public static bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        if (publicKey.Length != ClearingProtocol.OperatorKeyLength || signature.Length != ClearingProtocol.OperatorSignatureLength)
        {
            return false;
        }

        return NSec.Cryptography.PublicKey.TryImport(Algorithm, publicKey, KeyBlobFormat.RawPublicKey, out var key)
            && Algorithm.Verify(key!, data, signature);
    }

    public void Dispose() => _key.Dispose();

    public override string ToString() => $"OperatorKey({PublicKeyHex})";
}

/// <summary>An operator key file is missing, malformed or too widely readable. The message names the file, never the key.</summary>
public sealed class OperatorKeyException : Exception
{
    public OperatorKeyException()
    {
    }

    public OperatorKeyException(string message)
        : base(message)
    {
    }

    public OperatorKeyException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
