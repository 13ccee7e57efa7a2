using System.Collections.Concurrent;
using System.Security.Cryptography;
using SimpleXLedger.Issuer.Ledger;

namespace SimpleXLedger.Issuer.Tests;

/// <summary>
/// An in-memory ledger for the issuer's ledger-mode logic, with the contract's key rules (SPKI hash is the id,
/// minimum delay, no overlapping issuing windows). The real contract is tested against Anvil in the Chain tests.
/// </summary>
public sealed class FakeLedger(ManualTime time, TimeSpan minimumDelay) : ILedgerView, ILedgerWriter
{
    private readonly ConcurrentDictionary<string, BatchFunding> _fundings = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, AnchoredKey> _keys = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<CardPurchase> _purchases = [];

    public bool IsDevelopment => false;

    public string Describe => "fake ledger";

    public ConcurrentDictionary<string, ulong> IssuedAnchors { get; } = new(StringComparer.OrdinalIgnoreCase);

    public int AnchorCalls { get; private set; }

    public void Fund(string batchId, string vendor, string root, ulong credits) => _fundings[batchId] = new BatchFunding(batchId, vendor, root, credits);

    public void Buy(SimpleXLedger.Cards.CardHash hash, ulong credits, string vendor)
    {
        lock (_purchases)
        {
            _purchases.Add(new CardPurchase(hash, credits, vendor, (ulong)_purchases.Count + 1));
        }
    }

    public Task<long> LatestBlockTimeAsync(CancellationToken cancellationToken) => Task.FromResult(time.UnixNow);

    public Task<BatchFunding?> GetBatchFundingAsync(string batchId, CancellationToken cancellationToken) =>
        Task.FromResult(_fundings.TryGetValue(batchId, out var f) ? f : null);

    public Task<CardPurchasePage> GetCardPurchasesAsync(ulong fromBlock, CancellationToken cancellationToken)
    {
        lock (_purchases)
        {
            var page = _purchases.Where(p => p.Block >= fromBlock).ToList();
            return Task.FromResult(new CardPurchasePage(page, (ulong)_purchases.Count + 1));
        }
    }

    public Task<AnchoredKey?> GetAnchoredKeyAsync(string keyId, CancellationToken cancellationToken) =>
        Task.FromResult(_keys.TryGetValue(keyId, out var k) ? k : null);

    public Task AnchorKeyAsync(ReadOnlyMemory<byte> spki, long usableFrom, long issueUntil, long redeemUntil, CancellationToken cancellationToken)
    {
        AnchorCalls++;
        var id = "0x" + Convert.ToHexStringLower(SHA256.HashData(spki.Span));
        if (usableFrom < time.UnixNow + (long)minimumDelay.TotalSeconds)
        {
            throw new InvalidOperationException("revert: usable too soon");
        }

        if (_keys.Values.Any(k => usableFrom < k.IssueUntil && k.UsableFrom < issueUntil))
        {
            throw new InvalidOperationException("revert: overlapping issuing window");
        }

        if (!_keys.TryAdd(id, new AnchoredKey(id, usableFrom, issueUntil, redeemUntil, false, 0)))
        {
            throw new InvalidOperationException("revert: key already anchored");
        }

        return Task.CompletedTask;
    }

    public Task AnchorIssuedAsync(string keyId, ulong cumulative, CancellationToken cancellationToken)
    {
        IssuedAnchors[keyId] = cumulative;
        return Task.CompletedTask;
    }
}
