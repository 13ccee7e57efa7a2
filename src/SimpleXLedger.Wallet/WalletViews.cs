using SimpleXLedger.Relay.Client;
using SimpleXLedger.Wallet.Storage;

namespace SimpleXLedger.Wallet;

/// <summary>A card as the balance shows it: its hash prefix (public), state and counts. Never the code.</summary>
public sealed record CardSummary(string HashPrefix, CardState State, long Credits, long Redeemed, long RemainingAtIssuer, bool CodeKept);

/// <summary>A queue this wallet owns. <see cref="SenderLink"/> is what a contact needs to send to it (it carries the sender key).</summary>
public sealed record WalletQueue(string Name, string Relay, QueueState State, long Balance, string BalanceUnit, DateTimeOffset? BalanceAt, SenderLink? SenderLink, DateTimeOffset? TopUpDue)
{
    public override string ToString() => $"WalletQueue({Name}, {State}, {Balance} {BalanceUnit})";
}

/// <summary>What the wallet holds.</summary>
public sealed record WalletBalance(
    IReadOnlyList<CardSummary> Cards,
    int TokensAvailable,
    int TokensReserved,
    long TokensRedeemed,
    long TokensSpent,
    long TokensLost,
    long TokensWithdrawn,
    long TokensDropped,
    int PendingBatches,
    IReadOnlyList<WalletQueue> Queues,
    int TopUpsPending);

/// <summary>The outcome of redeeming (or resuming) cards.</summary>
/// <param name="TokensAdded">Tokens finalized and stored by this call.</param>
/// <param name="Batches">Redemption requests answered (each a fixed batch).</param>
/// <param name="Replayed">Of those, how many the issuer answered as retries of an earlier request (no second debit).</param>
/// <param name="CreditsLeft">Credits left on the card(s) at the issuer (below one batch when the card is done).</param>
/// <param name="Deferred">True when the policy fetches tokens later, just before use (the card is stored, not redeemed).</param>
/// <param name="CardsAwaitingActivation">Cards (on resume) the issuer has not activated yet; they stay in the wallet.</param>
public sealed record RedemptionResult(int TokensAdded, int Batches, int Replayed, long CreditsLeft, bool Deferred, int CardsAwaitingActivation = 0)
{
    internal RedemptionResult Plus(RedemptionResult other) => new(
        TokensAdded + other.TokensAdded,
        Batches + other.Batches,
        Replayed + other.Replayed,
        CreditsLeft + other.CreditsLeft,
        Deferred || other.Deferred,
        CardsAwaitingActivation + other.CardsAwaitingActivation);
}

public enum SendStatus
{
    Sent,

    /// <summary>The queue has no credit. For this wallet's own queue a top-up is scheduled (<see cref="SendResult.TopUpDue"/>).</summary>
    PaymentRequired,
}

public sealed record SendResult(SendStatus Status, DateTimeOffset? TopUpDue, string? Detail);

/// <summary>A message taken (and acknowledged) from one of the wallet's queues.</summary>
public sealed record ReceivedMessage(byte[] Body, DateTimeOffset Timestamp, bool QuotaNotice);

/// <summary>What a restore merged in; duplicates (by content) are skipped, so restoring twice adds nothing the second time.</summary>
public sealed record RestoreResult(int CardsAdded, int BatchesAdded, int TokensAdded, int TokensSkipped, int QueuesAdded);

/// <summary>A card bought on-chain by this wallet.</summary>
public sealed record PurchaseResult(string CardHash, string Transaction, ulong Credits, RedemptionResult? Redemption);
