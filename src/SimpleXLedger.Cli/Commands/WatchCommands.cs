using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using SimpleXLedger.Chain.Accounts;
using SimpleXLedger.Chain.Contracts;
using SimpleXLedger.Chain.Services;
using SimpleXLedger.Epochs;
using SimpleXLedger.Net;
using SimpleXLedger.Watch;
using Spectre.Console;

namespace SimpleXLedger.Cli.Commands;

/// <summary>
/// <c>sxl watch</c>: anyone checks every epoch a v2 ledger's clearing house posts against the published epoch data and
/// files the proof of the first deviation (or a data challenge) by itself; a key is needed only to file.
/// </summary>
internal static class WatchCommands
{
    public static Command Build()
    {
        var rpc = new Option<string>("--rpc") { Description = "Ethereum JSON-RPC URL.", Required = true };
        var ledger = new Option<string>("--ledger") { Description = "The v2 ledger contract address.", Required = true };
        var data = new Option<DirectoryInfo>("--data") { Description = "A directory of sxl-epoch files (the clearing house's exports or a mirror); files are matched by the commitment posted on-chain.", Required = true };
        var key = new Option<FileInfo?>("--key") { Description = "An Ethereum key file to file proofs and data challenges with (pays gas and the challenge deposit). Without it, sxl watch only reports." };
        var stateFile = new Option<FileInfo?>("--state") { Description = "Where to remember settled epochs, so a restart resumes where it stopped." };
        var once = new Option<bool>("--once") { Description = "Check once and exit (otherwise keep watching until Ctrl+C)." };
        var interval = new Option<int>("--interval") { Description = "Seconds between passes.", DefaultValueFactory = _ => 30 };
        var json = new Option<bool>("--json") { Description = "Print each pass as JSON lines instead of a table." };
        var command = new Command("watch", "Check every posted epoch of a v2 ledger: every token's signature, duplicates within and across epochs, counts, payouts and sums; prove the first deviation on-chain, or challenge data nobody serves.")
        {
            rpc, ledger, data, key, stateFile, once, interval, json,
        };
        command.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(interval) <= 0)
            {
                await Console.Error.WriteLineAsync("error: --interval must be positive");
                return ExitCodes.Usage;
            }

            try
            {
                var keyFile = parse.GetValue(key);
                using var chain = await ChainConnection.ConnectAsync(parse.GetValue(rpc)!, keyFile is null ? null : EthereumKeyFile.Read(keyFile.FullName), ct: ct);
                var watcher = new EpochWatcher(chain, parse.GetValue(ledger)!, new EpochDirectory(parse.GetValue(data)!.FullName), WatchState.Open(parse.GetValue(stateFile)?.FullName), NullLogger.Instance);
                while (true)
                {
                    var reports = await watcher.RunOnceAsync(ct);
                    Print(reports, parse.GetValue(json));
                    if (parse.GetValue(once))
                    {
                        return ExitCodes.Ok;
                    }

                    await Task.Delay(TimeSpan.FromSeconds(parse.GetValue(interval)), ct);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return ExitCodes.Ok;
            }
            catch (LedgerRevertException e)
            {
                await Console.Error.WriteLineAsync($"error: the ledger refused: {e.ErrorName}");
                return ExitCodes.Failed;
            }
            catch (Exception e) when (e is KeyFileException or IOException or InvalidDataException or InvalidOperationException or EpochFormatException or HttpRequestException)
            {
                await Console.Error.WriteLineAsync($"error: {e.Message}");
                return ExitCodes.Failed;
            }
        });
        return command;
    }

    private static void Print(IReadOnlyList<EpochReport> reports, bool json)
    {
        if (json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(new { checkedEpochs = reports }, JsonOptions));
            return;
        }

        if (reports.Count == 0)
        {
            AnsiConsole.MarkupLine("[grey]no posted epoch left to check[/]");
            return;
        }

        var table = new Table().Title("Epochs checked").AddColumn("epoch").AddColumn("round").AddColumn("outcome")
            .AddColumn(new TableColumn("tokens").RightAligned()).AddColumn(new TableColumn("signatures").RightAligned()).AddColumn("finding").AddColumn("transaction");
        foreach (var r in reports)
        {
            table.AddRow(r.Epoch.ToString(System.Globalization.CultureInfo.InvariantCulture), r.Round.ToString(System.Globalization.CultureInfo.InvariantCulture), Markup.Escape(r.Outcome),
                r.TokensChecked.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), r.SignaturesVerified.ToString("N0", System.Globalization.CultureInfo.InvariantCulture),
                Markup.Escape(r.Finding ?? "-"), Markup.Escape(r.Transaction ?? "-"));
        }

        AnsiConsole.Write(table);
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
}
