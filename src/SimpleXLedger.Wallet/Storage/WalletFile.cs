using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;

namespace SimpleXLedger.Wallet.Storage;

/// <summary>One decrypted record: its kind, its id and its plaintext.</summary>
internal sealed record StoredRecord(string Kind, byte[] Id, byte[] Plaintext);

/// <summary>A write to the file: put (seal and insert or replace) or delete one record.</summary>
internal sealed record RecordChange(string Kind, byte[] Id, byte[]? Plaintext)
{
    public static RecordChange Put(string kind, byte[] id, byte[] plaintext) => new(kind, id, plaintext);

    public static RecordChange Delete(string kind, byte[] id) => new(kind, id, null);
}

/// <summary>
/// The wallet file: one SQLite database with a plaintext header (format, wallet id, Argon2id parameters, salt, a
/// sealed key check and a digest of all of it) and one table of sealed records. Opening checks the header digest
/// (a damaged header is <see cref="WalletError.Tampered"/>), then the key check (<see cref="WalletError.WrongPassphrase"/>),
/// then decrypts every record (any failure is <see cref="WalletError.Tampered"/>) before anything is written.
/// The file is held with an exclusive lock while open, so two processes never write one wallet.
/// </summary>
internal sealed class WalletFile : IDisposable
{
    public const int FormatVersion = 1;
    private const int WalletIdLength = 16;
    private static readonly byte[] HeaderContext = Encoding.ASCII.GetBytes("sxl-wallet-header-v1\0");
    private static readonly byte[] KeyCheckPlaintext = Encoding.ASCII.GetBytes("sxl wallet key check v1");

    private readonly SqliteConnection _db;
    private readonly FileStream _lock;
    private readonly WalletCipher _cipher;

    private WalletFile(string path, SqliteConnection db, FileStream lockHandle, WalletCipher cipher, byte[] walletId, KdfParameters kdf)
    {
        Path = path;
        _db = db;
        _lock = lockHandle;
        _cipher = cipher;
        WalletId = walletId;
        Kdf = kdf;
    }

    public string Path { get; }

    /// <summary>Random, public: binds every record to this file (it is associated data of each seal).</summary>
    public byte[] WalletId { get; }

    public KdfParameters Kdf { get; }

