using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SimpleXLedger.Chain.Registry;
using SimpleXLedger.Chain.Services;
using SimpleXLedger.Tokens;

namespace SimpleXLedger.Clearing.Registry;

/// <summary>
/// The ledger's key registry as the clearing house judges tokens by it: the chain's <see cref="KeyRegistryReader"/>
/// (keys, windows, issued totals, the latest block's time, cached for at most <c>maxAge</c>) with each anchored
/// SPKI turned into a token key once. A key whose SPKI is not a token type 2 key is left out (its tokens are
/// unknown), with one warning.
/// </summary>
public sealed class ChainKeyRegistry : IKeyRegistry
{
    private readonly KeyRegistryReader _reader;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, TokenPublicKey?> _keys = new(StringComparer.Ordinal);
    private Converted? _last;

    public ChainKeyRegistry(LedgerClient ledger, TimeSpan maxAge, TimeProvider? time = null, ILogger? logger = null)
        : this(new KeyRegistryReader(ledger, maxAge, time, logger), logger)
    {
    }

    public ChainKeyRegistry(KeyRegistryReader reader, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(reader);
        _reader = reader;
        _logger = logger ?? NullLogger.Instance;
    }

    public bool IsDevelopment => false;

    public LedgerClient Ledger => _reader.Ledger;

    public async ValueTask<RegistrySnapshot> GetSnapshotAsync(CancellationToken cancellationToken)
    {
        KeyRegistryView view;
        try
        {
            view = await _reader.ReadAsync(cancellationToken);
        }
        catch (KeyRegistryUnavailableException e)
        {
            throw new RegistryUnavailableException(e.Message, e);
        }

        // The reader hands out the same view until the chain moves: convert each view once.
        if (Volatile.Read(ref _last) is { } last && ReferenceEquals(last.View, view))
        {
            return last.Snapshot;
        }

        lock (_gate)
        {
            var keys = new List<RegisteredKey>(view.Keys.Count);
            foreach (var anchored in view.Keys)
            {
                if (TokenKey(anchored) is { } key)
                {
                    keys.Add(new RegisteredKey(key, anchored.UsableFrom, anchored.IssueUntil, anchored.RedeemUntil, anchored.RevokedAt, anchored.Issued));
                }
            }

            var snapshot = new RegistrySnapshot(keys, view.BlockTime, view.BlockNumber);
            Volatile.Write(ref _last, new Converted(view, snapshot));
            return snapshot;
        }
    }

    private TokenPublicKey? TokenKey(AnchoredTokenKey anchored)
    {
        var id = Convert.ToHexStringLower(anchored.KeyId);
        if (!_keys.TryGetValue(id, out var key))
        {
            if (!TokenPublicKey.TryFromSpki(anchored.Spki, out key, out _))
            {
                // The registry checks only that the id is the SPKI's hash: refuse its tokens, once and loudly.
                _logger.LogWarning("registry key {KeyId} is not a token type 2 key; its tokens are refused", id);
                key = null;
            }

            _keys[id] = key;
        }

        return key;
    }

    private sealed record Converted(KeyRegistryView View, RegistrySnapshot Snapshot);
}
