using System.CommandLine;
using System.Security.Cryptography;
using System.Text.Json;
using SimpleXLedger.Devnet;
using SimpleXLedger.Devnet.Audit;
using SimpleXLedger.Devnet.Network;
using SimpleXLedger.Devnet.Processes;
using SimpleXLedger.Devnet.Scenarios;
using SimpleXLedger.Net;
using Spectre.Console;

namespace SimpleXLedger.Cli.Commands;

/// <summary><c>sxl devnet</c>: the whole network on this machine, as real processes, until Ctrl+C; optionally a scenario played through it.</summary>
internal static class DevnetCommands
{
    public static Command Build() => Build(ScenarioCatalog.Default());

    /// <summary>Builds the command over a catalog of scenarios (the audit adds its own to the default one).</summary>
    public static Command Build(ScenarioCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var data = new Option<DirectoryInfo?>("--data") { Description = "Where every service keeps its data (SQLite, keys, certificates) and logs. Default: a new temporary directory, kept afterwards." };
        var scenario = new Option<string?>("--scenario") { Description = $"Play a scenario through the network once it is up: {string.Join(", ", catalog.Names.Select(n => $"{n} ({catalog.DescriptionOf(n)})"))}." };
        var exit = new Option<bool>("--exit") { Description = "Stop once the scenario has run; the exit status says whether everything held (0) or not (1)." };
        var json = new Option<bool>("--json") { Description = "Print the scenario's findings as one JSON object on stdout (nothing else goes there) instead of the summary." };
        var epochSeconds = new Option<ulong>("--epoch-seconds") { Description = "Settlement epoch length, in seconds of block time.", DefaultValueFactory = _ => 30 };
        var seed = new Option<ulong?>("--seed") { Description = $"Audit: the seed of the simulated users' behaviour, printed in the output so a run can be replayed (default: {AuditScenario.SeedVariable}, else random)." };
        var users = new Option<int?>("--users") { Description = $"Audit: simulated users in each population, careful and control (default: {AuditScenario.UsersVariable}, else 200)." };
        var soakSeconds = new Option<int?>("--soak-seconds") { Description = $"Audit: how long the soak runs, in seconds; 0 skips it (default: {AuditScenario.SoakSecondsVariable}, else 120)." };
        var soakUsers = new Option<int?>("--soak-users") { Description = $"Audit: concurrent users in the soak (default: {AuditScenario.SoakUsersVariable}, else 32)." };
        var fuzzCases = new Option<long?>("--fuzz-cases") { Description = "Audit: bad-input cases sent to the services' endpoints; 0 skips the fuzzing (default: SXL_AUDIT_FUZZ_CASES, else 100000). Each case's seed is in the findings; SXL_AUDIT_FUZZ_REPLAY=<case seeds> replays single cases." };
        var command = new Command(
            "devnet",
            "Run the whole network on this machine: Anvil with the ledger deployed, an issuer, a clearing house and two relays, each its own `sxl … serve` process on loopback with --devnet, and a vendor batch funded. Serves until Ctrl+C, which stops every process.")
        {
            data, scenario, exit, json, epochSeconds, seed, users, soakSeconds, soakUsers, fuzzCases,
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

            if (ApplyAuditOptions(chosen, parse.GetValue(seed), parse.GetValue(users), parse.GetValue(soakSeconds), parse.GetValue(soakUsers), parse.GetValue(fuzzCases)) is { } auditError)
            {
                await Console.Error.WriteLineAsync($"error: {auditError}");
                return ExitCodes.Usage;
            }

            var directory = parse.GetValue(data)?.FullName ?? Path.Combine(Path.GetTempPath(), "sxl-devnet-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)));
            var options = new DevnetOptions
            {
                DataDirectory = directory,
                Program = SxlProgram.Current(),
                EpochSeconds = parse.GetValue(epochSeconds),
            };
            options = chosen?.Configure(options) ?? options;
            return await RunAsync(options, chosen, parse.GetValue(exit), parse.GetValue(json), ct);
        });
        return command;
    }

