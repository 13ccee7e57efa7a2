using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SimpleXLedger.Chain.Accounts;
using SimpleXLedger.Chain.Services;
using SimpleXLedger.Clearing;
using SimpleXLedger.Clearing.Receipts;
using SimpleXLedger.Clearing.Registry;
using SimpleXLedger.Clearing.Settlement;
using SimpleXLedger.Clearing.Storage;
using SimpleXLedger.Net;

namespace SimpleXLedger.Cli.Commands;

/// <summary><c>sxl clearing epoch close|show</c>: settle ended epochs by hand, and show what was published and anchored.</summary>
internal static class ClearingEpochCommands
{
    public static Command Build()
    {
        var epoch = new Command("epoch", "Settlement epochs: close and anchor them, show their published leaves.");
        epoch.Subcommands.Add(BuildClose());
        epoch.Subcommands.Add(BuildShow());
        return epoch;
    }

    private static Command BuildClose()
    {
        var data = new Option<DirectoryInfo>("--data") { Description = "The clearing house's data directory.", Required = true };
        var rpc = new Option<string>("--rpc") { Description = "Ethereum JSON-RPC URL of the ledger's chain.", Required = true };
        var ledger = new Option<string>("--ledger") { Description = "The ledger contract address.", Required = true };
        var key = new Option<FileInfo>("--key") { Description = "The clearing house's Ethereum key file (it posts the epochs).", Required = true };
        var db = new Option<string>("--db") { Description = "Storage: sqlite (a file in --data) or postgres (with --connection).", DefaultValueFactory = _ => "sqlite" };
        db.AcceptOnlyFromAmong("sqlite", "postgres");
        var connection = new Option<string?>("--connection") { Description = "The PostgreSQL connection string (with --db postgres)." };
        var devnet = new Option<bool>("--devnet") { Description = "Development network (short epochs; honours the test fault switch)." };
        var epochSeconds = new Option<ulong>("--epoch-seconds") { Description = "Epoch length, as the clearing house serves with.", DefaultValueFactory = _ => 86_400 };
        var command = new Command("close", "Close every ended epoch (oldest first): check the invariants, write the leaf file, anchor root, totals and leaves hash on the ledger (idempotent); re-post frozen epochs whose disputes closed. Prints one JSON line per epoch.")
        {
            data, rpc, ledger, key, db, connection, devnet, epochSeconds,
        };
        command.SetAction(async (parse, ct) =>
        {
            var dataDirectory = parse.GetValue(data)!.FullName;
            using var loggers = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Information).AddFilter("Microsoft", LogLevel.Warning).AddSimpleConsole(o => o.SingleLine = true)
                .Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
            var log = loggers.CreateLogger("settlement");
            try
            {
                var settings = new ClearingSettings { DataDirectory = dataDirectory, EpochSeconds = parse.GetValue(epochSeconds), Devnet = parse.GetValue(devnet) };
                settings.Validate();
                var database = ClearingDatabase.FromOptions(parse.GetValue(db)!, parse.GetValue(connection), dataDirectory);
                var ethKey = EthereumKeyFile.Read(parse.GetValue(key)!.FullName);
                using var chain = await ChainConnection.ConnectAsync(parse.GetValue(rpc)!, ethKey, logger: loggers.CreateLogger("chain"), ct: ct);
                var client = await LedgerClient.AttachAsync(chain, parse.GetValue(ledger)!, loggers.CreateLogger("ledger"), ct);
                var services = new ServiceCollection();
                services.AddSingleton(loggers);
                services.AddLogging(b => b.ClearProviders().SetMinimumLevel(LogLevel.Warning));
                services.AddClearingCore(settings, database, new ChainKeyRegistry(client, TimeSpan.Zero), new ClearingIdentity(ethKey, (ulong)chain.ChainId, client.Ledger));
                await using var provider = services.BuildServiceProvider();
                await database.MigrateAsync(ct);
                var parts = SettlementParts.Create(provider, client, log, SettlementFault.FromEnvironment(settings.Devnet));
                var done = (await parts.Answerer.AnswerOpenDisputesAsync(ct)).Count;
                var settled = (await parts.Closer.CloseDueAsync(ct)).Concat(await parts.Closer.RepostFrozenAsync(ct)).ToList();
                foreach (var s in settled)
                {
                    await Console.Out.WriteLineAsync(JsonSerializer.Serialize(new { epoch = s.Epoch, round = s.Round, root = s.File.Root, leavesHash = s.File.LeavesHash, total = s.File.Total, operatorTotal = s.File.OperatorTotal, leaves = s.File.Leaves.Count, postedTx = s.File.PostedTx, alreadyPosted = s.AlreadyPosted }));
                }

                await Console.Error.WriteLineAsync($"{settled.Count} epoch(s) anchored, {done} dispute event(s) handled");
                return ExitCodes.Ok;
            }
            catch (SettlementInvariantException e)
            {
                await Console.Error.WriteLineAsync($"error: nothing posted: {e.Message}");
                return ExitCodes.Failed;
            }
            catch (EpochConflictException e)
            {
                await Console.Error.WriteLineAsync($"error: {e.Message}");
                return ExitCodes.Failed;
            }
            catch (Exception e) when (e is ArgumentException or KeyFileException or IOException or InvalidOperationException or SimpleXLedger.Chain.Contracts.LedgerRevertException or RegistryUnavailableException)
            {
                await Console.Error.WriteLineAsync($"error: {e.Message}");
                return ExitCodes.Failed;
            }
        });
        return command;
    }

    private static Command BuildShow()
    {
        var number = new Argument<ulong>("epoch") { Description = "The epoch number." };
        var data = new Option<DirectoryInfo>("--data") { Description = "The clearing house's data directory.", Required = true };
        var json = new Option<bool>("--json") { Description = "Print the whole leaf file as JSON (leaves, root, leaves hash, totals, anchoring transaction)." };
        var command = new Command("show", "Show a closed epoch as published: its leaves, root, leaves hash (keccak256 of the leaves' ABI encodings, in order) and anchoring transaction.")
        {
            number, data, json,
        };
        command.SetAction(async (parse, ct) =>
        {
            var file = new LeafStore(parse.GetValue(data)!.FullName).TryLoad(parse.GetValue(number));
            if (file is null)
            {
                await Console.Error.WriteLineAsync($"error: epoch {parse.GetValue(number)} has no published leaf list in this data directory");
                return ExitCodes.Failed;
            }

            if (parse.GetValue(json))
            {
                await Console.Out.WriteLineAsync(JsonSerializer.Serialize(file, new JsonSerializerOptions { WriteIndented = true }));
            }
            else
            {
                await Console.Out.WriteLineAsync($"epoch {file.Epoch} round {file.Round}: {file.Leaves.Count} leaves, total {file.Total} (operators {file.OperatorTotal}, fee {file.Fee}), {file.AcceptedTokens} tokens");
                await Console.Out.WriteLineAsync($"root {file.Root}\nleaves hash {file.LeavesHash}\nanchored in {file.PostedTx ?? "(not yet)"}");
                foreach (var leaf in file.Leaves)
                {
                    await Console.Out.WriteLineAsync($"  {leaf.Payee} {leaf.Amount}");
                }
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
