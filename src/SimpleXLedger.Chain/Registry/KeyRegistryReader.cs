using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Nethereum.RPC.Eth.DTOs;
using SimpleXLedger.Chain.Services;

namespace SimpleXLedger.Chain.Registry;

/// <summary>
/// Reads the ledger's key registry for the services that judge tokens (the clearing house, relays): every
/// anchored key with its SPKI, windows, revocation and issued total, and the latest block's number and time
/// (the clock every window is judged by). A reading is reused for at most <c>maxAge</c>; after that the
/// latest block is read, and keys and totals are read again only when a new block has arrived. An SPKI never
/// changes once anchored, so each is fetched once; neither does a key's place in the registry's list; and a key
/// past its redeemUntil is not read again (a long-running service would otherwise read every key it ever saw on
/// every new block).
/// </summary>
public sealed class KeyRegistryReader
{
    private readonly TimeSpan _maxAge;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, byte[]?> _spkis = new(StringComparer.Ordinal);
    private readonly List<byte[]> _ids = [];
    private readonly Dictionary<string, AnchoredTokenKey> _ended = new(StringComparer.Ordinal);
    private Reading? _last;

    public KeyRegistryReader(LedgerClient ledger, TimeSpan maxAge, TimeProvider? time = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        Ledger = ledger;
        _maxAge = maxAge;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
    }

    public LedgerClient Ledger { get; }

    /// <summary>How long one reading is reused.</summary>
    public TimeSpan MaxAge => _maxAge;

    /// <summary>The registry now (within <see cref="MaxAge"/>); throws <see cref="KeyRegistryUnavailableException"/> when the chain cannot be read.</summary>
    public ValueTask<KeyRegistryView> ReadAsync(CancellationToken cancellationToken) => ReadAsync(_maxAge, cancellationToken);

    /// <summary>The registry as read at most <paramref name="maxAge"/> ago (shorter than <see cref="MaxAge"/> for a reading that must be newer).</summary>
    public async ValueTask<KeyRegistryView> ReadAsync(TimeSpan maxAge, CancellationToken cancellationToken)
    {
        if (Fresh(maxAge) is { } fresh)
        {
            return fresh;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (Fresh(maxAge) is { } again)
            {
                return again;
            }

            var started = _time.GetTimestamp();
            var view = await ReadChainAsync(cancellationToken);
            Volatile.Write(ref _last, new Reading(view, started));
            return view;
        }
        catch (Exception e) when (e is not OperationCanceledException and not KeyRegistryUnavailableException)
        {
            throw new KeyRegistryUnavailableException($"the ledger's key registry cannot be read: {e.GetType().Name}", e);
        }
        finally
        {
            _gate.Release();
        }
    }

    private KeyRegistryView? Fresh(TimeSpan maxAge)
    {
        var last = Volatile.Read(ref _last);
        return last is not null && _time.GetElapsedTime(last.At) < maxAge ? last.View : null;
    }

    private async Task<KeyRegistryView> ReadChainAsync(CancellationToken ct)
    {
        var connection = Ledger.Connection;
        // One call gives the block's number and time together.
        var block = await connection.ReadAsync(() => connection.Web3.Eth.Blocks.GetBlockWithTransactionsHashesByNumber.SendRequestAsync(BlockParameter.CreateLatest()), ct);
        var number = (ulong)block.Number.Value;
        var time = (ulong)block.Timestamp.Value;
        if (_last?.View is { } previous && previous.BlockNumber == number)
        {
            // Nothing on the chain changed: the same keys and totals.
            return previous;
        }

        // The registry's list only grows: ids already known are not read again.
        var count = await Ledger.GetKeyCountAsync(ct);
        for (var i = _ids.Count; i < count; i++)
        {
            _ids.Add(await Ledger.GetKeyIdAtAsync(i, ct));
        }

        var keys = new List<AnchoredTokenKey>(_ids.Count);
        foreach (var keyId in _ids)
        {
            var id = Convert.ToHexStringLower(keyId);
            if (_ended.TryGetValue(id, out var ended))
            {
                // Past its redeemUntil when last read: nothing that can still change (issued total, revocation)
                // matters to a token of it any more, so it is not read again.
                keys.Add(ended);
                continue;
            }

            var record = await Ledger.GetKeyAsync(keyId, ct);
            if (!_spkis.TryGetValue(id, out var spki))
            {
                spki = await Ledger.GetKeySpkiAsync(keyId, ct);
                if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(spki), keyId))
                {
                    // The contract checks this on anchoring; a node answering otherwise is not to be trusted for this key.
                    _logger.LogWarning("registry key {KeyId}: the SPKI read does not hash to the key id; the key is left out", id);
                    spki = null;
                }

                _spkis[id] = spki;
            }

            if (spki is null)
            {
                continue;
            }

            var key = new AnchoredTokenKey(keyId, spki, record.UsableFrom, record.IssueUntil, record.RedeemUntil, record.RevokedAt, record.Issued);
            keys.Add(key);
            if (key.RedeemUntil <= time)
            {
                _ended[id] = key;
            }
        }

        return new KeyRegistryView(keys, number, time);
    }

    private sealed record Reading(KeyRegistryView View, long At);
}

/// <summary>
/// A token key as the registry anchored it: its SubjectPublicKeyInfo (whose SHA-256 is <see cref="KeyId"/>), its
/// block-time windows (half-open: usable in [<see cref="UsableFrom"/>, <see cref="IssueUntil"/>) for issuing,
/// [<see cref="UsableFrom"/>, <see cref="RedeemUntil"/>) for redeeming), its revocation time (0: none) and the
/// cumulative number of tokens the issuer anchored as issued under it.
/// </summary>
public sealed record AnchoredTokenKey(byte[] KeyId, byte[] Spki, ulong UsableFrom, ulong IssueUntil, ulong RedeemUntil, ulong RevokedAt, ulong Issued)
{
    /// <summary>Tokens of this key may be redeemed at block time <paramref name="time"/>. Revocation stops issuing, not redeeming.</summary>
    public bool RedeemableAt(ulong time) => UsableFrom <= time && time < RedeemUntil;
}

/// <summary>The registry as of one block: its keys, and the block's number and timestamp (unix seconds).</summary>
public sealed record KeyRegistryView(IReadOnlyList<AnchoredTokenKey> Keys, ulong BlockNumber, ulong BlockTime);

/// <summary>The chain could not be read now; nothing is known about the registry.</summary>
public sealed class KeyRegistryUnavailableException : Exception
{
    public KeyRegistryUnavailableException()
    {
    }

    public KeyRegistryUnavailableException(string message)
        : base(message)
    {
    }

    public KeyRegistryUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
