using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Numerics;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SimpleXLedger.Chain.Accounts;
using SimpleXLedger.Chain.Services;
using SimpleXLedger.Clearing.Client;
using SimpleXLedger.Hosting.Startup;
using SimpleXLedger.Net;
using SimpleXLedger.Operator.Observability;
using SimpleXLedger.Operator.Payouts;
using Spectre.Console;

namespace SimpleXLedger.Cli.Commands;

/// <summary>
/// <c>sxl operator watch|earnings|dispute</c>: the operator's side of settlement, from its stored receipts. The watcher
/// is its own process (run beside the relay, on the relay's receipts file): it checks every posted epoch, disputes by
/// itself when underpaid or missing, and claims once the window closed.
/// </summary>
internal static class OperatorPayoutCommands
{
    private sealed record Common(Option<string> Clearing, Option<FileInfo> Receipts, Option<string> Rpc, Option<string> Ledger, Option<FileInfo> Key, Option<int> Confirmations);

    private static Common Options() => new(
        new Option<string>("--clearing") { Description = "The clearing house's address, sxl://<fingerprint>@host:port (its published leaf lists).", Required = true },
        new Option<FileInfo>("--receipts") { Description = $"The relay's receipts file ({ReceiptLog.DefaultFileName} in its data directory).", Required = true },
        new Option<string>("--rpc") { Description = "Ethereum JSON-RPC URL of the ledger's chain.", Required = true },
        new Option<string>("--ledger") { Description = "The ledger contract address.", Required = true },
        new Option<FileInfo>("--key") { Description = "The payee's Ethereum key file: disputes must come from the payee itself.", Required = true },
        ChainOptions.Confirmations());

    private static void Add(Command command, Common o)
    {
        command.Options.Add(o.Clearing);
        command.Options.Add(o.Receipts);
        command.Options.Add(o.Rpc);
        command.Options.Add(o.Ledger);
        command.Options.Add(o.Key);
        command.Options.Add(o.Confirmations);
    }

    public static IEnumerable<Command> Build() => [BuildWatch(), BuildEarnings(), BuildDispute()];

    private static Command BuildWatch()
    {
        var o = Options();
        var interval = new Option<int>("--interval-ms") { Description = "How often to check the ledger.", DefaultValueFactory = _ => 5000 };
        var once = new Option<bool>("--once") { Description = "Check (and act) once, print the result as JSON lines, and exit." };
        var metricsOption = new Option<string?>("--metrics") { Description = "ip:port for Prometheus metrics at /metrics, plain HTTP on a listener of its own (keep it on loopback or a private network; off when not given)." };
        var gasAlarm = new Option<string>("--gas-alarm-wei") { Description = "Alarm (log and sxl_operator_gas_balance_low) when the payee's ETH balance for gas is below this many wei.", DefaultValueFactory = _ => "10000000000000000" };
        var command = new Command("watch", "Watch posted epochs against the stored receipts: verify each published leaf list against its anchored root and hash, dispute by itself when underpaid or missing, settle unanswered disputes, claim once the window closed.") { interval, once, metricsOption, gasAlarm };
        Add(command, o);
        command.SetAction(async (parse, ct) =>
        {
            IPEndPoint? metricsAt = null;
            if (parse.GetValue(metricsOption) is { } metricsText && !IPEndPoint.TryParse(metricsText, out metricsAt))
            {
                await Console.Error.WriteLineAsync("error: --metrics must be ip:port, for example 127.0.0.1:9471");
                return ExitCodes.Usage;
            }

            if (!BigInteger.TryParse(parse.GetValue(gasAlarm), NumberStyles.None, CultureInfo.InvariantCulture, out var alarmWei))
            {
                await Console.Error.WriteLineAsync("error: --gas-alarm-wei must be a whole number of wei");
                return ExitCodes.Usage;
            }

            var metrics = new OperatorMetrics(new ServiceMetrics(), alarmWei);
            MetricsListener? listener = null;
            try
            {
                return await RunAsync(parse, o, metrics.Observe, (watcher, log) => WatchAsync(parse, once, interval, watcher, log, metrics, metricsAt, l => listener = l, ct));
            }
            finally
            {
                if (listener is not null)
                {
                    await listener.DisposeAsync();
                }
            }
        });
        return command;
    }

