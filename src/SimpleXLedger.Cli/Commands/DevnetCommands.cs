using System.CommandLine;
using System.Security.Cryptography;
using SimpleXLedger.Devnet;
using SimpleXLedger.Devnet.Network;
using SimpleXLedger.Devnet.Processes;
using SimpleXLedger.Devnet.Scenarios;
using SimpleXLedger.Net;
using Spectre.Console;

namespace SimpleXLedger.Cli.Commands;

/// <summary>
/// <c>sxl devnet</c>: the whole network on this machine, as real processes, until Ctrl+C; optionally a scenario played
/// through it. The privacy audit is not here: it is its own program, <c>sxl-audit</c> (tools/SimpleXLedger.Audit).
/// </summary>
internal static class DevnetCommands
{
    public static Command Build() => Build(ScenarioCatalog.Default());

    /// <summary>Builds the command over a catalog of scenarios.</summary>
    public static Command Build(ScenarioCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var data = new Option<DirectoryInfo?>("--data") { Description = "Where every service keeps its data (SQLite, keys, certificates) and logs. Default: a new temporary directory, kept afterwards." };
        var scenario = new Option<string?>("--scenario") { Description = $"Play a scenario through the network once it is up: {string.Join(", ", catalog.Names.Select(n => $"{n} ({catalog.DescriptionOf(n)})"))}." };
        var exit = new Option<bool>("--exit") { Description = "Stop once the scenario has run; the exit status says whether everything held (0) or not (1)." };
        var json = new Option<bool>("--json") { Description = "Print the scenario's findings as one JSON object on stdout (nothing else goes there) instead of the summary." };
        var epochSeconds = new Option<ulong>("--epoch-seconds") { Description = "Settlement epoch length, in seconds of block time.", DefaultValueFactory = _ => 30 };
        var noTurn = new Option<bool>("--no-turn") { Description = "Leave TURN out: no coturn and no `sxl turn serve` (they start when coturn's turnserver is installed)." };
        var command = new Command(
            "devnet",
            "Run the whole network on this machine: Anvil with the ledger deployed, an issuer, a clearing house and two relays, each its own `sxl … serve` process on loopback with --devnet, coturn with `sxl turn serve` beside it (when coturn is installed), and a vendor batch funded. Serves until Ctrl+C, which stops every process.")
        {
            data, scenario, exit, json, epochSeconds, noTurn,
        };
        command.SetAction(async (parse, ct) =>
        {
            IDevnetScenario? chosen = null;
            if (parse.GetValue(scenario) is { } name && !catalog.TryCreate(name, out chosen))
            {
                await Console.Error.WriteLineAsync($"error: no scenario '{name}'; there are: {string.Join(", ", catalog.Names)}");
                return ExitCodes.Usage;
            }

            if (parse.GetValue(exit) && chosen is null)
            {
                await Console.Error.WriteLineAsync("error: --exit stops after a scenario: give --scenario too");
                return ExitCodes.Usage;
            }

            var directory = parse.GetValue(data)?.FullName ?? Path.Combine(Path.GetTempPath(), "sxl-devnet-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)));
            var options = new DevnetOptions
            {
                DataDirectory = directory,
                Program = SxlProgram.Current(),
                EpochSeconds = parse.GetValue(epochSeconds),
                Turn = !parse.GetValue(noTurn),
            };
            options = chosen?.Configure(options) ?? options;
            return await DevnetRun.RunAsync("sxl devnet", options, chosen, parse.GetValue(exit), parse.GetValue(json), ct);
        });
        return command;
    }
}
