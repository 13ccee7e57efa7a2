using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Nethereum.RPC.Eth.DTOs;
using SimpleXLedger.Chain.Services;
using SimpleXLedger.Tokens;

namespace SimpleXLedger.Clearing.Registry;

/// <summary>
/// The ledger's key registry, read through <see cref="LedgerClient"/>: keys with their SPKI and windows, the
/// issued totals the issuer anchored, and the latest block's time. A snapshot is reused for at most
/// <c>maxAge</c>; keys and totals are read again whenever a new block has arrived. SPKIs never change once
/// anchored, so each is fetched once.
/// </summary>
public sealed class ChainKeyRegistry : IKeyRegistry
{
    private readonly LedgerClient _ledger;
    private readonly TimeSpan _maxAge;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, TokenPublicKey?> _spkis = new(StringComparer.Ordinal);
    private RegistrySnapshot? _snapshot;
    private long _readAt;

    public ChainKeyRegistry(LedgerClient ledger, TimeSpan maxAge, TimeProvider? time = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        _ledger = ledger;
        _maxAge = maxAge;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
    }

    public bool IsDevelopment => false;

    public LedgerClient Ledger => _ledger;

    public async ValueTask<RegistrySnapshot> GetSnapshotAsync(CancellationToken cancellationToken)
    {
        if (Fresh() is { } fresh)
        {
            return fresh;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (Fresh() is { } again)
            {
                return again;
            }

            var started = _time.GetTimestamp();
            var snapshot = await ReadAsync(cancellationToken);
            _snapshot = snapshot;
            _readAt = started;
            return snapshot;
        }
        catch (Exception e) when (e is not OperationCanceledException and not RegistryUnavailableException)
        {
            throw new RegistryUnavailableException($"the ledger's key registry cannot be read: {e.GetType().Name}", e);
        }
        finally
        {
            _gate.Release();
        }
    }

    private RegistrySnapshot? Fresh()
    {
        var snapshot = Volatile.Read(ref _snapshot);
        return snapshot is not null && _time.GetElapsedTime(Volatile.Read(ref _readAt)) < _maxAge ? snapshot : null;
    }

    private async Task<RegistrySnapshot> ReadAsync(CancellationToken ct)
    {
        var connection = _ledger.Connection;
        var block = await connection.ReadAsync(() => connection.Web3.Eth.Blocks.GetBlockWithTransactionsHashesByNumber.SendRequestAsync(BlockParameter.CreateLatest()), ct);
        var number = (ulong)block.Number.Value;
        var time = (ulong)block.Timestamp.Value;
        if (_snapshot is { } previous && previous.Block == number)
        {
            // Nothing on the chain changed: same keys and totals.
            return previous;
        }

        var records = await _ledger.GetKeysAsync(ct);
        var keys = new List<RegisteredKey>(records.Count);
        foreach (var record in records)
        {
            var id = Convert.ToHexStringLower(record.KeyId);
            if (!_spkis.TryGetValue(id, out var key))
            {
                var spki = await _ledger.GetKeySpkiAsync(record.KeyId, ct);
                if (!TokenPublicKey.TryFromSpki(spki, out key, out _))
                {
                    // The registry checks only that the id is the SPKI's hash: refuse its tokens, once and loudly.
                    _logger.LogWarning("registry key {KeyId} is not a token type 2 key; its tokens are refused", id);
                    key = null;
                }

                _spkis[id] = key;
            }

            if (key is not null)
            {
                keys.Add(new RegisteredKey(key, record.UsableFrom, record.IssueUntil, record.RedeemUntil, record.RevokedAt, record.Issued));
            }
        }

        return new RegistrySnapshot(keys, time, number);
    }
}
