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
/// sealed key check and a digest of all of it) and one table of sealed records.
/// Format 2 (issue 21): a row is (random slot, nonce, sealed); the record's kind and id are inside the seal, padded to
/// <see cref="PadBlock"/> bytes, so the file shows how many records it holds in all but not how many of each kind
/// (tokens, queues, cards, top-ups all seal to 1 KiB; only a redemption in flight, holding 100 blinding states, is
/// visibly larger). Each seal's associated data is the format, the wallet id and the row's slot, so a sealed
/// row moved to another slot, wallet or format does not authenticate. SQLite's secure_delete is on, so deleted rows
/// (spent tokens, blinding inverses) are overwritten with zeros rather than left in free pages.
/// Not covered: rolling the whole file back to an older copy of itself (every row still authenticates); that needs
/// state outside the file and is out of scope. Opening checks the header digest
/// (a damaged header is <see cref="WalletError.Tampered"/>), then the key check (<see cref="WalletError.WrongPassphrase"/>),
/// then decrypts every record (any failure is <see cref="WalletError.Tampered"/>) before anything is written.
/// The file is held with an exclusive lock while open, so two processes never write one wallet.
/// </summary>
internal sealed class WalletFile : IDisposable
{
    public const int FormatVersion = 2;

    /// <summary>Sealed plaintexts are padded to a multiple of this, so a record's size does not tell its kind.</summary>
    public const int PadBlock = 1024;
    private const int WalletIdLength = 16;
    private const int SlotLength = 16;
    private static readonly byte[] HeaderContext = Encoding.ASCII.GetBytes("sxl-wallet-header-v1\0");
    private static readonly byte[] KeyCheckPlaintext = Encoding.ASCII.GetBytes("sxl wallet key check v1");

    private readonly SqliteConnection _db;
    private readonly FileStream _lock;
    private readonly WalletCipher _cipher;
    private readonly Dictionary<string, byte[]> _slots;

    private WalletFile(string path, SqliteConnection db, FileStream lockHandle, WalletCipher cipher, byte[] walletId, KdfParameters kdf, Dictionary<string, byte[]>? slots = null)
    {
        _slots = slots ?? new Dictionary<string, byte[]>(StringComparer.Ordinal);
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
                    slot BLOB PRIMARY KEY,
                    nonce BLOB NOT NULL,
                    sealed BLOB NOT NULL) WITHOUT ROWID;
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

            var (records, slots) = ReadRecords(db, cipher);
            var file = new WalletFile(path, db, lockHandle, cipher, header.WalletId, header.Kdf, slots);
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
        put.CommandText = "INSERT OR REPLACE INTO records (slot, nonce, sealed) VALUES ($slot, $nonce, $sealed)";
        var pSlot = put.Parameters.Add("$slot", SqliteType.Blob);
        var pNonce = put.Parameters.Add("$nonce", SqliteType.Blob);
        var pSealed = put.Parameters.Add("$sealed", SqliteType.Blob);
        using var delete = _db.CreateCommand();
        delete.Transaction = transaction;
        delete.CommandText = "DELETE FROM records WHERE slot = $slot";
        var dSlot = delete.Parameters.Add("$slot", SqliteType.Blob);
        var slots = new Dictionary<string, byte[]>(_slots, StringComparer.Ordinal);
        foreach (var change in changes)
        {
            var key = SlotKey(change.Kind, change.Id);
            if (change.Plaintext is { } plaintext)
            {
                if (!slots.TryGetValue(key, out var slot))
                {
                    slot = RandomNumberGenerator.GetBytes(SlotLength);
                    slots[key] = slot;
                }

                var envelope = Envelope(change.Kind, change.Id, plaintext);
                var (nonce, sealedValue) = _cipher.SealRecord(FormatVersion, slot, envelope);
                CryptographicOperations.ZeroMemory(envelope);
                pSlot.Value = slot;
                pNonce.Value = nonce;
                pSealed.Value = sealedValue;
                put.ExecuteNonQuery();
            }
            else if (slots.Remove(key, out var slot))
            {
                dSlot.Value = slot;
                delete.ExecuteNonQuery();
            }
        }

