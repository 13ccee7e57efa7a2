using System.CommandLine;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SimpleXLedger.Chain.Accounts;
using SimpleXLedger.Chain.Services;
using SimpleXLedger.Clearing;
using SimpleXLedger.Clearing.Client;
using SimpleXLedger.Clearing.Hosting;
using SimpleXLedger.Clearing.Receipts;
using SimpleXLedger.Clearing.Registry;
using SimpleXLedger.Clearing.Storage;
using SimpleXLedger.Hosting.Startup;
using SimpleXLedger.Net;

namespace SimpleXLedger.Cli.Commands;

/// <summary><c>sxl clearing …</c>: run the clearing house.</summary>
internal static class ClearingCommands
{
    public static Command Build()
    {
        var clearing = new Command("clearing", "The clearing house: the network-wide spent-set of tokens, proof of liabilities, signed receipts.");
        clearing.Subcommands.Add(BuildServe());
        clearing.Subcommands.Add(ClearingEpochCommands.Build());
        return clearing;
    }

    private static Command BuildServe()
    {
        var data = new Option<DirectoryInfo>("--data") { Description = "Data directory: the SQLite database (default), the TLS certificate (made on first start).", Required = true };
        var grpc = new Option<string>("--grpc") { Description = "ip:port for gRPC over TLS (port 0 picks a free one).", DefaultValueFactory = _ => "127.0.0.1:5224" };
        var rpc = new Option<string?>("--rpc") { Description = "Ethereum JSON-RPC URL of the ledger's chain (the key registry, issued totals, block time)." };
        var ledger = new Option<string>("--ledger") { Description = "The ledger contract address (receipts are signed in its EIP-712 domain).", Required = true };
        var key = new Option<FileInfo>("--key") { Description = "The clearing house's Ethereum key file (64 hex digits, mode 0600): it signs the receipts.", Required = true };
        var db = new Option<string>("--db") { Description = "Storage: sqlite (a file in --data) or postgres (with --connection).", DefaultValueFactory = _ => "sqlite" };
        db.AcceptOnlyFromAmong("sqlite", "postgres");
        var connection = new Option<string?>("--connection") { Description = "The PostgreSQL connection string (with --db postgres)." };
        var devnet = new Option<bool>("--devnet") { Description = "Development network: epochs shorter than an hour; without --rpc, keys from --keys and the system clock." };
        var keys = new Option<FileInfo?>("--keys") { Description = "Development keys file (--devnet without --rpc): {\"keys\":[{\"tokenKey\":…,\"usableFrom\":…,\"issueUntil\":…,\"redeemUntil\":…,\"issued\":…}]}." };
        var chainId = new Option<ulong>("--chain-id") { Description = "Chain id of the receipts' domain without --rpc (with --rpc it is read from the chain).", DefaultValueFactory = _ => 31337 };
        var issuerName = new Option<string?>("--issuer-name") { Description = "Accept only tokens made for this issuer's network challenge (as relays demand)." };
        var epochSeconds = new Option<ulong>("--epoch-seconds") { Description = "Settlement epoch length in seconds of block time (at least 3600 unless --devnet).", DefaultValueFactory = _ => 86_400 };
        var maxBatch = new Option<int>("--max-batch") { Description = "Most tokens in one batch.", DefaultValueFactory = _ => 1024 };
        var registryAge = new Option<int>("--registry-max-age-ms") { Description = "How long one reading of the chain's registry and time is reused.", DefaultValueFactory = _ => 1000 };
        var anchoringPeriod = new Option<ulong>(AnchoringPeriodOption)
        {
            Description = "How often the issuer anchors its issued totals on-chain (its epoch), in seconds (1 h by default). A token beyond its key's anchored total is "
                + "refused as not yet anchored (try again later) until the key has stopped issuing for this long plus the grace; after that as over-issued, with an alarm.",
            DefaultValueFactory = _ => 3600,
        };
        var anchoringGrace = new Option<ulong>(AnchoringGraceOption)
        {
            Description = "Seconds allowed beyond the anchoring period for a late or restarted issuer and clock skew (1 h by default).",
            DefaultValueFactory = _ => 3600,
        };
        var command = new Command("serve", "Serve the clearing house over gRPC/TLS. The first line on stdout is its address, sxl://<certificate fingerprint>@host:port; logs go to stderr.")
        {
            data, grpc, rpc, ledger, key, db, connection, devnet, keys, chainId, issuerName, epochSeconds, maxBatch, registryAge, anchoringPeriod, anchoringGrace,
        };
        var serve = new ServeOptions(command, publicHost: true);
        var confirmations = ChainOptions.Confirmations();
        command.Options.Add(confirmations);
        var gasAlarm = ChainOptions.GasAlarm("the clearing house's account (--key)");
        command.Options.Add(gasAlarm);
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (serve.Observability(parse, out var usage) is not { } observability)
            {
                await Console.Error.WriteLineAsync($"error: {usage}");
                return ExitCodes.Usage;
            }

            if (!IPEndPoint.TryParse(parse.GetValue(grpc)!, out var endpoint))
            {
                await Console.Error.WriteLineAsync("error: --grpc must be ip:port, for example 127.0.0.1:5224");
                return ExitCodes.Usage;
            }

            if (parse.GetValue(confirmations) < 1)
            {
                await Console.Error.WriteLineAsync($"error: {ChainOptions.ConfirmationsError}");
                return ExitCodes.Usage;
            }

            if (ChainOptions.GasAlarmWei(parse.GetValue(gasAlarm)) is not { } gasAlarmWei)
            {
                await Console.Error.WriteLineAsync($"error: {ChainOptions.GasAlarmError}");
                return ExitCodes.Usage;
            }

            var ledgerAddress = parse.GetValue(ledger)!;
            if (!ClearingProtocol.IsAddress(ledgerAddress))
            {
                await Console.Error.WriteLineAsync("error: --ledger must be an address, 0x and 40 hex digits");
                return ExitCodes.Usage;
            }

            var rpcUrl = parse.GetValue(rpc);
            var isDevnet = parse.GetValue(devnet);
            var keysFile = parse.GetValue(keys);
            if (rpcUrl is null && (!isDevnet || keysFile is null))
            {
                await Console.Error.WriteLineAsync("error: give --rpc (the ledger's chain), or --devnet with --keys <file> for a development clearing house without a chain");
                return ExitCodes.Usage;
            }

            if (rpcUrl is not null && keysFile is not null)
            {
                await Console.Error.WriteLineAsync("error: --keys is for --devnet without --rpc; with --rpc the keys come from the ledger's registry");
                return ExitCodes.Usage;
            }

            var dataDirectory = parse.GetValue(data)!.FullName;
            ClearingSettings settings;
            ClearingDatabase database;
            try
            {
                settings = new ClearingSettings
                {
                    DataDirectory = dataDirectory,
                    EpochSeconds = parse.GetValue(epochSeconds),
                    MaxBatch = parse.GetValue(maxBatch),
                    IssuerName = parse.GetValue(issuerName),
                    Devnet = isDevnet,
                    AnchoringAllowance = Allowance(parse),
                };
                settings.Validate();
                if (settings.IssuerName is not null)
                {
                    _ = SimpleXLedger.Tokens.TokenChallenge.ForNetwork(settings.IssuerName);
                }

                database = ClearingDatabase.FromOptions(parse.GetValue(db)!, parse.GetValue(connection), dataDirectory);
            }
            catch (Exception e) when (e is ArgumentException or SimpleXLedger.Tokens.TokenException)
            {
                await Console.Error.WriteLineAsync($"error: {e.Message}");
                return ExitCodes.Usage;
            }

            using var loggers = LoggerFactory.Create(b => b
                .SetMinimumLevel(LogLevel.Information)
                .AddFilter("Microsoft", LogLevel.Warning)
                .AddSimpleConsole(o => o.SingleLine = true)
                .Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
            var log = loggers.CreateLogger("clearing");

            ChainConnection? chain = null;
            try
            {
                var ethKey = EthereumKeyFile.Read(parse.GetValue(key)!.FullName);
                IKeyRegistry registry;
                ClearingIdentity identity;
                if (rpcUrl is not null)
                {
                    chain = await ChainConnection.ConnectAsync(rpcUrl, logger: loggers.CreateLogger("chain"), ct: cancellationToken);
                    var client = await LedgerClient.AttachAsync(chain, ledgerAddress, loggers.CreateLogger("ledger"), cancellationToken);
                    identity = new ClearingIdentity(ethKey, (ulong)chain.ChainId, client.Ledger);
                    var role = await client.RoleHolderAsync(SimpleXLedger.Chain.Contracts.LedgerRole.ClearingHouse, cancellationToken);
                    if (!string.Equals(role, identity.Address, StringComparison.OrdinalIgnoreCase))
                    {
                        log.LogWarning("the ledger's clearing house is {Role}, not this key's {Address}: receipts will not hold on-chain until the role changes", role, identity.Address);
                    }

                    registry = new ChainKeyRegistry(client, TimeSpan.FromMilliseconds(Math.Max(0, parse.GetValue(registryAge))), logger: loggers.CreateLogger("registry"));
                }
                else
                {
                    identity = new ClearingIdentity(ethKey, parse.GetValue(chainId), ledgerAddress);
                    registry = StaticKeyRegistry.FromFile(keysFile!.FullName);
                    log.LogWarning("development mode: token keys from {File}, time from the system clock", keysFile.FullName);
                }

                var server = await ClearingServer.StartAsync(
                    settings,
                    new ClearingEndpoint { Grpc = endpoint, PublicHost = serve.PublicHost(parse), Observability = observability },
                    database,
                    registry,
                    identity,
                    logging => logging.ClearProviders().AddProvider(new ForwardingLoggerProvider(loggers)),
                    cancellationToken);
                await using (server)
                {
                    // With a chain: its RPC errors and the clearing house's gas balance (read once before the address is printed).
                    ChainMetrics? chainMetrics = null;
                    using var stopGas = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    var gasWatch = Task.CompletedTask;
                    if (chain is not null)
                    {
                        chainMetrics = new ChainMetrics(server.Services.GetRequiredService<ServiceMetrics>().Factory, "clearing", "clearing house", gasAlarmWei);
                        chainMetrics.Observe(chain);
                        await chainMetrics.TryCheckGasAsync(chain, identity.Address, log, cancellationToken);
                        gasWatch = chainMetrics.WatchGasAsync(chain, identity.Address, ChainOptions.GasCheckInterval, log, stopGas.Token);
                    }

                    // With a chain: close, anchor and defend epochs on the configured length (block time).
                    await using var settlement = await StartSettlementAsync(rpcUrl, ethKey, ledgerAddress, server, isDevnet, parse.GetValue(confirmations), chainMetrics, loggers, cancellationToken);
                    await Console.Out.WriteLineAsync(server.Address.ToString());
                    await Console.Out.FlushAsync(cancellationToken);
                    log.LogInformation(
                        "clearing house {Address} listening; ledger {Ledger} on chain {ChainId}; storage {Db}; epochs of {Seconds} s; Ctrl+C to stop",
                        identity.Address,
                        identity.Ledger,
                        identity.ChainId.ToString(CultureInfo.InvariantCulture),
                        database.Provider,
                        settings.EpochSeconds);
                    try
                    {
                        await Task.Delay(Timeout.Infinite, cancellationToken);
                    }
                    catch (OperationCanceledException)
                    {
                        // Stopping.
                    }

                    await stopGas.CancelAsync();
                    await gasWatch;
                }

                return ExitCodes.Ok;
            }
            catch (Exception e) when (e is KeyFileException or InvalidDataException or IOException or InvalidOperationException or System.Data.Common.DbException or ArgumentException)
            {
                await Console.Error.WriteLineAsync($"error: cannot start the clearing house: {e.Message}");
                return ExitCodes.Failed;
            }
            finally
            {
                chain?.Dispose();
            }
        });
        return command;
    }

    internal const string AnchoringPeriodOption = "--anchoring-period-seconds";

    internal const string AnchoringGraceOption = "--anchoring-grace-seconds";

    /// <summary>The not-yet-anchored allowance of a parsed <c>clearing serve</c> (out-of-range values are left to <see cref="ClearingSettings.Validate"/>).</summary>
    internal static SimpleXLedger.Clearing.Redemption.AnchoringAllowance Allowance(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        static TimeSpan Seconds(ulong value) => TimeSpan.FromSeconds((long)Math.Min(value, ClearingSettings.MaxAnchoringSeconds + 1));
        return new(Seconds(parse.GetValue<ulong>(AnchoringPeriodOption)), Seconds(parse.GetValue<ulong>(AnchoringGraceOption)));
    }

    private static async Task<SimpleXLedger.Clearing.Settlement.SettlementLoop?> StartSettlementAsync(
        string? rpcUrl, Nethereum.Signer.EthECKey key, string ledger, ClearingServer server, bool devnet, int confirmations, ChainMetrics? metrics, ILoggerFactory loggers, CancellationToken ct)
    {
        if (rpcUrl is null)
        {
            return null;
        }

        // The connection lives as long as the process; the loop is disposed before the server.
        var chain = (await ChainConnection.ConnectAsync(rpcUrl, key, logger: loggers.CreateLogger("chain"), ct: ct)).WithConfirmations(confirmations);
        metrics?.Observe(chain);
        var client = await LedgerClient.AttachAsync(chain, ledger, loggers.CreateLogger("ledger"), ct);
        var log = loggers.CreateLogger("settlement");
        var parts = SimpleXLedger.Clearing.Settlement.SettlementParts.Create(server.Services, client, log, SimpleXLedger.Clearing.Settlement.SettlementFault.FromEnvironment(devnet));
        return new SimpleXLedger.Clearing.Settlement.SettlementLoop(parts.Closer, parts.Answerer, server.Services.GetRequiredService<ClearingSettings>().MaintenanceInterval, log);
    }

    /// <summary>Sends the host's logs to the command's own logger factory (stderr).</summary>
    private sealed class ForwardingLoggerProvider(ILoggerFactory factory) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => factory.CreateLogger(categoryName);

        public void Dispose()
        {
        }
    }
}
