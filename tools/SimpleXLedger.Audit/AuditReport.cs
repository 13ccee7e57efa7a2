using System.Globalization;
using System.Text.Json.Nodes;
using SimpleXLedger.Audit.Soak;
using SimpleXLedger.Devnet.Scenarios;
using Spectre.Console;

namespace SimpleXLedger.Audit;

/// <summary>The adversary's figures: its best strategy's accuracy on careful users against chance and the 99.9% margin, and on control users.</summary>
public sealed record AdversaryResult(
    double Accuracy,
    double Chance,
    double Margin,
    double ControlAccuracy,
    int Users,
    int ControlUsers,
    IReadOnlyList<StrategyResult> Strategies,
    IReadOnlyList<StrategyResult> ControlStrategies,
    int IssuerRows,
    int RelayPayments,
    int TraceEntries = 0,
    int ChainEvents = 0);

/// <summary>What the audit found; parts not built yet say so instead of carrying numbers.</summary>
public sealed class AuditReport : ScenarioReport
{
    public required ulong Seed { get; init; }

    public required int Users { get; init; }

    public required IReadOnlyList<StepRecord> Steps { get; init; }

    public AdversaryResult? Adversary { get; set; }

    public int? SharedValues { get; set; }

    public IReadOnlyList<string> SharedValueFindings { get; set; } = [];

    public int? LogLeaks { get; set; }

    public IReadOnlyList<string> LogLeakFindings { get; set; } = [];

    /// <summary>The fault section (Faults/FaultsRunner): every fault injected and survived, and the checks after them.</summary>
    public Faults.FaultsResult? Faults { get; set; }

    /// <summary>The bad-input section (Fuzz/FuzzRun): cases, crashes, untyped answers, state changes, per endpoint.</summary>
    internal Fuzz.FuzzReport? Fuzz { get; set; }

    public SoakResult? Soak { get; set; }

    /// <summary>What the proxies in front of every service saw of the wallets' TLS handshakes (issue 21, point 1).</summary>
    public IReadOnlyList<WireService>? Wire { get; set; }

    public override bool Passed => Steps.Count > 0 && Steps.All(s => s.Status == StepStatus.Passed);

    public override JsonObject ToJson()
    {
        var json = new JsonObject
        {
            ["scenario"] = AuditScenario.ScenarioName,
            ["ok"] = Passed,
            ["seed"] = Seed.ToString(CultureInfo.InvariantCulture),
            ["users"] = Users,
            ["steps"] = new JsonArray([.. Steps.Select(s => (JsonNode)new JsonObject
            {
                ["name"] = s.Name,
                ["status"] = System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(s.Status.ToString()),
                ["detail"] = s.Detail,
                ["seconds"] = Math.Round(s.Seconds, 3),
            })]),
            ["adversary"] = Adversary is null ? NotRun() : new JsonObject
            {
                ["accuracy"] = Adversary.Accuracy,
                ["chance"] = Adversary.Chance,
                ["margin"] = Adversary.Margin,
                ["controlAccuracy"] = Adversary.ControlAccuracy,
                ["users"] = Adversary.Users,
                ["controlUsers"] = Adversary.ControlUsers,
                ["issuerRows"] = Adversary.IssuerRows,
                ["relayPayments"] = Adversary.RelayPayments,
                ["traceEntries"] = Adversary.TraceEntries,
                ["chainEvents"] = Adversary.ChainEvents,
                ["strategies"] = Strategies(Adversary.Strategies),
                ["controlStrategies"] = Strategies(Adversary.ControlStrategies),
            },
            ["sharedValues"] = SharedValues is { } shared ? new JsonObject { ["count"] = shared, ["findings"] = new JsonArray([.. SharedValueFindings.Select(f => (JsonNode)f)]) } : NotRun(),
            ["logLeaks"] = LogLeaks is { } leaks ? new JsonObject { ["count"] = leaks, ["findings"] = new JsonArray([.. LogLeakFindings.Select(f => (JsonNode)f)]) } : NotRun(),
            ["wire"] = Wire is { } wire ? new JsonObject
            {
                ["ok"] = wire.All(w => w.Ok),
                ["clientHellos"] = wire.Sum(w => w.ClientHellos),
                ["plaintext"] = wire.Sum(w => w.Plaintext),
                ["preSharedKeys"] = wire.Sum(w => w.PreSharedKeys),
                ["sessionTickets"] = wire.Sum(w => w.SessionTickets),
                ["freshPromised"] = wire.Sum(w => w.FreshPromised),
                ["freshReused"] = wire.Sum(w => w.FreshReused),
                ["services"] = WalletWire.ToJson(wire),
            } : NotRun(),
            ["faults"] = Faults?.ToJson() ?? NotRun(),
            ["fuzz"] = Fuzz?.ToJson() ?? NotRun(),
            ["soak"] = Soak?.ToJson() ?? NotRun(),
        };
        return json;
    }

    public override void Render(IAnsiConsole console)
    {
        ArgumentNullException.ThrowIfNull(console);
        console.MarkupLine($"[bold]privacy audit[/], seed {Seed} (--seed {Seed} replays it), {Users} users per population");
        foreach (var s in Steps)
        {
            var colour = s.Status == StepStatus.Passed ? "green" : s.Status == StepStatus.Failed ? "red" : "yellow";
            console.MarkupLine($"  [{colour}]{s.Status}[/] {Markup.Escape(s.Name)}: {Markup.Escape(s.Detail)} ({s.Seconds:F1} s)");
        }

        if (Adversary is { } a)
        {
            console.MarkupLine($"  adversary: accuracy {a.Accuracy:P2}, chance {a.Chance:P2}, margin {a.Margin:P2}, control accuracy {a.ControlAccuracy:P2}");
        }

        if (Wire is { } w)
        {
            console.MarkupLine($"  wire: {w.Sum(x => x.ClientHellos)} wallet ClientHellos, {w.Sum(x => x.PreSharedKeys)} pre_shared_key, {w.Sum(x => x.SessionTickets)} session tickets, {w.Sum(x => x.FreshReused)} of {w.Sum(x => x.FreshPromised)} fresh connections reused");
        }

        if (Faults is { } f)
        {
            console.MarkupLine($"  faults: {Markup.Escape(f.Summary())}");
        }

        RenderFuzz(console);

        console.MarkupLine($"  shared values: {(SharedValues?.ToString(CultureInfo.InvariantCulture) ?? "not yet run")}; log leaks: {(LogLeaks?.ToString(CultureInfo.InvariantCulture) ?? "not yet run")}");
        console.MarkupLine($"  soak: {Markup.Escape(Soak?.Summary() ?? "not run")}");
    }

    private void RenderFuzz(IAnsiConsole console)
    {
        console.MarkupLine($"  fuzz: {Markup.Escape(Fuzz?.Summary() ?? "not run")}");
    }

    private static JsonObject NotRun() => new() { ["status"] = "not yet run" };

    private static JsonArray Strategies(IReadOnlyList<StrategyResult> results) =>
        new([.. results.Select(r => (JsonNode)new JsonObject { ["name"] = r.Name, ["correct"] = r.Correct, ["total"] = r.Total, ["accuracy"] = r.Accuracy })]);
}
