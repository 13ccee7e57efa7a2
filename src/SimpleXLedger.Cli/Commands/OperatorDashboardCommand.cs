using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Numerics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SimpleXLedger.Chain.Services;
using SimpleXLedger.Clearing.Client;
using SimpleXLedger.Net;
using SimpleXLedger.Operator.Dashboard;
using SimpleXLedger.Operator.Payouts;

namespace SimpleXLedger.Cli.Commands;

/// <summary>
/// <c>sxl operator dashboard</c>: the operator's page (earnings per epoch, epoch states, claims, alarms, service health)
/// on a loopback HTTP listener. It reads only: no key, no transaction.
/// </summary>
internal static class OperatorDashboardCommand
{
    public static Command Build()
    {
        var listen = new Option<string>("--listen") { Description = "ip:port to serve the page on (plain HTTP: keep it on loopback or behind an authenticating proxy).", DefaultValueFactory = _ => "127.0.0.1:9470" };
        var clearing = new Option<string>("--clearing") { Description = "The clearing house's address, sxl://<fingerprint>@host:port (its leaf lists and health).", Required = true };
        var receipts = new Option<FileInfo>("--receipts") { Description = $"The relay's receipts file ({ReceiptLog.DefaultFileName} in its data directory).", Required = true };
        var rpc = new Option<string>("--rpc") { Description = "Ethereum JSON-RPC URL of the ledger's chain.", Required = true };
        var ledger = new Option<string>("--ledger") { Description = "The ledger contract address.", Required = true };
        var payee = new Option<string>("--payee") { Description = "The payout address (0x…) whose earnings are shown.", Required = true };
        var relay = new Option<string?>("--relay") { Description = "The relay's address, sxl://<fingerprint>@host:port, whose health is shown." };
        var txUrl = new Option<string?>("--tx-url") { Description = "A block explorer's transaction URL with {tx} for the hash, e.g. https://etherscan.io/tx/{tx} (default: hashes unlinked)." };
        var confirmations = ChainOptions.Confirmations();
        var gasAlarm = new Option<string>("--gas-alarm-wei") { Description = "Raise an alarm when the payee's ETH balance for gas is below this many wei.", DefaultValueFactory = _ => "10000000000000000" };
        var command = new Command("dashboard", "Serve the operator's dashboard: earnings per epoch (chart), tokens accepted, receipts held, each epoch's state, claims paid with their transactions, alarms and service health. Reads only. Prints the page's URL.")
        {
            listen, clearing, receipts, rpc, ledger, payee, relay, txUrl, gasAlarm, confirmations,
        };
        command.SetAction(async (parse, ct) =>
        {
            if (!IPEndPoint.TryParse(parse.GetValue(listen)!, out var endpoint))
            {
                return await UsageAsync("--listen must be ip:port, for example 127.0.0.1:9470");
            }

            if (!PinnedAddress.TryParse(parse.GetValue(clearing), out var clearingAddress, out var clearingError))
            {
                return await UsageAsync($"--clearing: {clearingError}");
            }

            PinnedAddress? relayAddress = null;
            if (parse.GetValue(relay) is { } relayText && !PinnedAddress.TryParse(relayText, out relayAddress, out var relayError))
            {
                return await UsageAsync($"--relay: {relayError}");
            }

            var payeeAddress = parse.GetValue(payee)!;
            if (!ClearingProtocol.IsAddress(payeeAddress))
            {
                return await UsageAsync("--payee must be an address, 0x and 40 hex digits");
            }

            if (parse.GetValue(confirmations) < 1)
            {
                return await UsageAsync(ChainOptions.ConfirmationsError);
            }

            if (!BigInteger.TryParse(parse.GetValue(gasAlarm), NumberStyles.None, CultureInfo.InvariantCulture, out var alarmWei))
            {
                return await UsageAsync("--gas-alarm-wei must be a whole number of wei");
            }

            var settings = new DashboardSettings { Payee = payeeAddress, Clearing = clearingAddress, Relay = relayAddress, TransactionUrl = parse.GetValue(txUrl), GasAlarmWei = alarmWei };
            if (settings.Validate() is { } invalid)
            {
                return await UsageAsync(invalid);
            }

            using var loggers = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Information).AddFilter("Microsoft", LogLevel.Warning).AddFilter("System", LogLevel.Warning).AddSimpleConsole(c => c.SingleLine = true)
                .Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(c => c.LogToStandardErrorThreshold = LogLevel.Trace));
            var log = loggers.CreateLogger("dashboard");
            try
            {
                using var chain = await ChainConnection.ConnectAsync(parse.GetValue(rpc)!, logger: loggers.CreateLogger("chain"), ct: ct);
                chain.WithConfirmations(parse.GetValue(confirmations));
                var ledgerClient = await LedgerClient.AttachAsync(chain, parse.GetValue(ledger)!, loggers.CreateLogger("ledger"), ct);
                using var settlement = SettlementClient.Connect(clearingAddress!);
                using var reader = new DashboardReader(ledgerClient, settlement, parse.GetValue(receipts)!.FullName, settings, log);
                await using var server = await DashboardServer.StartAsync(reader, endpoint, log, ct);
                await Console.Out.WriteLineAsync(server.Url.ToString());
                await Console.Out.FlushAsync(ct);
                await Console.Error.WriteLineAsync("operator dashboard serving; Ctrl+C to stop");
                try
                {
                    await Task.Delay(Timeout.Infinite, ct);
                }
                catch (OperationCanceledException)
                {
                    // Stopping.
                }

                return ExitCodes.Ok;
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or HttpRequestException or SimpleXLedger.Chain.Contracts.LedgerRevertException or Nethereum.JsonRpc.Client.RpcClientUnknownException)
            {
                await Console.Error.WriteLineAsync($"error: {e.Message}");
                return ExitCodes.Failed;
            }
        });
        return command;
    }

    private static async Task<int> UsageAsync(string message)
    {
        await Console.Error.WriteLineAsync($"error: {message}");
        return ExitCodes.Usage;
    }
}
