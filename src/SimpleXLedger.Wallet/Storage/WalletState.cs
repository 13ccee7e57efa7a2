using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace SimpleXLedger.Wallet.Storage;

/// <summary>The decrypted wallet in memory: every record by kind and id. Changed only through <see cref="WalletChanges"/>.</summary>
internal sealed class WalletState
{
    public Dictionary<string, CardRecord> Cards { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, BatchRecord> Batches { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, TokenRecord> Tokens { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, QueueRecord> Queues { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, TopUpRecord> TopUps { get; } = new(StringComparer.Ordinal);

    public HashSet<string> Spent { get; } = new(StringComparer.Ordinal);

    public SettingsRecord Settings { get; private set; } = null!;

    public static WalletState Load(IEnumerable<StoredRecord> records)
    {
        var state = new WalletState();
        foreach (var r in records)
        {
            var id = Convert.ToHexStringLower(r.Id);
            try
            {
                switch (r.Kind)
                {
                    case "card": state.Cards[id] = Read<CardRecord>(r.Plaintext); break;
                    case "batch": state.Batches[id] = Read<BatchRecord>(r.Plaintext); break;
                    case "token": state.Tokens[id] = Read<TokenRecord>(r.Plaintext); break;
                    case "queue": state.Queues[id] = Read<QueueRecord>(r.Plaintext); break;
                    case "topup": state.TopUps[id] = Read<TopUpRecord>(r.Plaintext); break;
                    case "spent": state.Spent.Add(id); break;
                    case "settings": state.Settings = Read<SettingsRecord>(r.Plaintext); break;
                    default: throw new WalletException(WalletError.UnsupportedFormat, $"the wallet holds records of a kind this version does not know ({r.Kind})");
                }
            }
            catch (JsonException e)
            {
                throw new WalletException(WalletError.Tampered, $"a {r.Kind} record of the wallet cannot be read", e);
            }
        }

        if (state.Settings is null)
        {
            throw new WalletException(WalletError.Tampered, "the wallet's settings record is missing");
        }

        return state;
    }

    /// <summary>The settings of a brand-new wallet.</summary>
    public static SettingsRecord NewSettings() => new() { FingerprintKey = RandomNumberGenerator.GetBytes(32) };

    public void Apply(WalletChanges changes)
    {
        foreach (var (kind, id, record) in changes.Entries)
        {
            switch (kind)
            {
                case "card": Set(Cards, id, (CardRecord?)record); break;
                case "batch": Set(Batches, id, (BatchRecord?)record); break;
                case "token": Set(Tokens, id, (TokenRecord?)record); break;
                case "queue": Set(Queues, id, (QueueRecord?)record); break;
                case "topup": Set(TopUps, id, (TopUpRecord?)record); break;
                case "spent":
                    if (record is null)
                    {
                        Spent.Remove(id);
                    }
                    else
                    {
                        Spent.Add(id);
                    }

                    break;
                case "settings": Settings = (SettingsRecord)record!; break;
            }
        }
    }

    /// <summary>
    /// What the wallet remembers of a token that left it (spent, lost or withdrawn), so a restored backup cannot bring
    /// it back: the token record's own random id, nothing computed from the token. Ledger v2 publishes every spent
    /// token with its payee; a mark derived from the nonce (even keyed) would let whoever seizes the wallet file find
    /// which operators it paid.
    /// </summary>
    public static string SpentMark(TokenRecord token) => token.Id;

    private static void Set<T>(Dictionary<string, T> map, string id, T? record)
        where T : class
    {
        if (record is null)
        {
            map.Remove(id);
        }
        else
        {
            map[id] = record;
        }
    }

    internal static T Read<T>(byte[] json) => JsonSerializer.Deserialize(json, TypeInfo<T>()) ?? throw new JsonException("null record");

    internal static byte[] Write<T>(T record) => JsonSerializer.SerializeToUtf8Bytes(record, TypeInfo<T>());

    private static JsonTypeInfo<T> TypeInfo<T>() => (JsonTypeInfo<T>)WalletJson.Default.GetTypeInfo(typeof(T))!;
}

/// <summary>The writes of one wallet transaction: sealed and written together, then applied to memory.</summary>
internal sealed class WalletChanges
{
    private readonly List<(string Kind, string Id, object? Record)> _entries = [];

    public IReadOnlyList<(string Kind, string Id, object? Record)> Entries => _entries;

    public void Put<T>(T record)
        where T : class, IWalletRecord => _entries.Add((T.Kind, record.Id, record));

    public void Delete<T>(string id)
        where T : class, IWalletRecord => _entries.Add((T.Kind, id, null));

    public void MarkSpent(string fingerprint) => _entries.Add(("spent", fingerprint, new SpentRecord { Id = fingerprint }));

    public IReadOnlyList<RecordChange> ToFileChanges() => [.. _entries.Select(e => e.Record switch
    {
        null => RecordChange.Delete(e.Kind, Convert.FromHexString(e.Id)),
        CardRecord r => RecordChange.Put(e.Kind, Convert.FromHexString(e.Id), WalletState.Write(r)),
        BatchRecord r => RecordChange.Put(e.Kind, Convert.FromHexString(e.Id), WalletState.Write(r)),
        TokenRecord r => RecordChange.Put(e.Kind, Convert.FromHexString(e.Id), WalletState.Write(r)),
        QueueRecord r => RecordChange.Put(e.Kind, Convert.FromHexString(e.Id), WalletState.Write(r)),
        TopUpRecord r => RecordChange.Put(e.Kind, Convert.FromHexString(e.Id), WalletState.Write(r)),
        SpentRecord => RecordChange.Put(e.Kind, Convert.FromHexString(e.Id), []),
        SettingsRecord r => RecordChange.Put(e.Kind, Convert.FromHexString(e.Id), WalletState.Write(r)),
        _ => throw new InvalidOperationException("unknown record type"),
    })];

    /// <summary>A fresh random record id (16 bytes, hex).</summary>
    public static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}