    /// <summary>Makes a new wallet file (owner-only), refusing to overwrite anything.</summary>
    public static WalletFile Create(string path, string passphrase, KdfParameters kdf)
    {
        ArgumentNullException.ThrowIfNull(kdf);
        kdf.Validate();
        path = System.IO.Path.GetFullPath(path);
        var directory = System.IO.Path.GetDirectoryName(path)!;
        if (!Directory.Exists(directory))
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory);
            }
            else
            {
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        FileStream lockHandle;
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.ReadWrite, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            lockHandle = new FileStream(path, options);
        }
        catch (IOException) when (File.Exists(path))
        {
            throw new WalletException(WalletError.AlreadyExists, $"{path} already exists; a wallet is never overwritten");
        }

        var walletId = RandomNumberGenerator.GetBytes(WalletIdLength);
        var salt = RandomNumberGenerator.GetBytes(WalletCipher.SaltLength);
        WalletCipher? cipher = null;
        SqliteConnection? db = null;
        try
        {
            cipher = WalletCipher.Derive(passphrase, salt, kdf, walletId);
            var canonical = CanonicalHeader(FormatVersion, walletId, kdf, salt);
            var (checkNonce, check) = cipher.Seal(canonical, KeyCheckPlaintext);
            var digest = HeaderDigest(canonical, checkNonce, check);
            db = Connect(path);
            Execute(db, """
                CREATE TABLE wallet_header (
                    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
                    format INTEGER NOT NULL,
                    wallet_id BLOB NOT NULL,
                    kdf TEXT NOT NULL,
                    kdf_memory_kib INTEGER NOT NULL,
                    kdf_passes INTEGER NOT NULL,
                    kdf_parallelism INTEGER NOT NULL,
                    salt BLOB NOT NULL,
                    aead TEXT NOT NULL,
                    key_check_nonce BLOB NOT NULL,
                    key_check BLOB NOT NULL,
                    header_digest BLOB NOT NULL);
                CREATE TABLE records (
                    kind TEXT NOT NULL,
                    id BLOB NOT NULL,
                    nonce BLOB NOT NULL,
                    sealed BLOB NOT NULL,
                    PRIMARY KEY (kind, id)) WITHOUT ROWID;
                """);
            using (var insert = db.CreateCommand())
            {
                insert.CommandText = """
                    INSERT INTO wallet_header VALUES (1, $format, $id, $kdf, $memory, $passes, 1, $salt, $aead, $nonce, $check, $digest)
                    """;
                insert.Parameters.AddWithValue("$format", FormatVersion);
                insert.Parameters.AddWithValue("$id", walletId);
                insert.Parameters.AddWithValue("$kdf", WalletCipher.KdfName);
                insert.Parameters.AddWithValue("$memory", kdf.MemoryKib);
                insert.Parameters.AddWithValue("$passes", kdf.Passes);
                insert.Parameters.AddWithValue("$salt", salt);
                insert.Parameters.AddWithValue("$aead", WalletCipher.AeadName);
                insert.Parameters.AddWithValue("$nonce", checkNonce);
                insert.Parameters.AddWithValue("$check", check);
                insert.Parameters.AddWithValue("$digest", digest);
                insert.ExecuteNonQuery();
            }

            return new WalletFile(path, db, lockHandle, cipher, walletId, kdf);
        }
        catch
        {
            db?.Dispose();
            cipher?.Dispose();
            lockHandle.Dispose();
            File.Delete(path);
            throw;
        }
    }

    /// <summary>Opens a wallet: header digest, then passphrase, then every record. Reads only; writes nothing.</summary>
    public static (WalletFile File, IReadOnlyList<StoredRecord> Records) Open(string path, string passphrase)
    {
        ArgumentNullException.ThrowIfNull(passphrase);
        path = System.IO.Path.GetFullPath(path);
        if (!File.Exists(path))
        {
            throw new WalletException(WalletError.NotFound, $"no wallet at {path}");
        }

        FileStream lockHandle;
        try
        {
            lockHandle = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new WalletException(WalletError.InUse, $"the wallet {path} is open in another process", e);
        }

        SqliteConnection? db = null;
        WalletCipher? cipher = null;
        try
        {
            db = Connect(path);
            var header = ReadHeader(db);
            cipher = WalletCipher.Derive(passphrase, header.Salt, header.Kdf, header.WalletId);
            if (cipher.Open(header.Canonical, header.KeyCheckNonce, header.KeyCheck) is not { } check
                || !CryptographicOperations.FixedTimeEquals(check, KeyCheckPlaintext))
            {
                throw new WalletException(WalletError.WrongPassphrase, "the passphrase does not open this wallet");
            }

            var records = ReadRecords(db, cipher);
            var file = new WalletFile(path, db, lockHandle, cipher, header.WalletId, header.Kdf);
            return (file, records);
        }
        catch (SqliteException e)
        {
            db?.Dispose();
            cipher?.Dispose();
            lockHandle.Dispose();
            throw new WalletException(WalletError.Tampered, "the wallet file is damaged (not a readable SQLite database)", e);
        }
        catch
        {
            db?.Dispose();
            cipher?.Dispose();
            lockHandle.Dispose();
            throw;
        }
    }

    /// <summary>Applies the changes in one transaction (all or nothing), each put sealed with a fresh nonce.</summary>
    public void Write(IReadOnlyCollection<RecordChange> changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        if (changes.Count == 0)
        {
            return;
        }

        using var transaction = _db.BeginTransaction();
        using var put = _db.CreateCommand();
        put.Transaction = transaction;
        put.CommandText = "INSERT OR REPLACE INTO records (kind, id, nonce, sealed) VALUES ($kind, $id, $nonce, $sealed)";
        var pKind = put.Parameters.Add("$kind", SqliteType.Text);
        var pId = put.Parameters.Add("$id", SqliteType.Blob);
        var pNonce = put.Parameters.Add("$nonce", SqliteType.Blob);
        var pSealed = put.Parameters.Add("$sealed", SqliteType.Blob);
        using var delete = _db.CreateCommand();
        delete.Transaction = transaction;
        delete.CommandText = "DELETE FROM records WHERE kind = $kind AND id = $id";
        var dKind = delete.Parameters.Add("$kind", SqliteType.Text);
        var dId = delete.Parameters.Add("$id", SqliteType.Blob);
        foreach (var change in changes)
        {
            if (change.Plaintext is { } plaintext)
            {
                var (nonce, sealedValue) = _cipher.SealRecord(change.Kind, change.Id, plaintext);
                pKind.Value = change.Kind;
                pId.Value = change.Id;
                pNonce.Value = nonce;
                pSealed.Value = sealedValue;
                put.ExecuteNonQuery();
            }
            else
            {
                dKind.Value = change.Kind;
                dId.Value = change.Id;
                delete.ExecuteNonQuery();
            }
        }

        transaction.Commit();
    }

    /// <summary>A consistent copy of the file (SQLite's online backup): sealed exactly as here, under the same passphrase.</summary>
    public void CopyTo(string destination)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            new FileStream(destination, options).Dispose();
        }
        catch (IOException) when (File.Exists(destination))
        {
            throw new WalletException(WalletError.AlreadyExists, $"{destination} already exists; not overwriting it");
        }

        using var target = Connect(destination);
        _db.BackupDatabase(target);
    }

    public void Dispose()
    {
        _db.Dispose();
        _cipher.Dispose();
        _lock.Dispose();
    }

    private static SqliteConnection Connect(string path)
    {
        var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, Mode = SqliteOpenMode.ReadWrite }.ToString());
        db.Open();
        Execute(db, "PRAGMA journal_mode = DELETE; PRAGMA synchronous = FULL;");
        return db;
    }

    private static void Execute(SqliteConnection db, string sql)
    {
        using var command = db.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private sealed record Header(byte[] WalletId, KdfParameters Kdf, byte[] Salt, byte[] KeyCheckNonce, byte[] KeyCheck, byte[] Canonical);

    private static Header ReadHeader(SqliteConnection db)
    {
        using var command = db.CreateCommand();
        command.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('wallet_header', 'records')";
        using (var tables = command.ExecuteReader())
        {
            var count = 0;
            while (tables.Read())
            {
                count++;
            }

            if (count != 2)
            {
                throw new WalletException(WalletError.NotAWallet, "this file is not a SimpleXLedger wallet");
            }
        }

        command.CommandText = "SELECT format, wallet_id, kdf, kdf_memory_kib, kdf_passes, kdf_parallelism, salt, aead, key_check_nonce, key_check, header_digest FROM wallet_header";
        using var r = command.ExecuteReader();
        if (!r.Read())
        {
            throw new WalletException(WalletError.Tampered, "the wallet header is missing");
        }

        var format = r.GetInt64(0);
        if (format != FormatVersion)
        {
            throw new WalletException(WalletError.UnsupportedFormat, $"wallet format {format} is not supported by this version (it reads format {FormatVersion})");
        }

        var walletId = Blob(r, 1);
        var kdfName = r.GetString(2);
        var kdf = new KdfParameters(r.GetInt64(3), r.GetInt64(4));
        var parallelism = r.GetInt64(5);
        var salt = Blob(r, 6);
        var aead = r.GetString(7);
        var keyCheckNonce = Blob(r, 8);
        var keyCheck = Blob(r, 9);
        var digest = Blob(r, 10);
        if (r.Read())
        {
            throw new WalletException(WalletError.Tampered, "the wallet header has more than one row");
        }

        if (walletId.Length != WalletIdLength || salt.Length != WalletCipher.SaltLength || kdfName != WalletCipher.KdfName
            || aead != WalletCipher.AeadName || parallelism != 1 || !kdf.IsValid)
        {
            throw new WalletException(WalletError.Tampered, "the wallet header is damaged or was altered");
        }

        var canonical = CanonicalHeader(FormatVersion, walletId, kdf, salt);
        if (!CryptographicOperations.FixedTimeEquals(HeaderDigest(canonical, keyCheckNonce, keyCheck), digest))
        {
            throw new WalletException(WalletError.Tampered, "the wallet header is damaged or was altered");
        }

        return new Header(walletId, kdf, salt, keyCheckNonce, keyCheck, canonical);
    }

    private static List<StoredRecord> ReadRecords(SqliteConnection db, WalletCipher cipher)
    {
        using var command = db.CreateCommand();
        command.CommandText = "SELECT kind, id, nonce, sealed FROM records";
        using var r = command.ExecuteReader();
        var records = new List<StoredRecord>();
        while (r.Read())
        {
            var kind = r.GetString(0);
            var id = Blob(r, 1);
            var plaintext = cipher.OpenRecord(kind, id, Blob(r, 2), Blob(r, 3))
                ?? throw new WalletException(WalletError.Tampered, $"a {kind} record of the wallet is damaged or was altered");
            records.Add(new StoredRecord(kind, id, plaintext));
        }

        return records;
    }

    private static byte[] Blob(SqliteDataReader r, int column) => r.IsDBNull(column) ? [] : (byte[])r.GetValue(column);

    /// <summary>Every header field in a fixed encoding: the associated data of the key check.</summary>
    private static byte[] CanonicalHeader(int format, byte[] walletId, KdfParameters kdf, byte[] salt)
    {
        var kdfName = Encoding.ASCII.GetBytes(WalletCipher.KdfName);
        var aead = Encoding.ASCII.GetBytes(WalletCipher.AeadName);
        var buffer = new byte[HeaderContext.Length + 4 + walletId.Length + 1 + kdfName.Length + 8 + 8 + 4 + salt.Length + 1 + aead.Length];
        var w = buffer.AsSpan();
        HeaderContext.CopyTo(w);
        w = w[HeaderContext.Length..];
        BinaryPrimitives.WriteInt32BigEndian(w, format);
        walletId.CopyTo(w[4..]);
        w = w[(4 + walletId.Length)..];
        w[0] = (byte)kdfName.Length;
        kdfName.CopyTo(w[1..]);
        w = w[(1 + kdfName.Length)..];
        BinaryPrimitives.WriteInt64BigEndian(w, kdf.MemoryKib);
        BinaryPrimitives.WriteInt64BigEndian(w[8..], kdf.Passes);
        BinaryPrimitives.WriteInt32BigEndian(w[16..], kdf.Parallelism);
        salt.CopyTo(w[20..]);
        w = w[(20 + salt.Length)..];
        w[0] = (byte)aead.Length;
        aead.CopyTo(w[1..]);
        return buffer;
    }

    /// <summary>An unkeyed digest of the header: tells a damaged header apart from a wrong passphrase.</summary>
    private static byte[] HeaderDigest(byte[] canonical, byte[] keyCheckNonce, byte[] keyCheck) =>
        SHA256.HashData([.. canonical, .. keyCheckNonce, .. keyCheck]);
}
