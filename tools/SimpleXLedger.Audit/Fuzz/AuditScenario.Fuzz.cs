using SimpleXLedger.Audit.Fuzz;
using SimpleXLedger.Devnet.Scenarios;

namespace SimpleXLedger.Audit;

/// <summary>The audit's bad-input section (issue 9): the fuzzer over every endpoint of every service of the network.</summary>
public sealed partial class AuditScenario
{
    /// <summary>Fuzz cases (<c>--fuzz-cases</c>, 0 skips the section); null: <c>SXL_AUDIT_FUZZ_CASES</c>, else 100000.</summary>
    public long? FuzzCases { get; set; }

    private async Task<string> FuzzAsync(ulong seed, AuditReport report, CancellationToken ct)
    {
        var options = FuzzOptions.FromEnvironment(seed);
        if (FuzzCases is { } cases)
        {
            options = options with { Cases = cases, Window = FuzzOptions.WindowFor(cases) };
        }

        if (options.Cases <= 0 && options.Replay.Count == 0)
        {
            return "left out (0 cases asked for)";
        }

        _progress.Noted($"fuzz seed {options.Seed}: {options.Cases} cases ({FuzzOptions.ReplayVariable}=<case seeds> replays single cases)");
        var result = await FuzzRun.RunAsync(FuzzTargets.From(_network), options, _progress.Detail, ct);
        report.Fuzz = result;
        ScenarioCheckException.That(result.Passed, $"{result.Summary()}: {string.Join("; ", result.Findings.Take(5).Select(f => $"{f.Endpoint} {f.Mutation} → {f.Answer} (case seed {f.Seed:x16})").Concat(result.StateChangeDetails.Take(3)).Concat(result.CrashDetails))}");
        return result.Summary();
    }
}
