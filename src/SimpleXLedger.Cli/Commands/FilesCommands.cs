using System.Buffers.Text;
using System.CommandLine;
using System.Globalization;
using System.Net;
using SimpleXLedger.Files;
using SimpleXLedger.Files.Client;
using SimpleXLedger.Files.Hosting;
using SimpleXLedger.Net;
using SimpleXLedger.Relay.Plugins;
using Spectre.Console;

namespace SimpleXLedger.Cli.Commands;

/// <summary><c>sxl files …</c>: the file relay (XFTP model) and its client: serve, send, receive, delete, block.</summary>
internal static class FilesCommands
{
    public static Command Build()
    {
        var files = new Command("files", "Files: a chunk relay in the XFTP model (serve, block) and its client (send, receive, delete).");
        files.Aliases.Add("file");
        files.Subcommands.Add(BuildServe());
        files.Subcommands.Add(BuildSend());
        files.Subcommands.Add(BuildReceive());
        files.Subcommands.Add(BuildDelete());
        files.Subcommands.Add(BuildBlock());
        return files;
    }

    private static Command BuildServe()
    {
        var data = new Option<DirectoryInfo>("--data") { Description = "Data directory: files.db (chunk records, the plugin's spent-set), chunks/ (bodies), the TLS certificate (made on first start).", Required = true };
        var listen = new Option<string>("--listen") { Description = "ip:port to listen on (port 0 picks a free one).", DefaultValueFactory = _ => "127.0.0.1:5226" };
        var metering = new Option<string>("--metering") { Description = "Metering plugin id: none (unmetered, free) or tokens.", DefaultValueFactory = _ => "none" };
        var settings = new Option<string[]>("--metering-setting") { Description = "A plugin setting key=value (repeatable), e.g. issuerName, tokenKeys.", AllowMultipleArgumentsPerToken = false };
        var plugins = new Option<DirectoryInfo?>("--plugins") { Description = "Plugins directory (default: plugins/ beside sxl)." };
        var issuer = new Option<string?>("--issuer") { Description = "The token issuer's directory URL: the key source with --devnet when no ledger is given." };
        var registry = new KeyRegistryOptions("the file relay");
        var devnet = new Option<bool>("--devnet") { Description = "Development network (devnet-length key windows; the issuer directory as key source)." };
        var clearing = new Option<string?>("--clearing") { Description = "The clearing house's address (sxl://…): tokens are redeemed there, network-wide; needs --operator-key." };
        var operatorKey = new Option<FileInfo?>("--operator-key") { Description = "The operator's Ed25519 key file, as registered with `sxl operator register`." };
        var ttl = new Option<string?>("--ttl") { Description = "How long a chunk lives after it is registered, e.g. 48h (default 48h, as XFTP)." };
        var quota = new Option<long>("--quota-mib") { Description = "Storage quota in MiB; new chunks beyond it are refused (QUOTA).", DefaultValueFactory = _ => 10 * 1024 };
        var maxRecipients = new Option<int>("--max-recipients") { Description = "Most recipient ids per chunk.", DefaultValueFactory = _ => 64 };
        var password = new Option<string?>("--upload-password") { Description = "Require this password to register chunks (XFTP's basic auth for uploads)." };
        var storagePrice = new Option<long>("--storage-price") { Description = "Microcredits per MiB-day of storage (one token = 1,000,000), paid for the chunk's whole lifetime.", DefaultValueFactory = _ => 100_000 };
        var downloadPrice = new Option<long>("--download-price") { Description = "Microcredits per MiB downloaded, paid at registration for each recipient id.", DefaultValueFactory = _ => 10_000 };
        var command = new Command("serve", "Serve a file relay. The first line on stdout is its address, sxl://<certificate fingerprint>@host:port; logs go to stderr.")
        {
            data, listen, metering, settings, plugins, issuer, registry.Rpc, registry.Ledger, registry.MaxAge, devnet, clearing, operatorKey, ttl, quota, maxRecipients, password, storagePrice, downloadPrice,
        };
        var serve = new ServeOptions(command, publicHost: true);
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (serve.Observability(parse, out var usage) is not { } observability)
            {
                return await UsageAsync(usage!);
            }

            if (registry.Check(parse) is { } registryError)
            {
                return await UsageAsync(registryError);
            }

            if (!IPEndPoint.TryParse(parse.GetValue(listen)!, out var endpoint))
            {
                return await UsageAsync("--listen must be ip:port, for example 127.0.0.1:5226");
            }

            TimeSpan chunkTtl;
            try
            {
                chunkTtl = IssuerCommands.Duration(parse.GetValue(ttl), TimeSpan.FromHours(48));
            }
            catch (FormatException e)
            {
                return await UsageAsync($"--ttl: {e.Message}");
            }

            var pluginSettings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var entry in parse.GetValue(settings) ?? [])
            {
                var eq = entry.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                {
                    return await UsageAsync($"--metering-setting takes key=value, got '{entry}'");
                }

                pluginSettings[entry[..eq]] = entry[(eq + 1)..];
            }