    /// <summary>The audit's own options (seed, population, soak) onto the audit scenario; an error when they do not fit.</summary>
    private static string? ApplyAuditOptions(IDevnetScenario? chosen, ulong? seed, int? users, int? soakSeconds, int? soakUsers, long? fuzzCases)
    {
        if (chosen is not AuditScenario audit)
        {
            return seed is null && users is null && soakSeconds is null && soakUsers is null && fuzzCases is null ? null : "--seed, --users, --soak-seconds, --soak-users and --fuzz-cases go with --scenario audit";
        }

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

    private static async Task<int> RunAsync(DevnetOptions options, IDevnetScenario? scenario, bool exitAfter, bool json, CancellationToken ct)
    {
        var errors = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        var interactive = !Console.IsErrorRedirected;
        if (!interactive)
        {
            errors.Profile.Width = 160;
        }

        errors.MarkupLine($"[bold]sxl devnet[/]: data in [blue]{Markup.Escape(options.DataDirectory)}[/]");

        DevnetNetwork network;
        try
        {
            network = await WithProgressAsync(errors, interactive, "starting the network", p => DevnetNetwork.StartAsync(options, p, ct));
        }
        catch (DevnetException e)
        {
            errors.MarkupLine($"[red]error:[/] {Markup.Escape(e.Message)}");
            return ExitCodes.Failed;
        }
        catch (OperationCanceledException)
        {
            errors.MarkupLine("stopped before the network was up; every process started so far is stopped");
            return ExitCodes.Failed;
        }

        try
        {
            var status = ExitCodes.Ok;
            if (scenario is not null)
            {
                var report = await WithProgressAsync(errors, interactive, $"scenario {scenario.Name}", p => scenario.RunAsync(network, p, ct));
                if (json)
                {
                    await Console.Out.WriteLineAsync(report.ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
                }
                else
                {
                    report.Render(Stdout());
                }

                status = report.Passed ? ExitCodes.Ok : ExitCodes.Failed;
                if (exitAfter)
                {
                    return status;
                }
            }

            // The guide goes where people read: stdout, unless stdout is the JSON's alone.
            RenderGuide(json ? errors : Stdout(), network);
            var dead = await ServeUntilStoppedAsync(network, ct);
            if (dead is not null)
            {
                errors.MarkupLine($"[red]{Markup.Escape(dead.Name)} stopped unexpectedly[/] (status {dead.Process.Exited.Result}); its log: {Markup.Escape(dead.LogPath)}\n{Markup.Escape(dead.Process.RecentOutput)}");
                return ExitCodes.Failed;
            }

            return status;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return ExitCodes.Ok;
        }
        catch (Exception e) when (e is DevnetException or ChildProcessException or ScenarioCheckException or Grpc.Core.RpcException or HttpRequestException)
        {
            // A scenario that could not even get going (its steps record their own failures).
            errors.MarkupLine($"[red]error:[/] {Markup.Escape(e.Message)}");
            return ExitCodes.Failed;
        }
        finally
        {
            errors.MarkupLine("stopping every process …");
            var stopping = network.DisposeAsync().AsTask();
            // Ctrl+C handling may return from the command before this finishes: hold the exit until it has.
            ChildProcess.HoldExitUntil(stopping);
            await stopping;
            errors.MarkupLine($"stopped. Data and logs are kept in [blue]{Markup.Escape(options.DataDirectory)}[/]");
        }
    }

    /// <summary>Serves until Ctrl+C (null) or until a service dies (that service).</summary>
    private static async Task<DevnetService?> ServeUntilStoppedAsync(DevnetNetwork network, CancellationToken ct)
    {
        var died = Task.WhenAny(network.Services.Select(s => s.Process.Exited));
        var cancelled = Task.Delay(Timeout.Infinite, ct);
        await Task.WhenAny(died, cancelled);
        return ct.IsCancellationRequested ? null : network.FirstDeadService();
    }

    private static void RenderGuide(IAnsiConsole console, DevnetNetwork network)
    {
        var sxl = network.Runner.Program.Display;
        var table = new Table().Border(TableBorder.Rounded).Title("[bold]The devnet is up[/]")
            .AddColumn(new TableColumn("service")).AddColumn(new TableColumn("address"));
        table.AddRow("chain (Anvil)", Markup.Escape(network.RpcUrl));
        table.AddRow("ledger", Markup.Escape(network.Ledger));
        table.AddRow("issuer (gRPC)", Markup.Escape(network.Issuer.Grpc.ToString()));
        table.AddRow("issuer (RFC 9578 HTTP)", Markup.Escape(network.Issuer.Directory.ToString()));
        table.AddRow("clearing house", Markup.Escape(network.Clearing.Address));
        foreach (var relay in network.Relays)
        {
            table.AddRow(Markup.Escape(relay.Name), Markup.Escape(relay.Address));
        }

        table.AddRow("vendor batch", Markup.Escape($"{network.Batch.Cards} cards of {network.Batch.CreditsPerCard} credits; codes in {network.Batch.CodesFile}"));
        table.AddRow("logs", Markup.Escape(network.Options.LogDirectory));
        console.Write(table);

        var relayA = network.Relays[0].Address;
        var wallet = SxlProgram.Quote(Path.Combine(network.Options.DataDirectory, "my-wallet.sxlw"));
        var w = $"{sxl} wallet --wallet {wallet}";
        console.MarkupLine("[bold]Try this[/] (in another terminal): a wallet, a card, a paid queue, a message.");
        console.WriteLine("  export SXL_WALLET_PASSPHRASE='a devnet passphrase'");
        console.WriteLine($"  {w} init --kdf-memory 64 --topup-delay uniform:1s-3s --min-token-age 0   # devnet: spend at once");
        console.WriteLine($"  {w} redeem \"$(head -n 1 {SxlProgram.Quote(network.Batch.CodesFile)})\" --issuer {network.Issuer.Grpc} --directory {network.Issuer.Http} --rpc {network.RpcUrl} --ledger {network.Ledger}");
        console.WriteLine($"  {w} queue create --relay '{relayA}' --name inbox");
        console.WriteLine($"  {w} run --until-idle        # the queue's top-up, after its random delay");
        console.WriteLine($"  {w} queue send --queue inbox --message hello");
        console.WriteLine($"  {w} queue receive --queue inbox");
        console.WriteLine($"  {w} balance");
        console.MarkupLine("[bold]And look around[/]:");
        console.WriteLine($"  {sxl} ledger show --rpc {network.RpcUrl} --ledger {network.Ledger}");
        console.WriteLine($"  {sxl} issuer keys list --data {SxlProgram.Quote(network.Issuer.DataDirectory)}");
        console.WriteLine($"  curl -s {network.Issuer.Directory}");
        console.WriteLine($"  {sxl} devnet --scenario smoke --exit      # two users through everything, on a devnet of its own");
        console.MarkupLine("Ctrl+C stops every process.");
    }

    private static IAnsiConsole Stdout()
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
        if (Console.IsOutputRedirected)
        {
            // Captured or piped: no terminal width to fit, so do not wrap the tables.
            console.Profile.Width = 160;
        }

        return console;
    }

    /// <summary>A spinner with the current step and a line per finished step on a terminal; plain lines otherwise (always on stderr).</summary>
    private static async Task<T> WithProgressAsync<T>(IAnsiConsole console, bool interactive, string title, Func<IDevnetProgress, Task<T>> work)
    {
        if (!interactive)
        {
            return await work(new PlainProgress());
        }

        return await console.Status().Spinner(Spinner.Known.Dots).StartAsync(title, ctx => work(new StatusProgress(console, ctx)));
    }

    private sealed class StatusProgress(IAnsiConsole console, StatusContext context) : IDevnetProgress
    {
        public void Doing(string what) => context.Status(Markup.Escape(what) + " …");

        public void Done(string what) => console.MarkupLine($"[green]✓[/] {Markup.Escape(what)}");

        public void Noted(string what) => console.MarkupLine($"[yellow]…[/] {Markup.Escape(what)}");

        public void Failed(string what) => console.MarkupLine($"[red]✗[/] {Markup.Escape(what)}");

        public void Detail(string line) => console.MarkupLine($"  [grey]{Markup.Escape(line)}[/]");
    }

    /// <summary>Whole lines, never wrapped (logs and CI read them).</summary>
    private sealed class PlainProgress : IDevnetProgress
    {
        public void Doing(string what) => Console.Error.WriteLine($"devnet: {what} …");

        public void Done(string what) => Console.Error.WriteLine($"devnet: ok: {what}");

        public void Noted(string what) => Console.Error.WriteLine($"devnet: note: {what}");

        public void Failed(string what) => Console.Error.WriteLine($"devnet: FAILED: {what}");

        public void Detail(string line) => Console.Error.WriteLine($"devnet:   {line}");
    }
}
