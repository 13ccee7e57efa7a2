using System.Numerics;
using SimpleXLedger.Chain.Contracts;

namespace SimpleXLedger.Chain.Services;

/// <summary>Addresses of one deployment: the ledger, the key registry it created, and its token.</summary>
public sealed record LedgerDeployment(string Ledger, string KeyRegistry, string Token, ChainTransaction Transaction);

/// <summary>The ledger's fixed parameters and current roles, read from the chain.</summary>
public sealed record LedgerInfo(
    string Ledger,
    string KeyRegistry,
    string Token,
    BigInteger CreditPrice,
    ushort VendorShareBps,
    ushort FeeBps,
    string FeeRecipient,
    BigInteger OperatorRate,
    ulong DisputeWindow,
    ulong AnswerWindow,
    ulong PostDeadline,
    BigInteger MinBond,
    BigInteger DisputeDeposit,
    BigInteger DisputePenalty,
    ulong RoleChangeDelay,
    ulong MaxPause,
    ulong PauseCooldown,
    ulong MinKeyDelay,
    ulong MinIssueWindow,
    ulong MinRedeemWindow,
    string Governance,
    string Issuer,
    string ClearingHouse);

/// <summary>
/// Every term of the escrow invariant, as the contract keeps them:
/// escrow received = vendor balances + vendor withdrawals + claims paid + allocated-but-unclaimed + unallocated
/// (bonds and dispute deposits kept apart), and the token balance equals what is held.
/// </summary>
public sealed record EscrowAccounts(
    BigInteger EscrowReceived,
    BigInteger VendorBalances,
    BigInteger VendorWithdrawn,
    BigInteger ClaimsPaid,
    BigInteger AllocatedUnclaimed,
    BigInteger Unallocated,
    BigInteger BondsHeld,
    BigInteger DepositsHeld,
    BigInteger TokenBalance)
{
    public BigInteger EscrowHeld => VendorBalances + AllocatedUnclaimed + Unallocated;

    public bool BooksBalance => EscrowReceived == EscrowHeld + VendorWithdrawn + ClaimsPaid;

    public bool TokenBalanceMatches => TokenBalance == EscrowHeld + BondsHeld + DepositsHeld;

    public bool Holds => BooksBalance && TokenBalanceMatches;

    internal static EscrowAccounts From(AccountsOutput o) => new(
        o.EscrowReceived, o.VendorBalances, o.VendorWithdrawn, o.ClaimsPaid, o.AllocatedUnclaimed, o.Unallocated, o.BondsHeld, o.DepositsHeld, o.TokenBalance);
}

/// <summary>An epoch as the ledger stores it; times are on the ledger's active clock. <see cref="Unclaimed"/> is the posted total less claims.</summary>
public sealed record EpochRecord(
    ulong Epoch,
    byte[] Root,
    BigInteger Unclaimed,
    BigInteger OperatorTotal,
    byte Round,
    string Poster,
    ulong PostedAt,
    ulong WindowClosesAt,
    ulong FrozenAt,
    uint OpenDisputes)
{
    public bool Posted => Round > 0;

    public bool Frozen => FrozenAt != 0;

    /// <summary>Posted and not frozen: the epoch's root is the one payees claim against.</summary>
    public bool Live => Posted && !Frozen;

    internal static EpochRecord From(ulong epoch, EpochView v) => new(
        epoch, v.Root, v.Unclaimed, v.OperatorTotal, v.Round, v.Poster, v.PostedAt, v.WindowClosesAt, v.FrozenAt, v.OpenDisputes);
}

/// <summary>What the clearing house posts for one epoch.</summary>
public sealed record EpochPost(ulong Epoch, byte[] Root, BigInteger Total, BigInteger OperatorTotal, byte[] LeavesHash);

/// <summary>The outcome of an idempotent post: sent now, or found already on the chain with the same contents.</summary>
public sealed record EpochPostResult(EpochRecord Epoch, ChainTransaction? Transaction)
{
    public bool AlreadyPosted => Transaction is null;
}

/// <summary>A token key as the registry keeps it (block-time windows, half-open).</summary>
public sealed record TokenKeyRecord(byte[] KeyId, ulong UsableFrom, ulong IssueUntil, ulong RedeemUntil, ulong RevokedAt, ulong AnchoredAt, ulong Issued)
{
    public bool Anchored => AnchoredAt != 0;

    public bool Revoked => RevokedAt != 0;

    public bool IssuesAt(ulong time) => Anchored && !Revoked && UsableFrom <= time && time < IssueUntil;

    public bool RedeemableAt(ulong time) => Anchored && UsableFrom <= time && time < RedeemUntil;
}

/// <summary>The registry's current issuing key with its SPKI.</summary>
public sealed record IssuingKey(byte[] KeyId, ulong UsableFrom, ulong IssueUntil, ulong RedeemUntil, byte[] Spki);

/// <summary>A dispute of one payee in one epoch.</summary>
public sealed record DisputeRecord(DisputeStatus Status, byte Round, ulong AnswerBy, ulong AcceptedInEpoch, BigInteger Owed);

/// <summary>The ledger's pause: when the last one started and ends (or ended), and whether it is on now.</summary>
public sealed record PauseInfo(ulong Start, ulong End, ulong PausedBefore, bool Paused);
