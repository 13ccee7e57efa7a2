using System.CommandLine;
using System.Globalization;
using System.Net;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SimpleXLedger.Cards;
using SimpleXLedger.Chain.Accounts;
using SimpleXLedger.Chain.Services;
using SimpleXLedger.Hosting.Startup;
using SimpleXLedger.Issuer;
using SimpleXLedger.Issuer.Cards;
using SimpleXLedger.Issuer.Hosting;
using SimpleXLedger.Issuer.Keys;
using SimpleXLedger.Issuer.Ledger;
using SimpleXLedger.Issuer.Storage;
using SimpleXLedger.Net;
using Spectre.Console;

namespace SimpleXLedger.Cli.Commands;

/// <summary><c>sxl issuer …</c>: the token issuer: serve, register cards, look after keys.</summary>
internal static class IssuerCommands
{
    public static Command Build()
    {
        var issuer = new Command("issuer", "The token issuer: turns gift card credits into blind-signed Privacy Pass tokens.");
        issuer.Subcommands.Add(BuildServe());

        var cards = new Command("cards", "Gift cards the issuer knows (by hash only).");
        cards.Subcommands.Add(BuildImport());
        cards.Subcommands.Add(BuildCreate());
        issuer.Subcommands.Add(cards);

        var keys = new Command("keys", "Token keys and their issuing windows.");
        keys.Subcommands.Add(BuildKeysList());
        keys.Subcommands.Add(BuildKeysRotate());
        issuer.Subcommands.Add(keys);
        return issuer;
    }

    private static Option<DirectoryInfo> DataOption() =>
        new("--data") { Description = "The issuer's data directory (database, private keys, TLS certificate); created owner-only if missing.", Required = true };

    private static Option<FileInfo?> PassphraseOption() =>
        new("--key-passphrase-file") { Description = "Encrypt (and read) the private key files under the passphrase in the first line of this file." };

    // ---- serve ---------------------------------------------------------------------------------------

