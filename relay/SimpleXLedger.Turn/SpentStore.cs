using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using SimpleXLedger.Relay.Metering;

namespace SimpleXLedger.Turn;

/// <summary>
/// The tokens plugin's store for the TURN service: its spent-set (token nonce and key id prefix, with the key's
/// redeem-until time; never a credential) in a SQLite file, WAL with a full sync on commit, read from memory.
/// Writes are serialised, each one transaction; a must-be-new key that exists refuses the whole write.
/// </summary>
internal sealed class SpentStore : IMeteringStore, IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly ConcurrentDictionary<string, byte[]> _entries = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _writer = new(1, 1);

    private SpentStore(SqliteConnection connection) => _connection = connection;

    public static SpentStore Open(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        using (var setup = connection.CreateCommand())
        {
            setup.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000; CREATE TABLE IF NOT EXISTS metering_store (key TEXT PRIMARY KEY, value BLOB NOT NULL);";
            setup.ExecuteNonQuery();
        }

        var store = new SpentStore(connection);
        using var read = connection.CreateCommand();
        read.CommandText = "SELECT key, value FROM metering_store";
        using var reader = read.ExecuteReader();
        while (reader.Read())
        {
            store._entries[reader.GetString(0)] = (byte[])reader.GetValue(1);
        }

        return store;
    }

    public int Count => _entries.Count;

    public bool Contains(string key) => _entries.ContainsKey(key);

    public bool TryGet(string key, out ReadOnlyMemory<byte> value)
    {
        var found = _entries.TryGetValue(key, out var bytes);
        value = bytes;
        return found;
    }

    public IReadOnlyList<KeyValuePair<string, ReadOnlyMemory<byte>>> Scan(string prefix) =>
        _entries.Where(e => e.Key.StartsWith(prefix, StringComparison.Ordinal))
            .Select(e => new KeyValuePair<string, ReadOnlyMemory<byte>>(e.Key, e.Value))
            .ToList();

    public async ValueTask<bool> WriteAsync(IReadOnlyList<StoreWrite> writes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(writes);
        await _writer.WaitAsync(cancellationToken);
        try
        {
            if (writes.Any(w => w.MustBeNew && _entries.ContainsKey(w.Key)))
            {
                return false;
            }

            using (var transaction = _connection.BeginTransaction())
            {
                foreach (var w in writes)
                {
                    using var command = _connection.CreateCommand();
                    command.Transaction = transaction;
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

                transaction.Commit();
            }

            foreach (var w in writes)
            {
                if (w.Value is { } value)
                {
                    _entries[w.Key] = value.ToArray();
                }
                else
                {
                    _entries.TryRemove(w.Key, out _);
                }
            }

            return true;
        }
        finally
        {
            _writer.Release();
        }
    }

    public void Dispose()
    {
        _connection.Dispose();
        _writer.Dispose();
    }
}
