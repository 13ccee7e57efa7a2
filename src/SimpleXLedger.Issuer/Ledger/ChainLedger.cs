using SimpleXLedger.Cards;
using SimpleXLedger.Chain.Contracts;
using SimpleXLedger.Chain.Services;

namespace SimpleXLedger.Issuer.Ledger;

/// <summary>
/// The ledger on a real chain (Nethereum, through the Chain project's <see cref="LedgerClient"/> attached with the
/// issuer's account): block time, batch funding and key windows from the contracts' views, single-card purchases
/// from confirmed <c>CardBought</c> events, and the issuer's writes (anchor key, anchor issued total).
/// </summary>
public sealed class ChainLedger(LedgerClient client, int confirmations = 1) : ILedgerView, ILedgerWriter
{
    private readonly SemaphoreSlim _clock = new(1, 1);
    private (long FetchedAtMs, long BlockTime)? _lastTime;

    public bool IsDevelopment => false;

    public string Describe => $"ledger {client.Ledger} via {client.Connection.RpcUrl}";

    public string Address => client.Ledger;

    /// <summary>The latest block's time, read at most every half second (every redemption asks).</summary>
    public async Task<long> LatestBlockTimeAsync(CancellationToken cancellationToken)
    {
        var wall = Environment.TickCount64;
        if (_lastTime is { } last && wall - last.FetchedAtMs < 500)
        {
            return last.BlockTime;
        }

        await _clock.WaitAsync(cancellationToken);
        try
        {
            var blockTime = (long)await client.LatestBlockTimeAsync(cancellationToken);
            _lastTime = (Environment.TickCount64, blockTime);
            return blockTime;
        }
        finally
        {
            _clock.Release();
        }
    }

    public async Task<BatchFunding?> GetBatchFundingAsync(string batchId, CancellationToken cancellationToken)
    {
        var (vendor, credits, root) = await client.GetBatchAsync(Bytes32(batchId), cancellationToken);
        return credits == 0 ? null : new BatchFunding(batchId, vendor, "0x" + Convert.ToHexStringLower(root), credits);
    }

    public async Task<CardPurchasePage> GetCardPurchasesAsync(ulong fromBlock, CancellationToken cancellationToken)
    {
        var page = await client.GetEventsAsync<CardBoughtEvent>(fromBlock, confirmations, cancellationToken);
        var purchases = page.Events
            .Select(e => new CardPurchase(CardHash.FromBytes(e.Event.CardHash), e.Event.Credits, e.Event.Vendor, e.BlockNumber))
            .ToList();
        return new CardPurchasePage(purchases, Math.Max(fromBlock, page.ScannedTo + 1));
    }

    public async Task<AnchoredKey?> GetAnchoredKeyAsync(string keyId, CancellationToken cancellationToken)
    {
        var key = await client.GetKeyAsync(Bytes32(keyId), cancellationToken);
        return key.AnchoredAt == 0
            ? null
            : new AnchoredKey(keyId, (long)key.UsableFrom, (long)key.IssueUntil, (long)key.RedeemUntil, key.RevokedAt != 0, key.Issued);
    }

    public async Task AnchorKeyAsync(ReadOnlyMemory<byte> spki, long usableFrom, long issueUntil, long redeemUntil, CancellationToken cancellationToken)
    {
        var (_, tx) = await client.AnchorKeyAsync(spki.ToArray(), (ulong)usableFrom, (ulong)issueUntil, (ulong)redeemUntil, cancellationToken);
        await client.Connection.WaitForConfirmationsAsync(tx, confirmations, cancellationToken);
    }

    public async Task AnchorIssuedAsync(string keyId, ulong cumulative, CancellationToken cancellationToken)
    {
        var tx = await client.AnchorIssuedAsync(Bytes32(keyId), cumulative, cancellationToken);
        if (tx is not null)
        {
            await client.Connection.WaitForConfirmationsAsync(tx, confirmations, cancellationToken);
        }
    }

    private static byte[] Bytes32(string hex)
    {
        ArgumentNullException.ThrowIfNull(hex);
        var bytes = Convert.FromHexString(hex.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? hex[2..] : hex);
        return bytes.Length == 32 ? bytes : throw new ArgumentException("not a bytes32", nameof(hex));
    }
}
