using System.Globalization;
using System.Text.Json.Nodes;

namespace SimpleXLedger.Audit.Fuzz;

/// <summary>One endpoint's figures: cases by verdict, and how often each answer came back.</summary>
internal sealed class EndpointFigures
{
    private readonly Dictionary<string, int> _answers = new(StringComparer.Ordinal);

    public int Cases { get; private set; }

    public Dictionary<Verdict, int> Verdicts { get; } = [];

    public void Add(CaseResult result)
    {
        Cases++;
        Verdicts[result.Verdict] = Verdicts.GetValueOrDefault(result.Verdict) + 1;

        // Answers by their first words (a status and its reason), so the table stays short.
        var answer = result.Answer.Length > 60 ? result.Answer[..60] : result.Answer;
        _answers[answer] = _answers.GetValueOrDefault(answer) + 1;
    }

    public JsonObject ToJson() => new()
    {
        ["cases"] = Cases,
        ["accepted"] = Verdicts.GetValueOrDefault(Verdict.Accepted),
        ["refused"] = Verdicts.GetValueOrDefault(Verdict.Refused),
        ["dropped"] = Verdicts.GetValueOrDefault(Verdict.Dropped),
        ["untyped"] = Verdicts.GetValueOrDefault(Verdict.Untyped) + Verdicts.GetValueOrDefault(Verdict.Hang) + Verdicts.GetValueOrDefault(Verdict.Leak),
        ["answers"] = new JsonObject(_answers.OrderByDescending(a => a.Value).Take(12).Select(a => KeyValuePair.Create(a.Key, (JsonNode?)a.Value))),
    };
}

/// <summary>A case worth a look: what it sent where, what came back, and the seed that replays it.</summary>
internal sealed record FuzzFinding(long Index, ulong Seed, string Endpoint, string Mutation, string Answer, string Kind)
{
    public JsonObject ToJson() => new()
    {
        ["kind"] = Kind,
        ["case"] = Index,
        ["caseSeed"] = Seed.ToString("x16", CultureInfo.InvariantCulture),
        ["endpoint"] = Endpoint,
        ["mutation"] = Mutation,
        ["answer"] = Answer,
    };
}

/// <summary>What the fuzzer did and found (the audit's <c>fuzz</c> section).</summary>
internal sealed class FuzzReport
{
    public const int MaxFindings = 60;

    private readonly List<FuzzFinding> _findings = [];

    public required ulong Seed { get; init; }

    public required long RequestedCases { get; init; }

    public long Cases { get; set; }

    /// <summary>The cases' time (digests included); the fixture's set-up (cards funded, tokens, queues, operator) apart.</summary>
    public double Seconds { get; set; }

    public double SetupSeconds { get; set; }

    public int Concurrency { get; set; }

    public int Crashes { get; set; }

    public int Untyped { get; set; }

    public int Hangs { get; set; }

    public int Leaks { get; set; }

    public int StateChanges { get; set; }

    public int LogLeaks { get; set; }

    public int Windows { get; set; }

    public IReadOnlyList<string> ReplaySeeds { get; set; } = [];

    public List<string> StateChangeDetails { get; } = [];

    public List<string> CrashDetails { get; } = [];

    public List<string> LogLeakDetails { get; } = [];

    /// <summary>Reported changes the services may make on others' behalf (from the first digest to the last).</summary>
    public SortedDictionary<string, long> Info { get; } = new(StringComparer.Ordinal);

    public SortedDictionary<string, EndpointFigures> PerEndpoint { get; } = new(StringComparer.Ordinal);

    public IReadOnlyList<FuzzFinding> Findings => _findings;

    public bool Passed => Cases >= RequestedCases && Crashes == 0 && Untyped == 0 && Hangs == 0 && Leaks == 0 && StateChanges == 0 && LogLeaks == 0;

    public void Add(long index, ulong seed, CaseResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        lock (PerEndpoint)
        {
            Cases++;
            if (!PerEndpoint.TryGetValue(result.Endpoint, out var figures))
            {
                PerEndpoint[result.Endpoint] = figures = new EndpointFigures();
            }

            figures.Add(result);
            switch (result.Verdict)
            {
                case Verdict.Untyped:
                    Untyped++;
                    break;
                case Verdict.Hang:
                    Hangs++;
                    break;
                case Verdict.Leak:
                    Leaks++;
                    break;
            }

            if (result.IsFinding)
            {
                AddFinding(new FuzzFinding(index, seed, result.Endpoint, result.Mutation, result.Answer, result.Verdict.ToString().ToLowerInvariant()));
            }
        }
    }

    /// <summary>Keeps up to <see cref="MaxFindings"/> findings of each kind, a few per endpoint and answer, so every problem shows.</summary>
    public void AddFinding(FuzzFinding finding)
    {
        ArgumentNullException.ThrowIfNull(finding);
        lock (_findings)
        {
            var answer = finding.Answer.Length > 40 ? finding.Answer[..40] : finding.Answer;
            if (_findings.Count(f => f.Kind == finding.Kind) < MaxFindings
                && _findings.Count(f => f.Endpoint == finding.Endpoint && f.Answer.StartsWith(answer, StringComparison.Ordinal)) < 3)
            {
                _findings.Add(finding);
            }
        }
    }

    public string Summary() =>
        $"{Cases} cases in {Seconds:F0} s after {SetupSeconds:F0} s of set-up ({(Seconds > 0 ? Cases / Seconds : 0):F0}/s, {Concurrency} at a time) on {PerEndpoint.Count} endpoints: "
        + $"{Crashes} crashes, {Untyped} untyped answers, {Hangs} hangs, {Leaks} leaks, {StateChanges} state changes, {LogLeaks} secrets in logs";

    public JsonObject ToJson() => new()
    {
        ["ok"] = Passed,
        ["seed"] = Seed.ToString(CultureInfo.InvariantCulture),
        ["cases"] = Cases,
        ["requestedCases"] = RequestedCases,
        ["seconds"] = Math.Round(Seconds, 1),
        ["setupSeconds"] = Math.Round(SetupSeconds, 1),
        ["casesPerSecond"] = Seconds > 0 ? Math.Round(Cases / Seconds, 1) : 0,
        ["concurrency"] = Concurrency,
        ["windows"] = Windows,
        ["crashes"] = Crashes,
        ["untypedErrors"] = Untyped,
        ["hangs"] = Hangs,
        ["leaks"] = Leaks,
        ["stateChanges"] = StateChanges,
        ["logLeaks"] = LogLeaks,
        ["info"] = new JsonObject(Info.Select(i => KeyValuePair.Create(i.Key, (JsonNode?)i.Value))),
        ["perEndpoint"] = new JsonObject(PerEndpoint.Select(e => KeyValuePair.Create(e.Key, (JsonNode?)e.Value.ToJson()))),
        ["findings"] = new JsonArray([.. _findings.Select(f => (JsonNode)f.ToJson())]),
        ["stateChangeDetails"] = new JsonArray([.. StateChangeDetails.Select(d => (JsonNode)d)]),
        ["crashDetails"] = new JsonArray([.. CrashDetails.Select(d => (JsonNode)d)]),
        ["logLeakDetails"] = new JsonArray([.. LogLeakDetails.Select(d => (JsonNode)d)]),
        ["replay"] = ReplaySeeds.Count == 0 ? null : string.Join(",", ReplaySeeds),
    };
}
