namespace SimpleXLedger.Issuer.Ledger;

/// <summary>
/// No ledger: the explicit development mode. Imported cards are active at once (nothing is funded on-chain),
/// key windows come from configuration and the clock is the machine's. The issuer says so in its log and directory.
/// </summary>
public sealed class DevelopmentLedger(TimeProvider time) : ILedgerView
{
    public bool IsDevelopment => true;

    public string Describe => "development mode (no ledger: cards are active without on-chain funding)";

    public Task<long> LatestBlockTimeAsync(CancellationToken cancellationToken) =>
        Task.FromResult(time.GetUtcNow().ToUnixTimeSeconds());

    public Task<BatchFunding?> GetBatchFundingAsync(string batchId, CancellationToken cancellationToken) =>
        Task.FromResult<BatchFunding?>(null);

    public Task<CardPurchasePage> GetCardPurchasesAsync(ulong fromBlock, CancellationToken cancellationToken) =>
        Task.FromResult(new CardPurchasePage([], fromBlock));

    public Task<AnchoredKey?> GetAnchoredKeyAsync(string keyId, CancellationToken cancellationToken) =>
        Task.FromResult<AnchoredKey?>(null);
}