    private static Command BuildServe()
    {
        var data = DataOption();
        var name = new Option<string>("--name") { Description = "The issuer's name (host name in the network's token challenge).", Required = true };
        var http = new Option<string>("--http") { Description = "ip:port for RFC 9578 HTTP (directory and token requests). TLS unless loopback.", Required = true };
        var grpc = new Option<string>("--grpc") { Description = "ip:port for gRPC (Redeem). TLS unless loopback.", Required = true };
        var rpc = new Option<string?>("--rpc") { Description = "The chain's JSON-RPC URL (with --ledger and --key; without them: development mode)." };
        var ledger = new Option<string?>("--ledger") { Description = "The ledger contract's address." };
        var key = new Option<FileInfo?>("--key") { Description = "The issuer's chain account key file (anchors keys and issued totals)." };
        var devnet = new Option<bool>("--devnet") { Description = "Accept devnet-length (seconds) key windows and steps." };
        var tls = new Option<bool>("--tls") { Description = "TLS on loopback listeners too (always on for other addresses)." };
        var cert = new Option<FileInfo?>("--cert") { Description = "PKCS#12 certificate for TLS (default: a self-signed one kept in the data directory)." };
        var publicUrl = new Option<Uri?>("--public-url") { Description = "The origin RFC 9578 clients reach token requests at, e.g. https://issuer.example.org (default: https://<name>; with --devnet: the --http listener). Never taken from a request's Host header." };
        var passphrase = PassphraseOption();
        var maxBatch = new Option<int>("--max-batch") { Description = "Most token requests in one redemption.", DefaultValueFactory = _ => 1000 };
        var denomination = new Option<ulong?>("--denomination") { Description = "Card values are multiples of this (default 100; 1 in development mode)." };
        var idempotency = new Option<string?>("--idempotency-window") { Description = "How long a request id is remembered, e.g. 24h (default 24h)." };
        var usableDelay = new Option<string?>("--usable-delay") { Description = "Delay between anchoring a key and its use (default 24h; shorter only with --devnet)." };
        var issueWindow = new Option<string?>("--issue-window") { Description = "How long each key issues (default 30d; shorter only with --devnet)." };
        var redeemWindow = new Option<string?>("--redeem-window") { Description = "How long tokens stay redeemable after a key stops issuing (default 90d)." };
        var rotateAhead = new Option<string?>("--rotate-ahead") { Description = "Prepare the next key this long before the current stops issuing (default 72h)." };
        var maintenance = new Option<string?>("--maintenance-interval") { Description = "How often keys, funding and idempotency records are looked after (default 30s)." };
        var epoch = new Option<string?>("--epoch") { Description = "How often issued totals are anchored on-chain (default 1h)." };
        var certPem = new Option<FileInfo?>("--cert-pem") { Description = "PEM certificate (chain) for TLS, with --key-pem (e.g. certbot's fullchain.pem); reread on SIGHUP and when the files change, without restart." };
        var keyPem = new Option<FileInfo?>("--key-pem") { Description = "PEM private key of --cert-pem (e.g. certbot's privkey.pem)." };
        var certPoll = new Option<string?>("--cert-poll") { Description = "How often the PEM files are checked for a renewal, e.g. 5m (default 5m; 0 only on SIGHUP)." };
        var command = new Command("serve", "Run the issuer: gRPC Redeem and RFC 9578 HTTP issuance paid with gift cards. Prints one line \"issuer ready http=… grpc=…\" on stdout once it serves; logs go to stderr.")
        {
            data, name, http, grpc, rpc, ledger, key, devnet, tls, cert, publicUrl, passphrase, maxBatch, denomination, idempotency,
            usableDelay, issueWindow, redeemWindow, rotateAhead, maintenance, epoch,
        };
        var serve = new ServeOptions(command, publicHost: true);
        command.Options.Add(certPem);
        command.Options.Add(keyPem);
        command.Options.Add(certPoll);
        var gasAlarm = ChainOptions.GasAlarm("the issuer's account (--key)");
        command.Options.Add(gasAlarm);
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (serve.Observability(parse, out var usage) is not { } observability)
            {
                await Console.Error.WriteLineAsync($"error: {usage}");
                return ExitCodes.Usage;
            }

            if (ChainOptions.GasAlarmWei(parse.GetValue(gasAlarm)) is not { } gasAlarmWei)
            {
                await Console.Error.WriteLineAsync($"error: {ChainOptions.GasAlarmError}");
                return ExitCodes.Usage;
            }

            if (!TryEndpoint(parse.GetValue(http)!, "--http", out var httpEndpoint) || !TryEndpoint(parse.GetValue(grpc)!, "--grpc", out var grpcEndpoint))
            {
                return ExitCodes.Usage;
            }

            if ((parse.GetValue(certPem) is null) != (parse.GetValue(keyPem) is null) || (parse.GetValue(certPem) is not null && parse.GetValue(cert) is not null))
            {
                await Console.Error.WriteLineAsync("error: --cert-pem and --key-pem go together, and not with --cert");
                return ExitCodes.Usage;
            }

            TimeSpan certPollInterval;
            try
            {
                certPollInterval = parse.GetValue(certPoll) is "0" ? TimeSpan.Zero : Duration(parse.GetValue(certPoll), TimeSpan.FromMinutes(5));
            }
            catch (FormatException e)
            {
                await Console.Error.WriteLineAsync($"error: --cert-poll: {e.Message}");
                return ExitCodes.Usage;
            }

            var isDevnet = parse.GetValue(devnet);
            var defaults = isDevnet ? KeyWindowPolicy.Devnet : KeyWindowPolicy.Production;
            KeyWindowPolicy windows;
            TimeSpan idempotencyWindow, maintenanceInterval, epochLength;
            string? keyPassphrase = null;
            try
            {
                windows = new KeyWindowPolicy(
                    Duration(parse.GetValue(usableDelay), defaults.UsableDelay),
                    Duration(parse.GetValue(issueWindow), defaults.IssueWindow),
                    Duration(parse.GetValue(redeemWindow), defaults.RedeemWindow),
                    Duration(parse.GetValue(rotateAhead), defaults.RotateAhead));
                idempotencyWindow = Duration(parse.GetValue(idempotency), TimeSpan.FromHours(24));
                maintenanceInterval = Duration(parse.GetValue(maintenance), isDevnet ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(30));
                epochLength = Duration(parse.GetValue(epoch), isDevnet ? TimeSpan.FromSeconds(30) : TimeSpan.FromHours(1));
                if (parse.GetValue(passphrase) is { } file)
                {
                    keyPassphrase = ReadPassphrase(file);
                }
            }
            catch (FormatException e)
            {
                await Console.Error.WriteLineAsync($"error: {e.Message}");
                return ExitCodes.Usage;
            }

            var settings = new IssuerSettings
            {
                DataDirectory = parse.GetValue(data)!.FullName,
                Name = parse.GetValue(name)!,
                PublicOrigin = parse.GetValue(publicUrl),
                Devnet = isDevnet,
                Windows = windows,
                MaxBatch = parse.GetValue(maxBatch),
                Denomination = parse.GetValue(denomination),
                IdempotencyWindow = idempotencyWindow,
                KeyPassphrase = keyPassphrase,
                MaintenanceInterval = maintenanceInterval,
                Epoch = epochLength,
            };
            var endpoints = new IssuerEndpoints
            {
                Http = httpEndpoint,
                Grpc = grpcEndpoint,
                TlsOnLoopback = parse.GetValue(tls),
                CertificatePath = parse.GetValue(cert)?.FullName,
                Observability = observability,
                CertificatePemPath = parse.GetValue(certPem)?.FullName,
                KeyPemPath = parse.GetValue(keyPem)?.FullName,
                CertificatePollInterval = certPollInterval,
                ReloadCertificateOnSighup = true,
            };

            var (view, writer, connection, ledgerError) = await ConnectLedgerAsync(parse.GetValue(rpc), parse.GetValue(ledger), parse.GetValue(key), cancellationToken);
            if (ledgerError is not null)
            {
                await Console.Error.WriteLineAsync($"error: {ledgerError}");
                return ledgerError.StartsWith("give", StringComparison.Ordinal) ? ExitCodes.Usage : ExitCodes.Failed;
            }

            WebApplication app;
            try
            {
                app = await IssuerHost.BuildAsync(settings, endpoints, view, writer, StderrLogging, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Bad configuration, an unreadable key file, or a ledger that refused the first key: say which, briefly.
                await Console.Error.WriteLineAsync(e is ArgumentException or InvalidOperationException or IOException or TokenKeyFileException
                    ? $"error: {e.Message}"
                    : $"error: {e.GetType().Name}: {e.Message}");
                return ExitCodes.Failed;
            }

            await using (app)
            {
                var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("issuer");
                if (view.IsDevelopment)
                {
                    log.LogWarning("DEVELOPMENT MODE: no ledger configured; imported cards are active without on-chain funding");
                }

                await app.StartAsync(cancellationToken);

                // With a chain: its RPC errors and the issuer account's gas balance (read once before "ready").
                using var stopGas = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var gasWatch = Task.CompletedTask;
                if (connection is not null)
                {
                    var chainMetrics = new ChainMetrics(app.Services.GetRequiredService<ServiceMetrics>().Factory, "issuer", "issuer", gasAlarmWei);
                    chainMetrics.Observe(connection);
                    await chainMetrics.TryCheckGasAsync(connection, connection.Address, log, cancellationToken);
                    gasWatch = chainMetrics.WatchGasAsync(connection, connection.Address, ChainOptions.GasCheckInterval, log, stopGas.Token);
                }

                var current = await app.Services.GetRequiredService<IssuingKeyDirectory>().CurrentAsync(cancellationToken);
                await Console.Out.WriteLineAsync(
                    $"issuer ready http={IssuerHost.UrlOf(httpEndpoint, endpoints, serve.PublicHost(parse))} grpc={IssuerHost.UrlOf(grpcEndpoint, endpoints, serve.PublicHost(parse))} mode={(view.IsDevelopment ? "development" : "ledger")} key={current?.Id ?? "none"}");
                await Console.Out.FlushAsync(cancellationToken);

                var stopping = new TaskCompletionSource();
                using var onStop = app.Lifetime.ApplicationStopping.Register(() => stopping.TrySetResult());
                using var onCancel = cancellationToken.Register(() => stopping.TrySetResult());
                await stopping.Task;
                await stopGas.CancelAsync();
                await gasWatch;
                await app.StopAsync(CancellationToken.None);
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    // ---- cards ---------------------------------------------------------------------------------------

    private static Command BuildImport()
    {
        var data = DataOption();
        var batch = new Option<FileInfo>("--batch") { Description = "The vendor's batch file (hashes, values, root).", Required = true };
        var command = new Command("import", "Register a vendor's batch of cards (hashes only). Active at once in development mode; with a ledger once its funding is confirmed on-chain.")
        {
            data, batch,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            CardBatch cardBatch;
            try
            {
                cardBatch = CardBatchFile.Read(parse.GetValue(batch)!.FullName);
            }
            catch (Exception e) when (e is CardBatchException or IOException)
            {
                await Console.Error.WriteLineAsync($"error: {e.Message}");
                return ExitCodes.Failed;
            }

            return await WithOfflineIssuer(parse.GetValue(data)!, null, async (mediator, _) =>
            {
                var result = await mediator.Send(new ImportCards(cardBatch), cancellationToken);
                await Console.Out.WriteLineAsync(
                    $"imported batch {result.BatchId}: {result.Cards} cards, {result.Credits} credits, {(result.Active ? "active (development mode)" : "awaiting on-chain funding")}");
                return ExitCodes.Ok;
            });
        });
        return command;
    }

    private static Command BuildCreate()
    {
        var data = DataOption();
        var vendor = new Option<string>("--vendor") { Description = "The vendor id (created on first use).", Required = true };
        var value = new Option<ulong>("--value") { Description = "Credits on each card.", Required = true };
        var count = new Option<int>("--count") { Description = "How many cards.", Required = true };
        var denomination = new Option<ulong?>("--denomination") { Description = "Card values are multiples of this (default 100; 1 in development mode)." };
        var command = new Command("create", "For development and tests: generate and import cards in one step, printing one code per line on stdout (nothing else).")
        {
            data, vendor, value, count, denomination,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var n = parse.GetValue(count);
            if (n is < 1 or > 100_000)
            {
                await Console.Error.WriteLineAsync("error: --count must be between 1 and 100000");
                return ExitCodes.Usage;
            }

            return await WithOfflineIssuer(parse.GetValue(data)!, parse.GetValue(denomination), async (mediator, _) =>
            {
                // The issuer's denomination step is enforced by ImportCards; the mint itself takes any value.
                var credits = parse.GetValue(value);
                (IReadOnlyList<CardCode> codes, CardBatch batch) made;
                try
                {
                    made = CardMint.Generate(parse.GetValue(vendor)!, credits, n, 1);
                }
                catch (ArgumentException e)
                {
                    await Console.Error.WriteLineAsync($"error: {e.Message}");
                    return ExitCodes.Usage;
                }

                var result = await mediator.Send(new ImportCards(made.batch, BatchOrigin.Created), cancellationToken);
                foreach (var code in made.codes)
                {
                    await Console.Out.WriteLineAsync(code.Reveal());
                }

                await Console.Error.WriteLineAsync($"created batch {result.BatchId}: {result.Cards} cards of {credits} credits, {(result.Active ? "active" : "awaiting on-chain funding")}");
                return ExitCodes.Ok;
            });
        });
        return command;
    }

    // ---- keys ----------------------------------------------------------------------------------------

    private static Command BuildKeysList()
    {
        var data = DataOption();
        var command = new Command("list", "List the token keys with their windows and phases.") { data };
        command.SetAction(async (parse, cancellationToken) =>
            await WithOfflineIssuer(parse.GetValue(data)!, null, async (_, _, services) =>
            {
                var ledger = services.GetRequiredService<ILedgerView>();
                var now = await ledger.LatestBlockTimeAsync(cancellationToken);
                var db = services.GetRequiredService<IssuerDbContext>();
                var keys = db.TokenKeys.OrderBy(k => k.UsableFrom).ToList();
                var table = new Table().AddColumns("key id", "phase", "anchoring", "usable from (UTC)", "issues until", "redeemable until", "issued", "anchored issued");
                foreach (var k in keys)
                {
                    table.AddRow(
                        Markup.Escape(k.Id[..14] + "…"),
                        KeySchedule.PhaseAt(k, now, ledger.IsDevelopment).ToString(),
                        k.Anchoring.ToString(),
                        Time(k.UsableFrom),
                        Time(k.IssueUntil),
                        Time(k.RedeemUntil),
                        k.Issued.ToString(CultureInfo.InvariantCulture),
                        k.AnchoredIssued.ToString(CultureInfo.InvariantCulture));
                }

                if (Console.IsOutputRedirected)
                {
                    // Piped or captured: no terminal width to fit, so do not wrap the table.
                    AnsiConsole.Profile.Width = 200;
                }

                AnsiConsole.Write(table);
                if (keys.Count == 0)
                {
                    AnsiConsole.WriteLine("no keys yet: `sxl issuer serve` or `sxl issuer keys rotate` makes the first");
                }

                return ExitCodes.Ok;
            }));
        return command;
    }

    private static Command BuildKeysRotate()
    {
        var data = DataOption();
        var passphrase = PassphraseOption();
        var command = new Command("rotate", "Prepare the next token key now, its window starting exactly when the current one stops issuing (with a ledger, the serving issuer anchors it). Never two keys ahead.")
        {
            data, passphrase,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            string? keyPassphrase = null;
            if (parse.GetValue(passphrase) is { } file)
            {
                try
                {
                    keyPassphrase = ReadPassphrase(file);
                }
                catch (FormatException e)
                {
                    await Console.Error.WriteLineAsync($"error: {e.Message}");
                    return ExitCodes.Usage;
                }
            }

            return await WithOfflineIssuer(parse.GetValue(data)!, null, async (mediator, _) =>
            {
                var result = await mediator.Send(new RotateKeys(Force: true), cancellationToken);
                if (result.PreparedKeyId is null || result.Window is null)
                {
                    await Console.Out.WriteLineAsync("the next key is already prepared; nothing to do");
                    return ExitCodes.Ok;
                }

                await Console.Out.WriteLineAsync(
                    $"prepared key {result.PreparedKeyId}: usable from {Time(result.Window.UsableFrom)}, issues until {Time(result.Window.IssueUntil)}, redeemable until {Time(result.Window.RedeemUntil)}");
                return ExitCodes.Ok;
            }, keyPassphrase);
        });
        return command;
    }

