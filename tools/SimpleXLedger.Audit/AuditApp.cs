using System.CommandLine;
using System.Security.Cryptography;
using SimpleXLedger.Audit.Fuzz;
using SimpleXLedger.Devnet;
using SimpleXLedger.Devnet.Network;

namespace SimpleXLedger.Audit;

/// <summary>
/// The <c>sxl-audit</c> program: starts a devnet of its own (the built <c>sxl</c>, see <see cref="SxlLocation"/>),
/// plays the audit through it, and prints the findings. Exit status: 0 everything held, 1 a check failed, 2 bad usage.
/// </summary>
public static class AuditApp
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int Usage = 2;

    public static RootCommand Build()
    {
        var data = new Option<DirectoryInfo?>("--data") { Description = "Where every service keeps its data (SQLite, keys, certificates) and logs. Default: a new temporary directory, kept afterwards." };
        var exit = new Option<bool>("--exit") { Description = "Stop once the audit has run; the exit status says whether everything held (0) or not (1). Without it the devnet serves on until Ctrl+C." };
        var json = new Option<bool>("--json") { Description = "Print the findings as one JSON object on stdout (nothing else goes there) instead of the summary." };
        var epochSeconds = new Option<ulong>("--epoch-seconds") { Description = "Settlement epoch length, in seconds of block time (the audit uses at most 10).", DefaultValueFactory = _ => 30 };
        var seed = new Option<ulong?>("--seed") { Description = $"The seed of the simulated users' behaviour, printed in the output so a run can be replayed (default: {AuditScenario.SeedVariable}, else random)." };
        var users = new Option<int?>("--users") { Description = $"Simulated users in each population, careful and control (default: {AuditScenario.UsersVariable}, else 200)." };
        var soakSeconds = new Option<int?>("--soak-seconds") { Description = $"How long the soak runs, in seconds; 0 skips it (default: {AuditScenario.SoakSecondsVariable}, else 120)." };
        var soakUsers = new Option<int?>("--soak-users") { Description = $"Concurrent users in the soak (default: {AuditScenario.SoakUsersVariable}, else 32)." };
        var fuzzCases = new Option<long?>("--fuzz-cases") { Description = $"Bad-input cases sent to the services' endpoints; 0 skips the fuzzing (default: {FuzzOptions.CasesVariable}, else 100000). Each case's seed is in the findings; {FuzzOptions.ReplayVariable}=<case seeds> replays single cases." };
        var root = new RootCommand(
            $"sxl-audit, the {AuditScenario.ScenarioDescription}; then faults (every service killed and restarted, the chain cut away), a soak and a fuzzer, on a devnet of its own (Anvil, an issuer, a clearing house, two relays, each the built `sxl` as its own process; {SxlLocation.ProgramVariable} names another sxl).")
        {
            data, exit, json, epochSeconds, seed, users, soakSeconds, soakUsers, fuzzCases,
        };
        root.SetAction(async (parse, ct) =>
        {
            var audit = new AuditScenario();
            if (ApplyOptions(audit, parse.GetValue(seed), parse.GetValue(users), parse.GetValue(soakSeconds), parse.GetValue(soakUsers), parse.GetValue(fuzzCases)) is { } error)
            {
                await Console.Error.WriteLineAsync($"error: {error}");
                return Usage;
            }

            Devnet.Processes.SxlProgram program;
            try
            {
                program = SxlLocation.Find();
            }
            catch (FileNotFoundException e)
            {
                await Console.Error.WriteLineAsync($"error: {e.Message}");
                return Usage;
            }

            var directory = parse.GetValue(data)?.FullName ?? Path.Combine(Path.GetTempPath(), "sxl-audit-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)));
            var options = audit.Configure(new DevnetOptions
            {
                DataDirectory = directory,
                Program = program,
                EpochSeconds = parse.GetValue(epochSeconds),
            });
            return await DevnetRun.RunAsync("sxl-audit", options, audit, parse.GetValue(exit), parse.GetValue(json), ct);
        });
        return root;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var parse = Build().Parse(args);
        if (parse.Errors.Count > 0)
        {
            // Usage errors exit 2 (System.CommandLine's own default is 1, which means "a check failed" here).
            foreach (var error in parse.Errors)
            {
                await Console.Error.WriteLineAsync($"error: {error.Message}");
            }

            await Console.Error.WriteLineAsync("Run with --help for usage.");
            return Usage;
        }

        return await parse.InvokeAsync(new InvocationConfiguration());
    }

    /// <summary>The audit's own options (seed, population, soak, fuzz) onto the scenario; an error when they do not fit.</summary>
    private static string? ApplyOptions(AuditScenario audit, ulong? seed, int? users, int? soakSeconds, int? soakUsers, long? fuzzCases)
    {
        if (fuzzCases is < 0 or > 10_000_000)
        {
            return "--fuzz-cases is 0 to 10000000";
        }

        if (users is < 2 or > 10_000)
        {
            return "--users is 2 to 10000";
        }

        if (soakSeconds is < 0 or > 3600)
        {
            return "--soak-seconds is 0 to 3600";
        }

        if (soakUsers is < 1 or > 1000)
        {
            return "--soak-users is 1 to 1000";
        }

        audit.Seed = seed ?? audit.Seed;
        audit.Users = users ?? audit.Users;
        audit.SoakSeconds = soakSeconds ?? audit.SoakSeconds;
        audit.SoakUsers = soakUsers ?? audit.SoakUsers;
        audit.FuzzCases = fuzzCases ?? audit.FuzzCases;
        return null;
    }
}
