using System.Security.Cryptography;
using System.Text;

namespace SimpleXLedger.Turn;

/// <summary>
/// coturn's <c>static-auth-secret</c>, from a file of one or two lines, owner-only (0600). The first line signs new
/// credentials; a second line is the other secret coturn accepts during a change (coturn takes several
/// <c>static-auth-secret</c> lines), kept only so the file mirrors coturn's. The file is read again when it changes,
/// so a rotation needs no restart: add the new secret to coturn, put it first here, and drop the old one from coturn
/// once the last credential signed with it has expired (its validity plus max-allocate-lifetime).
/// </summary>
public sealed class TurnSecret
{
    private readonly string _path;
    private readonly Lock _gate = new();
    private DateTime _readAt;
    private long _length;
    private byte[][] _secrets = [];

    private TurnSecret(string path) => _path = path;

    /// <summary>Opens the secret file; throws <see cref="TurnSecretException"/> if it is missing, readable by others, or malformed.</summary>
    public static TurnSecret Open(string path)
    {
        var secret = new TurnSecret(Path.GetFullPath(path));
        secret.Reload();
        return secret;
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _secrets.Length;
            }
        }
    }

    /// <summary>
    /// base64(HMAC-SHA1(secret, username)) with the first secret: coturn's REST-API password. The file is read again
    /// first if it changed; a change that breaks it keeps the last good secrets (and is logged by the caller's next start).
    /// </summary>
    public string Sign(string username)
    {
        byte[] key;
        lock (_gate)
        {
            var info = new FileInfo(_path);
            if (info.Exists && (info.LastWriteTimeUtc != _readAt || info.Length != _length))
            {
                try
                {
                    Reload();
                }
                catch (TurnSecretException)
                {
                    // Keep signing with the last good secret.
                }
            }

            key = _secrets[0];
        }

        return Convert.ToBase64String(HMACSHA1.HashData(key, Encoding.UTF8.GetBytes(username)));
    }

    private void Reload()
    {
        if (!File.Exists(_path))
        {
            throw new TurnSecretException($"the secret file {_path} does not exist");
        }

        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(_path);
            if ((mode & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute)) != 0)
            {
                throw new TurnSecretException($"the secret file {_path} must be readable by its owner only (chmod 600)");
            }
        }

        var info = new FileInfo(_path);
        var lines = File.ReadAllLines(_path).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        if (lines.Length is < 1 or > 2)
        {
            throw new TurnSecretException($"the secret file {_path} must hold one or two secrets, one a line");
        }

        if (lines.Any(l => l.Length < 16 || l.Any(char.IsWhiteSpace)))
        {
            throw new TurnSecretException($"the secrets in {_path} must be at least 16 characters without spaces");
        }

        _secrets = lines.Select(Encoding.UTF8.GetBytes).ToArray();
        _readAt = info.LastWriteTimeUtc;
        _length = info.Length;
    }
}

public sealed class TurnSecretException : Exception
{
    public TurnSecretException()
    {
    }

    public TurnSecretException(string message)
        : base(message)
    {
    }

    public TurnSecretException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
