using System.CommandLine;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using SimpleXLedger.Net;
using SimpleXLedger.Relay;
using SimpleXLedger.Relay.Hosting;
using SimpleXLedger.Relay.KeySources;
using SimpleXLedger.Relay.Metering.Tokens;
using SimpleXLedger.Relay.Plugins;

namespace SimpleXLedger.Cli.Commands;

/// <summary><c>sxl relay …</c>: run a message relay.</summary>
internal static class RelayCommands
{
    public static Command Build()
    {
        var relay = new Command("relay", "Run a SimpleX-style message relay (SMP-model queues over gRPC/TLS) with pluggable metering.");
        relay.Subcommands.Add(BuildServe());
        return relay;
    }

    private static Command BuildServe()
    {
        var data = new Option<DirectoryInfo>("--data") { Description = "Data directory: the SQLite store, the TLS certificate (made on first start), plugin state.", Required = true };
        var listen = new Option<string>("--listen") { Description = "ip:port to listen on (port 0 picks a free one).", DefaultValueFactory = _ => "127.0.0.1:5223" };
        var metering = new Option<string>("--metering") { Description = "Metering plugin id: none, free, tokens, or any plugin in the plugins directory.", DefaultValueFactory = _ => "none" };
        var issuer = new Option<string?>("--issuer") { Description = "The token issuer's directory URL: the tokens plugin's key source with --devnet when no ledger is given (and the default issuerName)." };
        var registry = new KeyRegistryOptions("the relay");
        var plugins = new Option<DirectoryInfo?>("--plugins") { Description = "Plugins directory (default: plugins/ beside sxl)." };
        var devnet = new Option<bool>("--devnet") { Description = "Development network: trust a ledger with devnet-length (seconds) key windows; without --rpc/--ledger, the issuer directory (--issuer) as key source." };
        var password = new Option<string?>("--create-password") { Description = "Require this password to create queues." };
        var settings = new Option<string[]>("--metering-setting") { Description = "A plugin setting key=value (repeatable); also read from <data>/metering.json.", AllowMultipleArgumentsPerToken = false };
        var failOpen = new Option<bool>("--metering-fail-open") { Description = "When the metering plugin fails, accept work free of charge (default: refuse it)." };
        var clearing = new Option<string?>("--clearing") { Description = "The clearing house's address (sxl://…): tokens are redeemed there, network-wide; needs --operator-key." };
        var operatorKey = new Option<FileInfo?>("--operator-key") { Description = "The operator's Ed25519 key file, as registered with `sxl operator register`." };
        var command = new Command(
            "serve",
            "Serve a relay. The first line on stdout is its address, sxl://<certificate fingerprint>@host:port. "
            + "The tokens plugin trusts the keys of the ledger's registry (--rpc with --ledger), else with --devnet the issuer's directory (--issuer), else its tokenKeys setting.")
        {
            data, listen, metering, issuer, registry.Rpc, registry.Ledger, registry.MaxAge, plugins, devnet, password, settings, failOpen, clearing, operatorKey,
        };
        var serve = new ServeOptions(command, publicHost: true);
        var quota = new Option<int>("--queue-quota") { Description = "Most undelivered messages one queue holds (default 128).", DefaultValueFactory = _ => 128 };
        var maxMessage = new Option<int>("--max-message-bytes") { Description = "Largest message body in bytes (default 16064).", DefaultValueFactory = _ => 16_064 };
        var ttl = new Option<string?>("--message-ttl") { Description = "How long an undelivered message is kept, e.g. 21d (default 21d)." };
        var noNewQueues = new Option<bool>("--no-new-queues") { Description = "Retiring the relay: existing queues keep working, creating a queue is refused (NO_NEW_QUEUES)." };
        command.Options.Add(quota);
        command.Options.Add(maxMessage);
        command.Options.Add(ttl);
        command.Options.Add(noNewQueues);
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (serve.Observability(parse, out var usage) is not { } observability)
            {
                await Console.Error.WriteLineAsync($"error: {usage}");
                return ExitCodes.Usage;
            }

            if (registry.Check(parse) is { } registryError)
            {
                await Console.Error.WriteLineAsync($"error: {registryError}");
                return ExitCodes.Usage;
            }

            if (!IPEndPoint.TryParse(parse.GetValue(listen)!, out var endpoint))
            {
                await Console.Error.WriteLineAsync("error: --listen must be ip:port, for example 127.0.0.1:5223");
                return ExitCodes.Usage;
            }

            if (parse.GetValue(quota) is < 1 or > 1_000_000 || parse.GetValue(maxMessage) is < 1 or > 4 * 1024 * 1024)
            {
                await Console.Error.WriteLineAsync("error: --queue-quota is 1 to 1000000 and --max-message-bytes 1 to 4194304");
                return ExitCodes.Usage;
            }

            TimeSpan messageTtl;
            try
            {
                messageTtl = IssuerCommands.Duration(parse.GetValue(ttl), TimeSpan.FromDays(21));
            }
            catch (FormatException e)
            {
                await Console.Error.WriteLineAsync($"error: --message-ttl: {e.Message}");
                return ExitCodes.Usage;
            }

            if (messageTtl <= TimeSpan.Zero)
            {
                await Console.Error.WriteLineAsync("error: --message-ttl must be positive");
                return ExitCodes.Usage;
            }

            var pluginSettings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var entry in parse.GetValue(settings) ?? [])
            {
                var eq = entry.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                {
                    await Console.Error.WriteLineAsync($"error: --metering-setting takes key=value, got '{entry}'");
                    return ExitCodes.Usage;
                }

                pluginSettings[entry[..eq]] = entry[(eq + 1)..];
            }

