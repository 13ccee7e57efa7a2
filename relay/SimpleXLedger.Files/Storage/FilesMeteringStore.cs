using System.Collections.Concurrent;
using SimpleXLedger.Relay.Metering;

namespace SimpleXLedger.Files.Storage;

/// <summary>
/// The metering plugin's store (its spent-set, its outbox) in the file relay's database: read from memory, written
/// either on their own (<see cref="WriteAsync"/>) or inside the transaction that registers the chunk the payment
/// bought (<see cref="TryStage"/> then <see cref="Applied"/>), so a token is spent exactly when its chunk exists.
/// </summary>
internal sealed class FilesMeteringStore : IMeteringStore
{
    private readonly MetadataStore _database;
    private readonly ConcurrentDictionary<string, byte[]> _entries = new(StringComparer.Ordinal);

    public FilesMeteringStore(MetadataStore database)
    {
        _database = database;
        foreach (var (key, value) in database.LoadMeteringEntries())
        {
            _entries[key] = value;
        }
    }

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
        var applied = await _database.RunAsync(true, (c, t) =>
        {
            if (!CanApply(writes))
            {
                return false;
            }

            MetadataStore.ApplyMeteringWrites(c, t!, writes);
            return true;
        }, cancellationToken);
        if (applied)
        {
            Applied(writes);
        }

        return applied;
    }

    /// <summary>False if a must-be-new key exists already or repeats within the writes (the database's writer is held).</summary>
    private bool CanApply(IReadOnlyList<StoreWrite> writes) =>
        writes.Where(w => w.MustBeNew).Select(w => w.Key).Distinct(StringComparer.Ordinal).Count() == writes.Count(w => w.MustBeNew)
        && !writes.Any(w => w.MustBeNew && _entries.ContainsKey(w.Key));

    /// <summary>Checks and writes <paramref name="writes"/> in the caller's transaction; call <see cref="Applied"/> after it commits.</summary>
    public bool TryStage(Microsoft.Data.Sqlite.SqliteConnection c, Microsoft.Data.Sqlite.SqliteTransaction t, IReadOnlyList<StoreWrite> writes)
    {
        if (!CanApply(writes))
        {
            return false;
        }

        MetadataStore.ApplyMeteringWrites(c, t, writes);
        return true;
    }

    /// <summary>Mirrors committed writes in memory.</summary>
    public void Applied(IReadOnlyList<StoreWrite> writes)
    {
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
    }
}