        transaction.Commit();
        _slots.Clear();
        foreach (var (key, slot) in slots)
        {
            _slots[key] = slot;
        }
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
        Execute(db, "PRAGMA journal_mode = DELETE; PRAGMA synchronous = FULL; PRAGMA secure_delete = ON;");
        return db;
    }

    /// <summary>Whether this file's connection overwrites deleted content (SQLite's secure_delete); always true.</summary>
    internal bool SecureDelete
    {
        get
        {
            using var command = _db.CreateCommand();
            command.CommandText = "PRAGMA secure_delete";
            return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 1;
        }
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

    private static (List<StoredRecord> Records, Dictionary<string, byte[]> Slots) ReadRecords(SqliteConnection db, WalletCipher cipher)
    {
        using var command = db.CreateCommand();
        command.CommandText = "SELECT slot, nonce, sealed FROM records";
        using var r = command.ExecuteReader();
        var records = new List<StoredRecord>();
        var slots = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        while (r.Read())
        {
            var slot = Blob(r, 0);
            var envelope = (slot.Length == SlotLength ? cipher.OpenRecord(FormatVersion, slot, Blob(r, 1), Blob(r, 2)) : null)
                ?? throw new WalletException(WalletError.Tampered, "a record of the wallet is damaged or was altered");
            var record = Unwrap(envelope)
                ?? throw new WalletException(WalletError.Tampered, "a record of the wallet is malformed");
            if (!slots.TryAdd(SlotKey(record.Kind, record.Id), slot))
            {
                throw new WalletException(WalletError.Tampered, "the wallet holds one record twice (a row was copied)");
            }

            records.Add(record);
        }

        return (records, slots);
    }

    private static string SlotKey(string kind, byte[] id) => kind + "/" + Convert.ToHexString(id);

    /// <summary>len(kind) ‖ kind ‖ len(id) ‖ id ‖ len(plaintext) ‖ plaintext ‖ zeros to a multiple of <see cref="PadBlock"/>.</summary>
    private static byte[] Envelope(string kind, byte[] id, byte[] plaintext)
    {
        var kindBytes = Encoding.ASCII.GetBytes(kind);
        var length = 1 + kindBytes.Length + 2 + id.Length + 4 + plaintext.Length;
        var envelope = new byte[(length + PadBlock - 1) / PadBlock * PadBlock];
        var w = envelope.AsSpan();
        w[0] = checked((byte)kindBytes.Length);
        kindBytes.CopyTo(w[1..]);
        w = w[(1 + kindBytes.Length)..];
        BinaryPrimitives.WriteUInt16BigEndian(w, checked((ushort)id.Length));
        id.CopyTo(w[2..]);
        w = w[(2 + id.Length)..];
        BinaryPrimitives.WriteInt32BigEndian(w, plaintext.Length);
        plaintext.CopyTo(w[4..]);
        return envelope;
    }

    private static StoredRecord? Unwrap(ReadOnlySpan<byte> envelope)
    {
        if (envelope.Length < 1 || envelope.Length < 1 + envelope[0] + 2)
        {
            return null;
        }

        var kind = Encoding.ASCII.GetString(envelope.Slice(1, envelope[0]));
        var rest = envelope[(1 + envelope[0])..];
        int idLength = BinaryPrimitives.ReadUInt16BigEndian(rest);
        if (rest.Length < 2 + idLength + 4)
        {
            return null;
        }

        var id = rest.Slice(2, idLength).ToArray();
        rest = rest[(2 + idLength)..];
        var length = BinaryPrimitives.ReadInt32BigEndian(rest);
        if (length < 0 || rest.Length - 4 < length)
        {
            return null;
        }

        return new StoredRecord(kind, id, rest.Slice(4, length).ToArray());
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
