using System.Numerics;
using SimpleXLedger.Operator.Payouts;

namespace SimpleXLedger.Operator.Dashboard;

/// <summary>One claim paid to the payee, as the ledger's Claimed event records it.</summary>
public sealed record ClaimPaid(ulong Epoch, BigInteger Amount, string TransactionHash, ulong BlockNumber);

/// <summary>A probed service: whether its standard gRPC health check answered SERVING, and what it said otherwise.</summary>
public sealed record ServiceHealth(string Name, bool Serving, string Detail);

/// <summary>
/// Everything the dashboard shows, read at one moment: the payee's epochs (from its receipts and the chain), the claims
/// the chain paid it, its gas balance, the health of the clearing house and relay, and the alarms these raise.
/// </summary>
public sealed record DashboardSnapshot(
    string Payee,
    string Ledger,
    ulong ChainId,
    ulong BlockNumber,
    ulong BlockTime,
    int ReceiptsHeld,
    long TokensAccepted,
    IReadOnlyList<EpochEarnings> Epochs,
    IReadOnlyList<ClaimPaid> Claims,
    BigInteger GasBalanceWei,
    BigInteger GasAlarmWei,
    IReadOnlyList<ServiceHealth> Services,
    IReadOnlyList<string> Alarms)
{
    public BigInteger TotalClaimed => Claims.Aggregate(BigInteger.Zero, (sum, c) => sum + c.Amount);

    /// <summary>The claim paid for <paramref name="epoch"/>, if any.</summary>
    public ClaimPaid? ClaimOf(ulong epoch) => Claims.FirstOrDefault(c => c.Epoch == epoch);

    /// <summary>The vocabulary for an epoch's state: posted, challengeable, claimable, claimed, disputed, frozen.</summary>
    public static string Phase(EarningState state) => state switch
    {
        EarningState.NotPosted => "not posted",
        EarningState.WindowOpen or EarningState.Underpaid or EarningState.Missing or EarningState.ListInvalid => "challengeable",
        EarningState.Claimable => "claimable",
        EarningState.Claimed => "claimed",
        EarningState.DisputedMissing or EarningState.ProvenUnderpaid or EarningState.DisputeUpheld or EarningState.DisputeAnswered => "disputed",
        EarningState.Frozen => "frozen",
        EarningState.NothingOwed => "posted",
        _ => state.ToString(),
    };

    /// <summary>States in which the receipts were not honoured (yet): the operator should look.</summary>
    public static bool NotHonoured(EarningState state) =>
        state is EarningState.Underpaid or EarningState.Missing or EarningState.ListInvalid or EarningState.DisputedMissing or EarningState.Frozen;
}
