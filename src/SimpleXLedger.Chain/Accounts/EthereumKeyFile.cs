using System.Security.Cryptography;
using System.Text;
using Nethereum.Signer;

namespace SimpleXLedger.Chain.Accounts;

/// <summary>
/// An Ethereum account key kept as 64 hex digits (optionally 0x-prefixed) in a file only its owner
/// may read or write (mode 0600), as every <c>--key &lt;file&gt;</c> option expects. Errors name the
/// file and the problem, never the key.
/// </summary>
public static class EthereumKeyFile
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode GroupOrOther = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Reads a key file; refuses one that others can read or write.</summary>
    public static EthECKey Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new KeyFileException($"key file {path} does not exist");
        }

        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & GroupOrOther) != 0)
        {
            throw new KeyFileException($"key file {path} is readable or writable by others; chmod 600 it");
        }

        var text = File.ReadAllText(path, Encoding.ASCII).Trim();
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            text = text[2..];
        }

        if (text.Length != 64 || !text.All(Uri.IsHexDigit))
        {
            throw new KeyFileException($"key file {path} does not hold a 32-byte hex private key");
        }

        var bytes = Convert.FromHexString(text);
        try
        {
            return new EthECKey(bytes, true);
        }
        catch (ArgumentException)
        {
            throw new KeyFileException($"key file {path} does not hold a valid secp256k1 private key");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    /// <summary>Writes a key to a new file created with mode 0600 (never widening an existing file's mode).</summary>
    public static void Write(string path, EthECKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnly;
        }

        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream, Encoding.ASCII);
        writer.Write(key.GetPrivateKey());
        writer.Write('\n');
    }

    /// <summary>Generates a fresh key with the system's CSPRNG and writes it (mode 0600).</summary>
    public static EthECKey Generate(string path)
    {
        var key = EthECKey.GenerateKey();
        Write(path, key);
        return key;
    }
}

/// <summary>A key file is missing, malformed or too widely readable.</summary>
public sealed class KeyFileException : Exception
{
    public KeyFileException()
    {
    }

    public KeyFileException(string message)
        : base(message)
    {
    }

    public KeyFileException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
