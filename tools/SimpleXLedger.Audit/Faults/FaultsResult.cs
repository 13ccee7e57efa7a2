using System.Globalization;
using System.Text.Json.Nodes;

namespace SimpleXLedger.Audit.Faults;

/// <summary>One check of a fault (or of the whole run) and whether it held.</summary>
public sealed record FaultCheck(string Name, bool Ok, string Detail);

/// <summary>
/// One fault as it went: which service, how it was brought down (a labelled crash point, a kill at a random moment, the
/// chain cut away), whether it really went down (SIGKILL: status 137), how long until it served again, and the checks
/// that say it was survived.
/// </summary>
public sealed class FaultRecord(string name, string service, string how)
{
    private readonly List<FaultCheck> _checks = [];

    public string Name { get; } = name;

    public string Service { get; } = service;

    /// <summary><c>SXL_CRASH_AT=label</c>, <c>kill -9 after 1.2 s</c>, or the chain cut.</summary>
    public string How { get; } = how;

    /// <summary>The fault happened: the process died by SIGKILL, or the chain became unreachable for it.</summary>
    public bool Injected { get; set; }

    /// <summary>The service's exit status (137 = killed by SIGKILL), when it was a process that went down.</summary>
    public int? ExitStatus { get; set; }

    /// <summary>From the fault to the service answering again (restart, or the chain reachable).</summary>
    public double? DownSeconds { get; set; }

    public string Detail { get; set; } = string.Empty;

    /// <summary>How long the fault took, from arming (or the round's start) to its last check.</summary>
    public double? Seconds { get; set; }

    public IReadOnlyList<FaultCheck> Checks => _checks;

    /// <summary>Injected, and every check held.</summary>
    public bool Survived => Injected && _checks.Count > 0 && _checks.All(c => c.Ok);

    public void Check(string name, bool ok, string detail) => _checks.Add(new FaultCheck(name, ok, detail));

    public JsonObject ToJson() => new()
    {
        ["name"] = Name,
        ["service"] = Service,
        ["how"] = How,
        ["injected"] = Injected,
        ["survived"] = Survived,
        ["exitStatus"] = ExitStatus,
        ["downSeconds"] = DownSeconds is { } d ? Math.Round(d, 3) : null,
        ["seconds"] = Seconds is { } s ? Math.Round(s, 1) : null,
        ["detail"] = Detail,
        ["checks"] = Checks.ToJson(),
    };
}

/// <summary>The fault section of the audit: every fault, and the checks over the whole run after the last one.</summary>
public sealed class FaultsResult
{
    public required FaultPlan Plan { get; init; }

    public List<FaultRecord> Faults { get; } = [];

    /// <summary>Checks over the whole section once every fault was recovered from: books, tokens, messages, charges.</summary>
    public List<FaultCheck> Checks { get; } = [];

    public double Seconds { get; set; }

    /// <summary>Messages acknowledged to their senders, received by their recipients, and extra copies received (of sends retried after a crash).</summary>
    public (long Acked, long Received, long Duplicates, long Retried) Messages { get; set; }

    /// <summary>Tokens the fault wallets redeemed, spent, found already spent on a retry (credited before a crash), and still hold.</summary>
    public (long Redeemed, long Spent, long Lost, long Held) Tokens { get; set; }

    /// <summary>Why the section stopped early, when it did.</summary>
    public string? Error { get; set; }

    public int Injected => Faults.Count(f => f.Injected);

    public int Survived => Faults.Count(f => f.Survived);

    /// <summary>Every planned fault injected and survived, and every whole-run check held.</summary>
    public bool Passed => Error is null && Faults.Count == Plan.Count && Faults.All(f => f.Survived) && Checks.Count > 0 && Checks.All(c => c.Ok);

    public JsonObject ToJson() => new()
    {
        ["ok"] = Passed,
        ["injected"] = Injected,
        ["survived"] = Survived,
        ["planned"] = Plan.Count,
        ["seed"] = Plan.Seed.ToString(CultureInfo.InvariantCulture),
        ["users"] = Plan.Users,
        ["seconds"] = Math.Round(Seconds, 1),
        ["error"] = Error,
        ["messages"] = new JsonObject { ["acked"] = Messages.Acked, ["received"] = Messages.Received, ["duplicates"] = Messages.Duplicates, ["retried"] = Messages.Retried },
        ["tokens"] = new JsonObject { ["redeemed"] = Tokens.Redeemed, ["spent"] = Tokens.Spent, ["lostOnRetry"] = Tokens.Lost, ["held"] = Tokens.Held },
        ["perFault"] = new JsonArray([.. Faults.Select(f => (JsonNode)f.ToJson())]),
        ["checks"] = Checks.ToJson(),
    };

    /// <summary>One line for the step summary.</summary>
    public string Summary()
    {
        var failed = Faults.Where(f => !f.Survived).Select(f => f.Name).Concat(Checks.Where(c => !c.Ok).Select(c => c.Name)).ToList();
        var labelled = Faults.Count(f => f.How.StartsWith("SXL_CRASH_AT", StringComparison.Ordinal));
        var random = Faults.Count(f => f.How.StartsWith("kill -9 after", StringComparison.Ordinal));
        var text = $"{Injected} of {Plan.Count} faults injected, {Survived} survived ({labelled} at labelled points, {random} at random moments, {Faults.Count - labelled - random} outages: the chain cut away, the clearing house kept down); "
            + $"{Messages.Acked} messages acknowledged, all received ({Messages.Duplicates} extra copies of {Messages.Retried} retried sends); {Checks.Count(c => c.Ok)} of {Checks.Count} whole-run checks held";
        return failed.Count == 0 && Error is null ? text : $"{text}; NOT survived: {string.Join(", ", failed)}{(Error is null ? "" : $"; stopped: {Error}")}";
    }
}

internal static class FaultCheckJson
{
    public static JsonArray ToJson(this IEnumerable<FaultCheck> checks) =>
        new([.. checks.Select(c => (JsonNode)new JsonObject { ["name"] = c.Name, ["ok"] = c.Ok, ["detail"] = c.Detail })]);
}
