using System.Collections.Concurrent;
using SimpleXLedger.Relay.Metering;
using SimpleXLedger.Relay.Storage;

namespace SimpleXLedger.Relay.Plugins;

/// <summary>A plugin's key-value state: a memory copy for reads, the relay's database for durability.</summary>
internal sealed class PluginStore(string plugin, GroupCommitWriter writer) : IMeteringStore
{
    private readonly ConcurrentDictionary<string, byte[]> _entries = new(StringComparer.Ordinal);

    public string Plugin { get; } = plugin;

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
        var applied = await writer.SubmitAsync(new StoreWork { Plugin = Plugin, MeteringWrites = writes });
        if (applied)
        {
            Apply(writes);
        }

        return applied;
    }

    /// <summary>Mirrors committed writes into memory.</summary>
    internal void Apply(IReadOnlyList<StoreWrite> writes)
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

    internal void Load(string key, byte[] value) => _entries[key] = value;

    /// <summary>The plugin's store over the relay's, holding the entries read at open.</summary>
    internal static PluginStore Open(string plugin, RelayStore store)
    {
        var opened = new PluginStore(plugin, store.Writer);
        foreach (var (key, value) in store.Loaded.PluginEntries)
        {
            opened.Load(key, value);
        }

        return opened;
    }
}
