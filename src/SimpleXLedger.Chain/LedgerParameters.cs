using System.Numerics;
using SimpleXLedger.Chain.Contracts;

namespace SimpleXLedger.Chain;

/// <summary>
/// Everything fixed at deployment (the ledger's immutables). Times are seconds of block time:
/// <see cref="Production"/> has the design's real minimums, <see cref="Devnet"/> a few seconds each.
/// </summary>
public sealed record LedgerParameters
{
    public required string Token { get; init; }

    /// <summary>Token units per credit (one credit = one token).</summary>
    public required BigInteger CreditPrice { get; init; }

    public required ushort VendorShareBps { get; init; }

    public required ushort FeeBps { get; init; }

    public required string FeeRecipient { get; init; }

    public required string Governance { get; init; }

    public required string Issuer { get; init; }

    public required string ClearingHouse { get; init; }

    public required ulong MinKeyDelay { get; init; }

    public required ulong MinIssueWindow { get; init; }

    public required ulong MinRedeemWindow { get; init; }

    public required ulong DisputeWindow { get; init; }

    public required ulong AnswerWindow { get; init; }

    public required ulong PostDeadline { get; init; }

    public required BigInteger MinBond { get; init; }

    public required BigInteger DisputeDeposit { get; init; }

    public required BigInteger DisputePenalty { get; init; }

    public required ulong RoleChangeDelay { get; init; }

    public required ulong MaxPause { get; init; }

    public required ulong PauseCooldown { get; init; }

    /// <summary>What an operator earns per accepted token, as the contract computes it (rounded down).</summary>
    public BigInteger OperatorRate => CreditPrice * (10_000 - VendorShareBps - FeeBps) / 10_000;

    private const ulong Hour = 3600;
    private const ulong Day = 24 * Hour;

    /// <summary>The design's limits: keys usable 24 h after anchoring, issuing ≥ 30 days, redeemable ≥ 90 days after; pauses renewable after 30 days.</summary>
    public static LedgerParameters Production(string token, BigInteger creditPrice, string governance, string issuer, string clearingHouse, string feeRecipient) => new()
    {
        Token = token,
        CreditPrice = creditPrice,
        VendorShareBps = 2000,
        FeeBps = 500,
        FeeRecipient = feeRecipient,
        Governance = governance,
        Issuer = issuer,
        ClearingHouse = clearingHouse,
        MinKeyDelay = Day,
        MinIssueWindow = 30 * Day,
        MinRedeemWindow = 90 * Day,
        DisputeWindow = 3 * Day,
        AnswerWindow = Day,
        PostDeadline = 3 * Day,
        MinBond = creditPrice * 1_000_000,
        DisputeDeposit = creditPrice * 1_000,
        DisputePenalty = creditPrice * 10_000,
        RoleChangeDelay = 7 * Day,
        MaxPause = 7 * Day,
        PauseCooldown = 30 * Day,
    };

    /// <summary>
    /// Dev-chain parameters: the same rules in seconds. Amounts assume a 6-decimal token and a
    /// price of 0.01 per credit (10,000 units): operator rate 7,500 units per token.
    /// </summary>
    public static LedgerParameters Devnet(string token, string governance, string issuer, string clearingHouse, string feeRecipient) => new()
    {
        Token = token,
        CreditPrice = 10_000,
        VendorShareBps = 2000,
        FeeBps = 500,
        FeeRecipient = feeRecipient,
        Governance = governance,
        Issuer = issuer,
        ClearingHouse = clearingHouse,
        MinKeyDelay = 2,
        MinIssueWindow = 30,
        MinRedeemWindow = 60,
        DisputeWindow = 10,
        AnswerWindow = 10,
        PostDeadline = 300,
        MinBond = 1_000_000_000,
        DisputeDeposit = 1_000_000,
        DisputePenalty = 10_000_000,
        RoleChangeDelay = 10,
        MaxPause = 30,
        PauseCooldown = 60,
    };

    public LedgerParams ToAbi() => new()
    {
        Token = Token,
        CreditPrice = CreditPrice,
        VendorShareBps = VendorShareBps,
        FeeBps = FeeBps,
        FeeRecipient = FeeRecipient,
        Governance = Governance,
        Issuer = Issuer,
        ClearingHouse = ClearingHouse,
        MinKeyDelay = MinKeyDelay,
        MinIssueWindow = MinIssueWindow,
        MinRedeemWindow = MinRedeemWindow,
        DisputeWindow = DisputeWindow,
        AnswerWindow = AnswerWindow,
        PostDeadline = PostDeadline,
        MinBond = MinBond,
        DisputeDeposit = DisputeDeposit,
        DisputePenalty = DisputePenalty,
        RoleChangeDelay = RoleChangeDelay,
        MaxPause = MaxPause,
        PauseCooldown = PauseCooldown,
    };
}
