namespace SimpleXLedger.Issuer.Ledger;

/// <summary>
/// For the offline commands (<c>sxl issuer cards|keys</c>) on a data directory bound to a ledger: not development
/// mode (imported cards wait for funding; new keys wait to be anchored by the serving issuer), the machine's clock
/// standing in for the chain's, and no chain reads.
/// </summary>
public sealed class OfflineLedger(TimeProvider time) : ILedgerView
{
    public bool IsDevelopment => false;

    public string Describe => "ledger (offline: the serving issuer talks to the chain)";

    public Task<long> LatestBlockTimeAsync(CancellationToken cancellationToken) =>
        Task.FromResult(time.GetUtcNow().ToUnixTimeSeconds());

    public Task<BatchFunding?> GetBatchFundingAsync(string batchId, CancellationToken cancellationToken) =>
        Task.FromResult<BatchFunding?>(null);

    public Task<CardPurchasePage> GetCardPurchasesAsync(ulong fromBlock, CancellationToken cancellationToken) =>
        Task.FromResult(new CardPurchasePage([], fromBlock));

    public Task<AnchoredKey?> GetAnchoredKeyAsync(string keyId, CancellationToken cancellationToken) =>
        Task.FromResult<AnchoredKey?>(null);
}