    // ---- shared --------------------------------------------------------------------------------------

    private static Task<int> WithOfflineIssuer(DirectoryInfo data, ulong? denomination, Func<IMediator, IssuerSettings, Task<int>> action, string? passphrase = null) =>
        WithOfflineIssuer(data, denomination, (m, s, _) => action(m, s), passphrase);

    /// <summary>The issuer's domain on its data directory without serving: mode and windows as the last <c>serve</c> recorded them.</summary>
    private static async Task<int> WithOfflineIssuer(DirectoryInfo data, ulong? denomination, Func<IMediator, IssuerSettings, IServiceProvider, Task<int>> action, string? passphrase = null)
    {
        var path = data.FullName;
        try
        {
            var probe = new IssuerSettings { DataDirectory = path };
            var mode = await DataDirectory.OpenAsync(probe, null, null);
            var stored = await DataDirectory.ReadSettingsAsync(probe.DatabasePath);
            var devnet = stored.TryGetValue(DataDirectory.DevnetSetting, out var d) && d == "true";
            var windows = stored.TryGetValue(DataDirectory.WindowsSetting, out var w)
                ? KeyWindowPolicy.Deserialize(w)
                : mode == IssuerMode.Development ? KeyWindowPolicy.Devnet : KeyWindowPolicy.Production;
            var settings = new IssuerSettings
            {
                DataDirectory = path,
                Devnet = devnet || mode == IssuerMode.Development,
                Windows = windows,
                Denomination = denomination,
                KeyPassphrase = passphrase,
            };

            var services = new ServiceCollection();
            services.AddLogging(StderrLogging);
            ILedgerView ledger = mode == IssuerMode.Development ? new DevelopmentLedger(TimeProvider.System) : new OfflineLedger(TimeProvider.System);
            services.AddIssuerCore(settings, ledger, null);
            await using var provider = services.BuildServiceProvider();
            await using var scope = provider.CreateAsyncScope();
            return await action(scope.ServiceProvider.GetRequiredService<IMediator>(), settings, scope.ServiceProvider);
        }
        catch (Exception e) when (e is CardImportException or CardBatchException or ArgumentException or InvalidOperationException or IOException or TokenKeyFileException
            or SimpleXLedger.Hosting.Pipeline.CommandValidationException or Microsoft.Data.Sqlite.SqliteException)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            return ExitCodes.Failed;
        }
    }

    private static void StderrLogging(ILoggingBuilder logging)
    {
        logging.ClearProviders();
        logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
        });
        logging.AddFilter("Microsoft", LogLevel.Warning);
        logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
        logging.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    }

    private static bool TryEndpoint(string text, string option, out IPEndPoint endpoint)
    {
        if (IPEndPoint.TryParse(text, out var parsed) && parsed.Port is > 0 and <= 65535)
        {
            endpoint = parsed;
            return true;
        }

        Console.Error.WriteLine($"error: {option} takes ip:port, e.g. 127.0.0.1:8443");
        endpoint = new IPEndPoint(IPAddress.Loopback, 0);
        return false;
    }

    /// <summary>Connects the ledger view and writer from --rpc/--ledger/--key; none of them means development mode.</summary>
    private static async Task<(ILedgerView View, ILedgerWriter? Writer, ChainConnection? Connection, string? Error)> ConnectLedgerAsync(string? rpc, string? ledger, FileInfo? key, CancellationToken cancellationToken)
    {
        if (rpc is null && ledger is null && key is null)
        {
            return (new DevelopmentLedger(TimeProvider.System), null, null, null);
        }

        if (rpc is null || ledger is null || key is null)
        {
            return (new DevelopmentLedger(TimeProvider.System), null, null, "give --rpc, --ledger and --key together (or none of them for development mode)");
        }

        try
        {
            var account = EthereumKeyFile.Read(key.FullName);
            var connection = await ChainConnection.ConnectAsync(rpc, account, ct: cancellationToken);
            var client = await LedgerClient.AttachAsync(connection, ledger, ct: cancellationToken);
            var chain = new ChainLedger(client);
            return (chain, chain, connection, null);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The key file's content never goes into this message (EthereumKeyFile's errors name the file only).
            return (new DevelopmentLedger(TimeProvider.System), null, null, $"cannot reach the ledger: {e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>Durations like 90s, 15m, 24h, 30d (or plain seconds).</summary>
    internal static TimeSpan Duration(string? text, TimeSpan fallback)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        var unit = text[^1];
        var number = char.IsDigit(unit) ? text : text[..^1];
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value < 0)
        {
            throw new FormatException($"'{text}' is not a duration (e.g. 90s, 15m, 24h, 30d)");
        }

        return unit switch
        {
            's' or >= '0' and <= '9' => TimeSpan.FromSeconds(value),
            'm' => TimeSpan.FromMinutes(value),
            'h' => TimeSpan.FromHours(value),
            'd' => TimeSpan.FromDays(value),
            _ => throw new FormatException($"'{text}' is not a duration (e.g. 90s, 15m, 24h, 30d)"),
        };
    }

    private static string ReadPassphrase(FileInfo file)
    {
        var line = File.Exists(file.FullName) ? File.ReadLines(file.FullName).FirstOrDefault() : null;
        return string.IsNullOrEmpty(line) ? throw new FormatException($"no passphrase in the first line of {file.FullName}") : line;
    }

    private static string Time(long unixSeconds) =>
        DateTimeOffset.FromUnixTimeSeconds(unixSeconds).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
}
