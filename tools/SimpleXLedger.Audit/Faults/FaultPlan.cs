using SimpleXLedger.Wallet.Spending;

namespace SimpleXLedger.Audit.Faults;

/// <summary>The crash labels the fault scenario arms (each one a <c>CrashPoint.Reach</c> in a service).</summary>
public static class CrashLabels
{
    /// <summary>Issuer: the card is debited (committed), nothing signed or answered.</summary>
    public const string IssuerAfterDebit = "issuer.redeem.after-debit";

    /// <summary>Relay: a top-up's token is redeemed at the clearing house, nothing credited or stored at the relay.</summary>
    public const string RelayTopUpAfterRedeem = "relay.topup.after-redeem";

    /// <summary>Relay: a top-up's token is spent and the queue credited (committed), no answer sent.</summary>
    public const string RelayTopUpAfterCommit = "relay.topup.after-commit";

    /// <summary>Relay: a message is stored (committed), not acknowledged to its sender.</summary>
    public const string RelaySendAfterCommit = "relay.send.after-commit";

    /// <summary>Relay: a message's acknowledgement by its recipient is committed (the message is gone), no answer sent.</summary>
    public const string RelayAckAfterCommit = "relay.ack.after-commit";

    /// <summary>Relay: a queue is made and its token spent (committed), no answer sent.</summary>
    public const string RelayCreateAfterCommit = "relay.create.after-commit";

    /// <summary>Clearing house: a relay's batch is recorded (committed), no receipt sent.</summary>
    public const string ClearingBatchAfterRecord = "clearing.batch.after-record";

    /// <summary>Clearing house: an epoch's leaf file is written, nothing posted on-chain.</summary>
    public const string ClearingEpochAfterBuild = "clearing.epoch.after-build";

    /// <summary>Clearing house: the epoch's root is anchored on-chain; the leaf file and the epoch's state are not updated.</summary>
    public const string ClearingEpochAfterPost = "clearing.epoch.after-post";

    public static IReadOnlyList<string> All { get; } =
    [
        IssuerAfterDebit, RelayTopUpAfterRedeem, RelayTopUpAfterCommit, RelaySendAfterCommit, RelayAckAfterCommit, RelayCreateAfterCommit,
        ClearingBatchAfterRecord, ClearingEpochAfterBuild, ClearingEpochAfterPost,
    ];
}

/// <summary>A SIGKILL at a random moment of the mixed workload: which service, how long after the round began.</summary>
public sealed record RandomKill(int Round, string Service, TimeSpan After);

/// <summary>
/// What the fault scenario does, all of it drawn from the audit's seed so a run replays: how many wallets take part,
/// which relay hosts the deposit faults and which the send fault, how the chain outage cuts the anchoring, and the
/// random kills (service and moment). Every labelled fault is in every plan; sizes only change the random part.
/// </summary>
public sealed record FaultPlan(
    ulong Seed,
    int Users,
    int DepositRelay,
    int SendRelay,
    IReadOnlyList<CutMode> ChainCuts,
    IReadOnlyList<RandomKill> RandomKills,
    int MessagesPerRound)
{
    /// <summary>Environment: how many random kills (default 8 for a full audit of 100+ users, 1 below that).</summary>
    public const string KillsVariable = "SXL_AUDIT_FAULT_KILLS";

    /// <summary>The services a random kill may hit (devnet names).</summary>
    public static IReadOnlyList<string> Services { get; } = ["issuer", "clearing", "relay-a", "relay-b"];

    /// <summary>
    /// The plan for an audit of <paramref name="auditUsers"/> users per population: a tenth as many fault wallets
    /// (4 to 20), eight random kills for a full run and one for a short one, unless <paramref name="kills"/> says.
    /// A full run also cuts the chain before the anchoring transaction leaves, not only after.
    /// </summary>
    public static FaultPlan Create(ulong seed, int auditUsers, int? kills = null)
    {
        var random = new SeededRandomSource(seed ^ 0xFA017FA017UL);
        var full = auditUsers >= 100;
        var users = Math.Clamp(auditUsers / 10, 4, 20);
        var depositRelay = (int)(random.NextUInt64() % 2);
        var killCount = kills ?? (full ? 8 : 1);
        var randomKills = new List<RandomKill>(killCount);
        for (var i = 0; i < killCount; i++)
        {
            var service = Services[(int)(random.NextUInt64() % (ulong)Services.Count)];
            // Somewhere in the first seconds of a round, while payments and messages are in flight.
            var after = TimeSpan.FromMilliseconds(200 + (random.NextUnit() * 2800));
            randomKills.Add(new RandomKill(i + 1, service, after));
        }

        return new FaultPlan(
            seed,
            users,
            depositRelay,
            1 - depositRelay,
            full ? [CutMode.AfterForwarding, CutMode.BeforeForwarding] : [CutMode.AfterForwarding],
            randomKills,
            MessagesPerRound: 3);
    }

    /// <summary>Reads <see cref="KillsVariable"/> (null when unset).</summary>
    public static int? KillsFromEnvironment() =>
        Environment.GetEnvironmentVariable(KillsVariable) is { Length: > 0 } k ? int.Parse(k, System.Globalization.CultureInfo.InvariantCulture) : null;

    /// <summary>How many faults this plan injects: every labelled one, each chain cut, the clearing house kept down through a deposit, each random kill.</summary>
    public int Count => CrashLabels.All.Count + ChainCuts.Count + 1 + RandomKills.Count;
}