            var quotaMiB = parse.GetValue(quota);
            if (quotaMiB is < 4 or > long.MaxValue / (1024 * 1024))
            {
                return await UsageAsync("--quota-mib must be at least 4 (one 4 MiB chunk)");
            }

            var options = new FilesOptions
            {
                DataDirectory = parse.GetValue(data)!.FullName,
                Listen = endpoint,
                PublicHost = serve.PublicHost(parse),
                Metering = parse.GetValue(metering)!,
                MeteringSettings = pluginSettings,
                PluginsDirectory = parse.GetValue(plugins)?.FullName ?? Path.Combine(AppContext.BaseDirectory, "plugins"),
                ChunkTtl = chunkTtl,
                QuotaBytes = quotaMiB * 1024 * 1024,
                MaxRecipients = parse.GetValue(maxRecipients),
                UploadPassword = parse.GetValue(password),
                StorageMicrosPerMiBDay = parse.GetValue(storagePrice),
                DownloadMicrosPerMiB = parse.GetValue(downloadPrice),
                Devnet = parse.GetValue(devnet),
                Issuer = parse.GetValue(issuer),
                Observability = observability,
            };
            if (options.Validate() is { } invalid)
            {
                return await UsageAsync(invalid);
            }

            Directory.CreateDirectory(options.DataDirectory);
            await using var redeemer = await ClearingRedeemerFactory.CreateAsync(parse.GetValue(clearing), parse.GetValue(operatorKey), options.DataDirectory);
            if (redeemer.Error is not null)
            {
                return await UsageAsync(redeemer.Error);
            }

            var (keySource, keySourceError, keySourceExit) = await registry.ConnectAsync(parse, options.Devnet, cancellationToken);
            if (keySourceError is not null)
            {
                await Console.Error.WriteLineAsync($"error: {keySourceError}");
                return keySourceExit;
            }

            using var _keySource = keySource;
            FilesServer server;
            try
            {
                server = await FilesServer.StartAsync(options, redeemer.Redeemer, keySource, cancellationToken: cancellationToken);
            }
            catch (Exception e) when (e is PluginLoadException or ArgumentException)
            {
                return await UsageAsync(e.Message);
            }
            catch (IOException e)
            {
                await Console.Error.WriteLineAsync($"error: cannot start the file relay: {e.Message}");
                return ExitCodes.Failed;
            }

