using System.CommandLine;
using System.Net;
using SimpleXLedger.Relay;
using SimpleXLedger.Relay.Hosting;
using SimpleXLedger.Relay.Metering.Loading;

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
        var issuer = new Option<string?>("--issuer") { Description = "The token issuer's directory URL (devnet key source for the tokens plugin)." };
        var rpc = new Option<string?>("--rpc") { Description = "Ethereum JSON-RPC URL of the ledger (key registry)." };
        var ledger = new Option<string?>("--ledger") { Description = "The ledger contract address." };
        var plugins = new Option<DirectoryInfo?>("--plugins") { Description = "Plugins directory (default: plugins/ beside sxl)." };
        var devnet = new Option<bool>("--devnet") { Description = "Development network: short key windows, issuer directory as key source." };
        var password = new Option<string?>("--create-password") { Description = "Require this password to create queues." };
        var settings = new Option<string[]>("--metering-setting") { Description = "A plugin setting key=value (repeatable); also read from <data>/metering.json.", AllowMultipleArgumentsPerToken = false };
        var failOpen = new Option<bool>("--metering-fail-open") { Description = "When the metering plugin fails, accept work free of charge (default: refuse it)." };
        var clearing = new Option<string?>("--clearing") { Description = "The clearing house's address (sxl://…): tokens are redeemed there, network-wide; needs --operator-key." };
        var operatorKey = new Option<FileInfo?>("--operator-key") { Description = "The operator's Ed25519 key file, as registered with `sxl operator register`." };
        var command = new Command("serve", "Serve a relay. The first line on stdout is its address, sxl://<certificate fingerprint>@host:port.")
        {
            data, listen, metering, issuer, rpc, ledger, plugins, devnet, password, settings, failOpen, clearing, operatorKey,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(rpc) is not null || parse.GetValue(ledger) is not null)
            {
                await Console.Error.WriteLineAsync("error: --rpc/--ledger (the ledger's key registry) is not yet wired; use --issuer with --devnet or plugin settings");
                return ExitCodes.Usage;
            }

            if (!IPEndPoint.TryParse(parse.GetValue(listen)!, out var endpoint))
            {
                await Console.Error.WriteLineAsync("error: --listen must be ip:port, for example 127.0.0.1:5223");
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
            };

            // The clearing house as the token plugin's redeemer (issue 6 wiring; see SimpleXLedger.Clearing.Client).
            await using var redeemer = await ClearingRedeemerFactory.CreateAsync(parse.GetValue(clearing), parse.GetValue(operatorKey), options.DataDirectory);
            if (redeemer.Error is not null)
            {
                await Console.Error.WriteLineAsync($"error: {redeemer.Error}");
                return ExitCodes.Usage;
            }

            RelayServer server;
            try
            {
                server = await RelayServer.StartAsync(options, redeemer.Services, cancellationToken: cancellationToken);
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