            var options = new RelayOptions
            {
                DataDirectory = parse.GetValue(data)!.FullName,
                Listen = endpoint,
                Metering = parse.GetValue(metering)!,
                PluginsDirectory = parse.GetValue(plugins)?.FullName ?? Path.Combine(AppContext.BaseDirectory, "plugins"),
                MeteringSettings = pluginSettings,
                MeteringFailOpen = parse.GetValue(failOpen),
                CreatePassword = parse.GetValue(password),
                Devnet = parse.GetValue(devnet),
                Issuer = parse.GetValue(issuer),
                PublicHost = serve.PublicHost(parse),
                QueueQuota = parse.GetValue(quota),
                MaxMessageBytes = parse.GetValue(maxMessage),
                MessageTtl = messageTtl,
                NoNewQueues = parse.GetValue(noNewQueues),
                Observability = observability,
            };

            // The clearing house as the token plugin's redeemer (issue 6 wiring; see SimpleXLedger.Clearing.Client).
            await using var redeemer = await ClearingRedeemerFactory.CreateAsync(parse.GetValue(clearing), parse.GetValue(operatorKey), options.DataDirectory);
            if (redeemer.Error is not null)
            {
                await Console.Error.WriteLineAsync($"error: {redeemer.Error}");
                return ExitCodes.Usage;
            }

            // The ledger's key registry as the token plugin's key source.
            var (keySource, keySourceError, keySourceExit) = await registry.ConnectAsync(parse, options.Devnet, cancellationToken);
            if (keySourceError is not null)
            {
                await Console.Error.WriteLineAsync($"error: {keySourceError}");
                return keySourceExit;
            }

            using var _keySource = keySource;

            RelayServer server;
            try
            {
                server = await RelayServer.StartAsync(
                    options,
                    services =>
                    {
                        redeemer.AddTo(services);
                        if (keySource is not null)
                        {
                            services.AddSingleton<ITokenKeySource>(keySource);
                        }
                    },
                    cancellationToken: cancellationToken);
            }
            catch (PluginLoadException e)
            {
                await Console.Error.WriteLineAsync($"error: {e.Message}");
                return ExitCodes.Usage;
            }
            catch (IOException e)
            {
                await Console.Error.WriteLineAsync($"error: cannot start the relay: {e.Message}");
                return ExitCodes.Failed;
            }

            await using (server)
            {
                await Console.Out.WriteLineAsync(server.Address.ToString());
                await Console.Out.FlushAsync(cancellationToken);
                await Console.Error.WriteLineAsync($"relay listening; metering {server.MeteringId}; Ctrl+C to stop");
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
}