            await using (server)
            {
                await Console.Out.WriteLineAsync(server.Address.ToString());
                await Console.Out.FlushAsync(cancellationToken);
                if (server.MetricsUrl is { } metrics)
                {
                    await Console.Error.WriteLineAsync($"metrics at {metrics}metrics");
                }

                await Console.Error.WriteLineAsync($"file relay listening; metering {options.Metering}; chunks live {options.ChunkTtl.TotalHours.ToString(CultureInfo.InvariantCulture)} h; Ctrl+C to stop");
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    // Stopping.
                }
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command BuildSend()
    {
        var file = new Argument<FileInfo>("file") { Description = "The file to send." };
        var relays = new Option<string[]>("--relay") { Description = "A file relay's address, sxl://…@host:port (repeatable: every chunk is replicated on each).", Required = true, AllowMultipleArgumentsPerToken = false };
        var recipients = new Option<int>("--recipients") { Description = "How many recipients (one description each).", DefaultValueFactory = _ => 1 };
        var output = new Option<DirectoryInfo?>("--out") { Description = "Directory for the descriptions (default: the current directory)." };
        var password = new Option<string?>("--upload-password") { Description = "The relays' upload password, if they require one." };
        var command = new Command("send", "Encrypt a file, upload its chunks to the relays, and write the descriptions: <file>.recipient-N.json for each recipient (pass it out of band; it is the key to the file) and <file>.sender.json (to delete it). With --wallet, every chunk on every relay is paid from the wallet's tokens (the whole price reserved before anything is uploaded); without it, unmetered relays only.")
        {
            file, relays, recipients, output, password, WalletCommands.WalletOption,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var path = parse.GetValue(file)!;
            if (!path.Exists)
            {
                return await UsageAsync($"{path.FullName} does not exist");
            }

            var addresses = new List<PinnedAddress>();
            foreach (var text in parse.GetValue(relays) ?? [])
            {
                if (!PinnedAddress.TryParse(text, out var address, out var error))
                {
                    return await UsageAsync($"--relay: {error}");
                }

                addresses.Add(address);
            }

            var n = parse.GetValue(recipients);
            if (n is < 1 or > 64)
            {
                return await UsageAsync("--recipients must be between 1 and 64");
            }

            var directory = parse.GetValue(output)?.FullName ?? Directory.GetCurrentDirectory();
            Directory.CreateDirectory(directory);
            var total = ChunkPlan.For(path.Length).Sum(s => (long)s) * addresses.Count;
            int Write(SentFile sent)
            {
                var written = new List<string> { WriteSecret(directory, $"{path.Name}.sender.json", sent.Sender.ToJson()) };
                for (var i = 0; i < sent.Recipients.Count; i++)
                {
                    written.Add(WriteSecret(directory, $"{path.Name}.recipient-{i + 1}.json", sent.Recipients[i].ToJson()));
                }

                var table = new Table().AddColumn("description").AddColumn("for");
                table.AddRow(Markup.Escape(written[0]), "you (delete)");
                for (var i = 1; i < written.Count; i++)
                {
                    table.AddRow(Markup.Escape(written[i]), $"recipient {i}");
                }

                AnsiConsole.Write(table);
                return ExitCodes.Ok;
            }

            if (parse.GetValue(WalletCommands.WalletOption) is not null)
            {
                // Paid from the wallet: its refusals (insufficient tokens, relay refused, unreachable) exit as the other wallet commands.
                return await WalletCommands.WithWalletAsync(parse, async wallet =>
                {
                    SentFile? sent = null;
                    await WithProgressAsync($"sending {path.Name}", total, async progress =>
                        sent = await wallet.SendFileAsync(path.FullName, addresses, n, parse.GetValue(password), progress, cancellationToken));
                    return Write(sent!);
                });
            }

            try
            {
                SentFile? sent = null;
                await WithProgressAsync($"sending {path.Name}", total, async progress =>
                    sent = await FileSender.SendAsync(path.FullName, addresses, n, password: parse.GetValue(password), progress: progress, cancellationToken: cancellationToken));
                return Write(sent!);
            }
            catch (FileRelayException e)
            {
                await Console.Error.WriteLineAsync($"error: a relay refused or did not answer: {e.Code}: {e.Message}");
                return ExitCodes.Failed;
            }
        });
        return command;
    }

    private static Command BuildReceive()
    {
        var description = new Argument<FileInfo>("description") { Description = "The recipient's file description (JSON) the sender passed on." };
        var output = new Option<FileInfo>("--out") { Description = "Where to write the file.", Required = true };
        var noAck = new Option<bool>("--no-ack") { Description = "Do not acknowledge the chunks (they stay on the relays for this description)." };
        var command = new Command("receive", "Download a file's chunks (falling back to another replica when a relay fails), verify every digest, decrypt and write it.")
        {
            description, output, noAck,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (ReadDescription(parse.GetValue(description)!, FileDescription.RecipientParty, out var parsed) is { } error)
            {
                return await UsageAsync(error);
            }

            var target = parse.GetValue(output)!.FullName;
            try
            {
                long length = 0;
                await WithProgressAsync("receiving", parsed!.Size, async progress =>
                    length = await FileReceiver.ReceiveAsync(parsed, target, !parse.GetValue(noAck), progress, cancellationToken));
                await Console.Error.WriteLineAsync($"received {length} bytes into {target}");
                return ExitCodes.Ok;
            }
            catch (FileTransferException e)
            {
                await Console.Error.WriteLineAsync($"error: {e.Message}");
                return ExitCodes.Failed;
            }
        });
        return command;
    }

    private static Command BuildDelete()
    {
        var description = new Argument<FileInfo>("description") { Description = "The sender's file description (<file>.sender.json)." };
        var command = new Command("delete", "Delete every chunk of a sent file on every relay (all recipients lose it).") { description };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (ReadDescription(parse.GetValue(description)!, FileDescription.SenderParty, out var parsed) is { } error)
            {
                return await UsageAsync(error);
            }

            var failed = await FileSender.DeleteAsync(parsed!, cancellationToken);
            if (failed.Count > 0)
            {
                await Console.Error.WriteLineAsync($"error: {failed.Count} relay(s) did not delete (unreachable or already gone): {string.Join(", ", failed)}");
                return ExitCodes.Failed;
            }

            await Console.Error.WriteLineAsync("deleted");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command BuildBlock()
    {
        var id = new Argument<string>("id") { Description = "The reported chunk's sender or recipient id (base64url, 24 bytes)." };
        var data = new Option<DirectoryInfo>("--data") { Description = "The file relay's data directory (works while it serves).", Required = true };
        var command = new Command("block", "Operator: block a chunk on an abuse report. It becomes unavailable to every recipient; nothing else about it is learned.") { id, data };
        command.SetAction(async (parse, cancellationToken) =>
        {
            byte[] raw;
            try
            {
                raw = Base64Url.DecodeFromChars(parse.GetValue(id));
            }
            catch (FormatException)
            {
                return await UsageAsync("the id must be base64url");
            }

            if (raw.Length != FilesProtocol.IdLength)
            {
                return await UsageAsync("the id must be 24 bytes");
            }

            try
            {
                if (!await FilesServer.BlockOfflineAsync(parse.GetValue(data)!.FullName, raw, cancellationToken))
                {
                    await Console.Error.WriteLineAsync("error: no chunk has this id (expired, deleted, or another relay's)");
                    return ExitCodes.Failed;
                }
            }
            catch (FileNotFoundException e)
            {
                return await UsageAsync(e.Message);
            }

            await Console.Error.WriteLineAsync("blocked");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string? ReadDescription(FileInfo file, string party, out FileDescription? description)
    {
        description = null;
        if (!file.Exists)
        {
            return $"{file.FullName} does not exist";
        }

        try
        {
            description = FileDescription.Parse(File.ReadAllText(file.FullName));
        }
        catch (FormatException e)
        {
            return e.Message;
        }

        return description.Party == party ? null : $"this is a {description.Party}'s description; the command needs the {party}'s";
    }

    /// <summary>Descriptions hold keys: written owner-only, and only their paths are printed.</summary>
    private static string WriteSecret(string directory, string name, string json)
    {
        var path = Path.Combine(directory, name);
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(path, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(json);
        }

        return path;
    }

    /// <summary>A progress bar on standard error (standard output stays for results).</summary>
    private static async Task WithProgressAsync(string label, long total, Func<IProgress<long>, Task> work)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        await console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(Markup.Escape(label), maxValue: Math.Max(1, total));
                await work(new Progress(task));
                task.Value = task.MaxValue;
            });
    }

    private static async Task<int> UsageAsync(string message)
    {
        await Console.Error.WriteLineAsync($"error: {message}");
        return ExitCodes.Usage;
    }

    private sealed class Progress(ProgressTask task) : IProgress<long>
    {
        public void Report(long value) => task.Increment(value);
    }
}
