namespace SimpleXLedger.Relay.Metering;

/// <summary>
/// A plugin's durable key-value state (its spent-set, its outbox), kept in the relay's database.
/// Reads come from memory; writes are durable when the returned task completes. Writes that must be
/// atomic with a queue's work travel in <see cref="MeteringDecision.Writes"/> instead.
/// </summary>
public interface IMeteringStore
{
    bool Contains(string key);

    bool TryGet(string key, out ReadOnlyMemory<byte> value);

    /// <summary>Entries whose key starts with <paramref name="prefix"/> (ordinal), in no particular order.</summary>
    IReadOnlyList<KeyValuePair<string, ReadOnlyMemory<byte>>> Scan(string prefix);

    /// <summary>Applies the writes in one durable transaction; false (and nothing applied) if a <see cref="StoreWrite.MustBeNew"/> key exists.</summary>
    ValueTask<bool> WriteAsync(IReadOnlyList<StoreWrite> writes, CancellationToken cancellationToken);
}

/// <summary>Sets (or, with a null value, deletes) a key. <see cref="MustBeNew"/> refuses the transaction if the key exists.</summary>
public sealed record StoreWrite(string Key, ReadOnlyMemory<byte>? Value, bool MustBeNew = false)
{
    public static StoreWrite Insert(string key, ReadOnlyMemory<byte> value) => new(key, value, MustBeNew: true);

    public static StoreWrite Put(string key, ReadOnlyMemory<byte> value) => new(key, value);

    public static StoreWrite Delete(string key) => new(key, null);
}
