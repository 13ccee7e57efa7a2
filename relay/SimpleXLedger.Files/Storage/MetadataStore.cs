using Microsoft.Data.Sqlite;
using SimpleXLedger.Relay.Metering;

namespace SimpleXLedger.Files.Storage;

/// <summary>
/// The chunk records in SQLite (<c>files.db</c>: WAL, <c>synchronous=FULL</c>, so a commit is on disk when it
/// returns): chunks, recipient ids, and the metering plugin's key-value state, written in the same transaction as the
/// chunk it paid for. One connection, one writer at a time; reads go to the database, so an operator's block from
/// another process (<c>sxl files block</c>) takes effect at once.
/// </summary>
internal sealed class MetadataStore : IDisposable
{
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS chunks (
            storage_id BLOB PRIMARY KEY, sender_id BLOB NOT NULL UNIQUE, sender_key BLOB NOT NULL, size INTEGER NOT NULL,
            digest BLOB NOT NULL, expires INTEGER NOT NULL, uploaded INTEGER NOT NULL DEFAULT 0, blocked INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE IF NOT EXISTS recipients (recipient_id BLOB PRIMARY KEY, storage_id BLOB NOT NULL, recipient_key BLOB NOT NULL);
        CREATE INDEX IF NOT EXISTS recipients_by_chunk ON recipients (storage_id);
        CREATE INDEX IF NOT EXISTS chunks_by_expiry ON chunks (expires);
        CREATE TABLE IF NOT EXISTS metering_store (key TEXT PRIMARY KEY, value BLOB NOT NULL);
        """;

    private const string ChunkColumns = "c.storage_id, c.sender_id, c.sender_key, c.size, c.digest, c.expires, c.uploaded, c.blocked";

    private readonly SqliteConnection _connection;
    private readonly SemaphoreSlim _gate = new(1, 1);

    private MetadataStore(SqliteConnection connection) => _connection = connection;

    public static MetadataStore Open(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        using var setup = connection.CreateCommand();
        setup.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000; " + Schema;
        setup.ExecuteNonQuery();
        return new MetadataStore(connection);
    }

    /// <summary>Runs <paramref name="work"/> alone on the connection, in one transaction when <paramref name="write"/>.</summary>
    public async Task<T> RunAsync<T>(bool write, Func<SqliteConnection, SqliteTransaction?, T> work, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!write)
            {
                return work(_connection, null);
            }

            using var transaction = _connection.BeginTransaction();
            var result = work(_connection, transaction);
            transaction.Commit();
            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    public Task<ChunkRecord?> FindBySenderAsync(byte[] senderId, CancellationToken ct) =>
        RunAsync(false, (c, _) => ReadChunk(c, $"SELECT {ChunkColumns} FROM chunks c WHERE c.sender_id = $id", senderId), ct);

    public Task<RecipientRecord?> FindByRecipientAsync(byte[] recipientId, CancellationToken ct) => RunAsync(false, (c, _) =>
    {
        using var command = c.CreateCommand();
        command.CommandText = $"SELECT r.recipient_key, {ChunkColumns} FROM recipients r JOIN chunks c ON c.storage_id = r.storage_id WHERE r.recipient_id = $id";
        command.Parameters.AddWithValue("$id", recipientId);
        using var reader = command.ExecuteReader();
        return reader.Read() ? new RecipientRecord(recipientId, (byte[])reader.GetValue(0), Chunk(reader, 1)) : null;
    }, ct);

    /// <summary>Bytes of every registered chunk (the quota counts a chunk from registration).</summary>
    public static long ReservedBytes(SqliteConnection c, SqliteTransaction? t)
    {
        using var command = c.CreateCommand();
        command.Transaction = t;
        command.CommandText = "SELECT COALESCE(SUM(size), 0) FROM chunks";
        return (long)command.ExecuteScalar()!;
    }

    public static void InsertChunk(SqliteConnection c, SqliteTransaction t, ChunkRecord chunk)
    {
        using var command = c.CreateCommand();
        command.Transaction = t;
        command.CommandText = "INSERT INTO chunks (storage_id, sender_id, sender_key, size, digest, expires) VALUES ($s, $id, $k, $size, $d, $e)";
        command.Parameters.AddWithValue("$s", chunk.StorageId);
        command.Parameters.AddWithValue("$id", chunk.SenderId);
        command.Parameters.AddWithValue("$k", chunk.SenderKey);
        command.Parameters.AddWithValue("$size", chunk.Size);
        command.Parameters.AddWithValue("$d", chunk.Digest);
        command.Parameters.AddWithValue("$e", chunk.Expires);
        command.ExecuteNonQuery();
    }

    public static void InsertRecipient(SqliteConnection c, SqliteTransaction t, byte[] storageId, byte[] recipientId, byte[] recipientKey)
    {
        using var command = c.CreateCommand();
        command.Transaction = t;
        command.CommandText = "INSERT INTO recipients (recipient_id, storage_id, recipient_key) VALUES ($id, $s, $k)";
        command.Parameters.AddWithValue("$id", recipientId);
        command.Parameters.AddWithValue("$s", storageId);
        command.Parameters.AddWithValue("$k", recipientKey);
        command.ExecuteNonQuery();
    }

    public static int CountRecipients(SqliteConnection c, SqliteTransaction? t, byte[] storageId)
    {
        using var command = c.CreateCommand();
        command.Transaction = t;
        command.CommandText = "SELECT COUNT(*) FROM recipients WHERE storage_id = $s";
        command.Parameters.AddWithValue("$s", storageId);
        return (int)(long)command.ExecuteScalar()!;
    }

    public Task MarkUploadedAsync(byte[] storageId, CancellationToken ct) => RunAsync(true, (c, t) => Execute(c, t, "UPDATE chunks SET uploaded = 1 WHERE storage_id = $id", storageId), ct);

    /// <summary>Deletes a chunk's record and every recipient id with it; false if it was gone already.</summary>
    public Task<bool> DeleteChunkAsync(byte[] storageId, CancellationToken ct) => RunAsync(true, (c, t) =>
    {
        Execute(c, t, "DELETE FROM recipients WHERE storage_id = $id", storageId);
        return Execute(c, t, "DELETE FROM chunks WHERE storage_id = $id", storageId) > 0;
    }, ct);

    public Task<bool> DeleteRecipientAsync(byte[] recipientId, CancellationToken ct) =>
        RunAsync(true, (c, t) => Execute(c, t, "DELETE FROM recipients WHERE recipient_id = $id", recipientId) > 0, ct);

    /// <summary>Blocks the chunk that <paramref name="id"/> (a sender or recipient id) names; false if no chunk has it.</summary>
    public Task<bool> BlockAsync(byte[] id, CancellationToken ct) => RunAsync(true, (c, t) =>
        Execute(c, t, "UPDATE chunks SET blocked = 1 WHERE sender_id = $id OR storage_id = (SELECT storage_id FROM recipients WHERE recipient_id = $id)", id) > 0, ct);

    /// <summary>Storage ids of chunks whose time is up at <paramref name="now"/> (unix seconds).</summary>
    public Task<IReadOnlyList<byte[]>> ExpiredAsync(long now, CancellationToken ct) =>
        RunAsync(false, (c, _) => Ids(c, "SELECT storage_id FROM chunks WHERE expires <= $id", now), ct);

    /// <summary>Storage ids whose body may be served (uploaded), for the sweep at start.</summary>
    public Task<IReadOnlyList<byte[]>> UploadedAsync(CancellationToken ct) =>
        RunAsync(false, (c, _) => Ids(c, "SELECT storage_id FROM chunks WHERE uploaded = 1 AND $id = $id", 0L), ct);

    public Task<(long Chunks, long Recipients, long Bytes)> CountsAsync(CancellationToken ct) => RunAsync(false, (c, _) =>
    {
        using var command = c.CreateCommand();
        command.CommandText = "SELECT (SELECT COUNT(*) FROM chunks), (SELECT COUNT(*) FROM recipients), (SELECT COALESCE(SUM(size), 0) FROM chunks WHERE uploaded = 1)";
        using var reader = command.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
    }, ct);

    public IEnumerable<KeyValuePair<string, byte[]>> LoadMeteringEntries()
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT key, value FROM metering_store";
        using var reader = command.ExecuteReader();
        var entries = new List<KeyValuePair<string, byte[]>>();
        while (reader.Read())
        {
            entries.Add(new(reader.GetString(0), (byte[])reader.GetValue(1)));
        }

        return entries;
    }

    public static void ApplyMeteringWrites(SqliteConnection c, SqliteTransaction t, IReadOnlyList<StoreWrite> writes)
    {
        foreach (var w in writes)
        {
            using var command = c.CreateCommand();
            command.Transaction = t;
            command.Parameters.AddWithValue("$k", w.Key);
            if (w.Value is { } value)
            {
                command.CommandText = "INSERT INTO metering_store (key, value) VALUES ($k, $v) ON CONFLICT(key) DO UPDATE SET value = excluded.value";
                command.Parameters.AddWithValue("$v", value.ToArray());
            }
            else
            {
                command.CommandText = "DELETE FROM metering_store WHERE key = $k";
            }

            command.ExecuteNonQuery();
        }
    }

    private static int Execute(SqliteConnection c, SqliteTransaction? t, string sql, object id)
    {
        using var command = c.CreateCommand();
        command.Transaction = t;
        command.CommandText = sql;
        command.Parameters.AddWithValue("$id", id);
        return command.ExecuteNonQuery();
    }

    private static IReadOnlyList<byte[]> Ids(SqliteConnection c, string sql, object arg)
    {
        using var command = c.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$id", arg);
        using var reader = command.ExecuteReader();
        var ids = new List<byte[]>();
        while (reader.Read())
        {
            ids.Add((byte[])reader.GetValue(0));
        }

        return ids;
    }

    private static ChunkRecord? ReadChunk(SqliteConnection c, string sql, byte[] id)
    {
        using var command = c.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$id", id);
        using var reader = command.ExecuteReader();
        return reader.Read() ? Chunk(reader, 0) : null;
    }

    private static ChunkRecord Chunk(SqliteDataReader r, int o) => new(
        (byte[])r.GetValue(o), (byte[])r.GetValue(o + 1), (byte[])r.GetValue(o + 2), r.GetInt32(o + 3), (byte[])r.GetValue(o + 4),
        r.GetInt64(o + 5), r.GetInt64(o + 6) != 0, r.GetInt64(o + 7) != 0);

    public void Dispose()
    {
        _connection.Dispose();
        _gate.Dispose();
    }
}