    private static async Task<int> WatchAsync(ParseResult parse, Option<bool> once, Option<int> interval, PayoutWatcher watcher, ILogger log, OperatorMetrics metrics, IPEndPoint? metricsAt, Action<MetricsListener> started, CancellationToken ct)
    {
        if (metricsAt is not null)
        {
            var listener = await MetricsListener.StartAsync(metrics.Metrics, metricsAt, ct);
            started(listener);
            log.LogInformation("metrics at {Url}metrics", listener.Url);
        }

        var gasWasLow = false;
        do
        {
            try
            {
                var results = await watcher.CheckAsync(act: true, ct);
                // The balance first: a scrape that sees this check's claims sees the gas they cost.
                var low = metrics.GasBalance(await watcher.GasBalanceAsync(ct));
                metrics.Checked(results);
                if (low && !gasWasLow)
                {
                    log.LogWarning("the payee's gas balance is below the alarm at {Alarm} wei: top it up, or disputes and claims will fail", metrics.GasAlarmWei);
                }

                gasWasLow = low;
                if (parse.GetValue(once))
                {
                    foreach (var r in results)
                    {
                        await Console.Out.WriteLineAsync(Json(r));
                    }

                    return ExitCodes.Ok;
                }

                foreach (var r in results.Where(r => r.Action is not null))
                {
                    log.LogInformation("epoch {Epoch}: {Action}", r.Epoch, r.Action);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                metrics.CheckFailed();
                log.LogWarning("check failed: {Error}: {Message}", e.GetType().Name, e.Message);
                if (parse.GetValue(once))
                {
                    return ExitCodes.Failed;
                }
            }

            try
            {
                await Task.Delay(parse.GetValue(interval), ct);
            }
            catch (OperationCanceledException)
            {
                return ExitCodes.Ok;
            }
        }
        while (true);
    }

    private static Command BuildEarnings()
    {
        var o = Options();
        var json = new Option<bool>("--json") { Description = "One JSON line per epoch instead of a table." };
        var command = new Command("earnings", "Epochs with receipts: receipts, accepted tokens, owed, leaf, claim and dispute status (reads only).") { json };
        Add(command, o);
        command.SetAction((parse, ct) => RunAsync(parse, o, async (watcher, _) =>
        {
            var results = await watcher.CheckAsync(act: false, ct);
            if (parse.GetValue(json))
            {
                foreach (var r in results)
                {
                    await Console.Out.WriteLineAsync(Json(r));
                }

                return ExitCodes.Ok;
            }

            var table = new Table().AddColumns("epoch", "receipts", "accepted", "owed", "leaf", "status", "dispute");
            foreach (var r in results)
            {
                table.AddRow(
                    r.Epoch.ToString(CultureInfo.InvariantCulture),
                    r.Receipts.ToString(CultureInfo.InvariantCulture),
                    r.AcceptedInEpoch.ToString(CultureInfo.InvariantCulture),
                    r.Owed.ToString(CultureInfo.InvariantCulture),
                    r.Leaf?.ToString(CultureInfo.InvariantCulture) ?? "-",
                    r.State.ToString(),
                    r.Dispute.ToString());
            }

            AnsiConsole.Write(table);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command BuildDispute()
    {
        var o = Options();
        var epoch = new Option<ulong>("--epoch") { Description = "The epoch to check and, if underpaid or missing, dispute.", Required = true };
        var command = new Command("dispute", "Check one epoch now and dispute it if the leaf pays less than the best receipt or is missing (what the watcher does by itself). Exit 1 when there was nothing to dispute.") { epoch };
        Add(command, o);
        command.SetAction((parse, ct) => RunAsync(parse, o, async (watcher, _) =>
        {
            var results = await watcher.CheckAsync(act: true, ct, parse.GetValue(epoch));
            if (results.Count == 0)
            {
                await Console.Error.WriteLineAsync("error: no receipts for that epoch");
                return ExitCodes.Failed;
            }

            var r = results[0];
            await Console.Out.WriteLineAsync(Json(r));
            return r.State is EarningState.ProvenUnderpaid or EarningState.DisputedMissing ? ExitCodes.Ok : ExitCodes.Failed;
        }));
        return command;
    }

    private static Task<int> RunAsync(ParseResult parse, Common o, Func<PayoutWatcher, ILogger, Task<int>> body) => RunAsync(parse, o, null, body);

    private static async Task<int> RunAsync(ParseResult parse, Common o, Action<ChainConnection>? connected, Func<PayoutWatcher, ILogger, Task<int>> body)
    {
        if (!PinnedAddress.TryParse(parse.GetValue(o.Clearing), out var address, out var addressError))
        {
            await Console.Error.WriteLineAsync($"error: --clearing: {addressError}");
            return ExitCodes.Usage;
        }

        if (parse.GetValue(o.Confirmations) < 1)
        {
            await Console.Error.WriteLineAsync($"error: {ChainOptions.ConfirmationsError}");
            return ExitCodes.Usage;
        }

        using var loggers = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Information).AddFilter("Microsoft", LogLevel.Warning).AddFilter("System", LogLevel.Warning).AddSimpleConsole(c => c.SingleLine = true)
            .Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(c => c.LogToStandardErrorThreshold = LogLevel.Trace));
        var log = loggers.CreateLogger("payouts");
        try
        {
            var key = EthereumKeyFile.Read(parse.GetValue(o.Key)!.FullName);
            using var chain = await ChainConnection.ConnectAsync(parse.GetValue(o.Rpc)!, key, logger: loggers.CreateLogger("chain"));
            chain.WithConfirmations(parse.GetValue(o.Confirmations));
            connected?.Invoke(chain);
            var ledger = await LedgerClient.AttachAsync(chain, parse.GetValue(o.Ledger)!, loggers.CreateLogger("ledger"));
            using var settlement = SettlementClient.Connect(address!);
            return await body(new PayoutWatcher(ledger, settlement, parse.GetValue(o.Receipts)!.FullName, log), log);
        }
        catch (Exception e) when (e is KeyFileException or IOException or InvalidOperationException or SimpleXLedger.Chain.Contracts.LedgerRevertException or Grpc.Core.RpcException)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            return ExitCodes.Failed;
        }
    }

    private static string Json(EpochEarnings r) => JsonSerializer.Serialize(new
    {
        epoch = r.Epoch,
        receipts = r.Receipts,
        acceptedInEpoch = r.AcceptedInEpoch,
        owed = r.Owed.ToString(CultureInfo.InvariantCulture),
        leaf = r.Leaf?.ToString(CultureInfo.InvariantCulture),
        state = r.State.ToString(),
        dispute = r.Dispute.ToString(),
        action = r.Action,
    });
}
