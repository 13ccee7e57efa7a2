using SimpleXLedger.Cards;

namespace SimpleXLedger.Issuer.Ledger;

/// <summary>
/// What the issuer reads from the ledger: the chain's clock, batch funding, single-card purchases and anchored
/// key windows. With a ledger configured (<c>--rpc --ledger --key</c>) every window check uses
/// <see cref="LatestBlockTimeAsync"/>; without one the issuer runs in development mode (<see cref="DevelopmentLedger"/>).
/// </summary>
public interface ILedgerView
{
    /// <summary>True for the development mode: no ledger, imported cards active at once, windows from configuration.</summary>
    bool IsDevelopment { get; }

    /// <summary>A short description for the log and the directory (the chain and ledger address, or "development").</summary>
    string Describe { get; }

    /// <summary>The latest block's timestamp (Unix seconds): the clock of every key-window check.</summary>
    Task<long> LatestBlockTimeAsync(CancellationToken cancellationToken);

    /// <summary>A batch's confirmed on-chain funding, or null while it is not funded.</summary>
    Task<BatchFunding?> GetBatchFundingAsync(string batchId, CancellationToken cancellationToken);

    /// <summary>Single cards bought on-chain in confirmed blocks from <paramref name="fromBlock"/> on, and where to go on next time.</summary>
    Task<CardPurchasePage> GetCardPurchasesAsync(ulong fromBlock, CancellationToken cancellationToken);

    /// <summary>A token key as anchored on-chain, or null when it is not anchored.</summary>
    Task<AnchoredKey?> GetAnchoredKeyAsync(string keyId, CancellationToken cancellationToken);
}

/// <summary>What the issuer writes to the ledger: its token keys (on rotation) and its issued totals (once per epoch).</summary>
public interface ILedgerWriter
{
    /// <summary>Anchors a token key by its SPKI with its windows (the contract checks SHA-256(SPKI) and the window limits).</summary>
    Task AnchorKeyAsync(ReadOnlyMemory<byte> spki, long usableFrom, long issueUntil, long redeemUntil, CancellationToken cancellationToken);

    /// <summary>Anchors the cumulative number of tokens issued under a key.</summary>
    Task AnchorIssuedAsync(string keyId, ulong cumulative, CancellationToken cancellationToken);
}

/// <summary>A batch's funding as the ledger recorded it.</summary>
public sealed record BatchFunding(string BatchId, string Vendor, string Root, ulong TotalCredits);

/// <summary>One card bought on-chain by a user: the hash of a code they made, its credits, the vendor whose app they use.</summary>
public sealed record CardPurchase(CardHash Hash, ulong Credits, string Vendor, ulong Block);

public sealed record CardPurchasePage(IReadOnlyList<CardPurchase> Purchases, ulong NextFromBlock);

/// <summary>A key as anchored: its windows, whether it was revoked, and the issued total anchored so far.</summary>
public sealed record AnchoredKey(string KeyId, long UsableFrom, long IssueUntil, long RedeemUntil, bool Revoked, ulong AnchoredIssued);
