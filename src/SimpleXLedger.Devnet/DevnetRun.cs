using System.Text.Json;
using SimpleXLedger.Devnet.Network;
using SimpleXLedger.Devnet.Processes;
using SimpleXLedger.Devnet.Scenarios;
using Spectre.Console;

namespace SimpleXLedger.Devnet;

/// <summary>
/// Starts the network, plays a scenario through it, renders progress (stderr) and the report (stdout), then stops or
/// serves until Ctrl+C: the one flow behind <c>sxl devnet</c> and <c>sxl-audit</c>.
/// </summary>
public static class DevnetRun
{
    /// <summary>Everything held (or the network served until Ctrl+C).</summary>
    public const int Ok = 0;

    /// <summary>A check failed, or the network could not start or a service died.</summary>
    public const int Failed = 1;

    /// <summary>
    /// Runs <paramref name="options"/>' network and <paramref name="scenario"/> (if any). With <paramref name="exitAfter"/>
    /// it returns once the scenario has run (<see cref="Ok"/> when it passed, else <see cref="Failed"/>); otherwise it
    /// serves until Ctrl+C. <paramref name="json"/> prints the report as one JSON object on stdout instead of the summary.
    /// </summary>
    public static async Task<int> RunAsync(string programName, DevnetOptions options, IDevnetScenario? scenario, bool exitAfter, bool json, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        var interactive = !Console.IsErrorRedirected;
        if (!interactive)
        {
            errors.Profile.Width = 160;
        }

        errors.MarkupLine($"[bold]{Markup.Escape(programName)}[/]: data in [blue]{Markup.Escape(options.DataDirectory)}[/]");

        DevnetNetwork network;
        try
        {
            network = await WithProgressAsync(errors, interactive, "starting the network", p => DevnetNetwork.StartAsync(options, p, ct));
        }
        catch (DevnetException e)
        {
            errors.MarkupLine($"[red]error:[/] {Markup.Escape(e.Message)}");
            return Failed;
        }
        catch (OperationCanceledException)
        {
            errors.MarkupLine("stopped before the network was up; every process started so far is stopped");
            return Failed;
        }

        try
        {
            var status = Ok;
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

                status = report.Passed ? Ok : Failed;
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
                errors.MarkupLine($"[red]{Markup.Escape(dead.Name)} stopped unexpectedly[/] (status {dead.Exited.Result}); its log: {Markup.Escape(dead.LogPath ?? "none")}\n{Markup.Escape(dead.RecentOutput)}");
                return Failed;
            }

            return status;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return Ok;
        }
        catch (Exception e) when (e is DevnetException or ChildProcessException or ScenarioCheckException or Grpc.Core.RpcException or HttpRequestException)
        {
            // A scenario that could not even get going (its steps record their own failures).
            errors.MarkupLine($"[red]error:[/] {Markup.Escape(e.Message)}");
            return Failed;
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

    /// <summary>Serves until Ctrl+C (null) or until a service or coturn dies (its process).</summary>
    private static async Task<ChildProcess?> ServeUntilStoppedAsync(DevnetNetwork network, CancellationToken ct)
    {
        var died = network.AnyDiedAsync();
        var cancelled = Task.Delay(Timeout.Infinite, ct);
        await Task.WhenAny(died, cancelled);
        return ct.IsCancellationRequested ? null : network.FirstDeadService()?.Process ?? network.Turn?.Coturn.Process;
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

        if (network.Turn is { } turn)
        {
            table.AddRow("coturn (TURN)", Markup.Escape($"{turn.Coturn.Url} (realm {DevnetCoturn.Realm})"));
            table.AddRow("TURN credentials (operator A)", Markup.Escape(turn.Address));
        }
        else
        {
            table.AddRow("TURN", Markup.Escape(network.TurnMissing ?? "not started"));
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
        if (network.Turn is { } t)
        {
            console.WriteLine($"  {sxl} turn credentials --wallet {wallet} --service '{t.Address}'   # an ICE server entry for a call, paid with a token");
        }

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
