namespace SimpleXLedger.Relay.Metering;

/// <summary>
/// A policy's answer. Allowed work debits <see cref="Charge"/> and credits <see cref="Credit"/> to the
/// queue's balance, and applies <see cref="Writes"/> to the plugin's store, all in the one durable
/// transaction that also records the work. If a write marked <see cref="StoreWrite.MustBeNew"/> finds
/// its key present (a token spent concurrently), the whole work is refused and nothing is applied.
/// </summary>
public sealed class MeteringDecision
{
    private static readonly MeteringDecision FreeOfCharge = new(true, 0, 0, [], null);

    private MeteringDecision(bool allowed, long charge, long credit, IReadOnlyList<StoreWrite> writes, MeteringDenial? denial)
    {
        Allowed = allowed;
        Charge = charge;
        Credit = credit;
        Writes = writes;
        Denial = denial;
    }

    public bool Allowed { get; }

    public long Charge { get; }

    public long Credit { get; }

    public IReadOnlyList<StoreWrite> Writes { get; }

    public MeteringDenial? Denial { get; }

    public static MeteringDecision Free() => FreeOfCharge;

    public static MeteringDecision Allow(long charge, long credit = 0, IReadOnlyList<StoreWrite>? writes = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(charge);
        ArgumentOutOfRangeException.ThrowIfNegative(credit);
        return new(true, charge, credit, writes ?? [], null);
    }

    public static MeteringDecision Deny(MeteringDenial denial)
    {
        ArgumentNullException.ThrowIfNull(denial);
        return new(false, 0, 0, [], denial);
    }
}

public enum DenialKind
{
    /// <summary>Pay first: the client should fetch and attach a token (carries a challenge).</summary>
    PaymentRequired,

    /// <summary>A limit of the plugin (a free allowance used up).</summary>
    QuotaExceeded,

    /// <summary>The attached payment is refused (invalid, unknown key, outside its window, already spent).</summary>
    PaymentRefused,

    /// <summary>The policy cannot decide now (its redeemer is down and the risk budget is used up).</summary>
    Unavailable,
}

/// <summary>
/// Why work is refused. <see cref="Message"/> reaches the client; it must hold no secret.
/// <see cref="WwwAuthenticate"/> is the <c>PrivateToken</c> challenge for payment-required refusals.
/// </summary>
public sealed record MeteringDenial(DenialKind Kind, string Message, string? WwwAuthenticate = null);
