using System.Globalization;

namespace SimpleXLedger.Audit.Fuzz;

/// <summary>
/// How much to fuzz and how. From the environment: <c>SXL_AUDIT_FUZZ_CASES</c> (default 100000; CI runs fewer through
/// the same code), <c>SXL_AUDIT_FUZZ_SEED</c> (default: the audit's seed), <c>SXL_AUDIT_FUZZ_REPLAY</c> (case seeds, in
/// hex, comma-separated: only those cases run, one at a time, each between two state digests).
/// </summary>
internal sealed record FuzzOptions
{
    public const string CasesVariable = "SXL_AUDIT_FUZZ_CASES";
    public const string SeedVariable = "SXL_AUDIT_FUZZ_SEED";
    public const string ReplayVariable = "SXL_AUDIT_FUZZ_REPLAY";
    public const long DefaultCases = 100_000;

    public required ulong Seed { get; init; }

    public long Cases { get; init; } = DefaultCases;

    /// <summary>Cases in flight at once (the services take them on two cores; the fuzzer mostly waits).</summary>
    public int Concurrency { get; init; } = 32;

    /// <summary>Cases between two state digests; a change is then looked for case by case within its window.</summary>
    public int Window { get; init; } = 1000;

    public IReadOnlyList<ulong> Replay { get; init; } = [];

    /// <summary>About fifty digests a run, between 200 and 2000 cases apart.</summary>
    public static int WindowFor(long cases) => (int)Math.Clamp(cases / 50, 200, 2000);

    public static FuzzOptions FromEnvironment(ulong auditSeed)
    {
        var cases = Environment.GetEnvironmentVariable(CasesVariable) is { Length: > 0 } c ? long.Parse(c, CultureInfo.InvariantCulture) : DefaultCases;
        var seed = Environment.GetEnvironmentVariable(SeedVariable) is { Length: > 0 } s ? ulong.Parse(s, CultureInfo.InvariantCulture) : auditSeed;
        var replay = Environment.GetEnvironmentVariable(ReplayVariable) is { Length: > 0 } r
            ? r.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(x => ulong.Parse(x, NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToList()
            : [];
        return new FuzzOptions
        {
            Seed = seed,
            Cases = cases,
            Window = WindowFor(cases),
            Replay = replay,
        };
    }
}
