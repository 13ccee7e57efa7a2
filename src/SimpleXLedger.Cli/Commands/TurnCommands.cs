using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text.Json;
using SimpleXLedger.Net;
using SimpleXLedger.Relay.KeySources;
using SimpleXLedger.Relay.Plugins;
using SimpleXLedger.Turn;

namespace SimpleXLedger.Cli.Commands;

/// <summary><c>sxl turn …</c>: token-paid TURN credentials for a coturn server (<c>use-auth-secret</c>).</summary>
internal static class TurnCommands
{
    public static Command Build()
    {
        var turn = new Command("turn", "Calls: sell time-limited TURN credentials for coturn (REST-API scheme) for tokens, or buy them from the wallet.");
        turn.Subcommands.Add(BuildServe());
        turn.Subcommands.Add(BuildCredentials());
        return turn;
    }

    private static Command BuildServe()
    {
        var data = new Option<DirectoryInfo>("--data") { Description = "Data directory: the spent-set (turn.db), the TLS certificate (made on first start), the redeemer id and receipts.", Required = true };
        var listen = new Option<string>("--listen") { Description = "ip:port to listen on (port 0 picks a free one).", DefaultValueFactory = _ => "127.0.0.1:5225" };
        var secretFile = new Option<FileInfo>("--secret-file") { Description = "coturn's static-auth-secret, one a line (mode 0600): the first signs; a second is accepted by coturn during a change. Read again when it changes.", Required = true };
        var realm = new Option<string>("--realm") { Description = "coturn's realm.", Required = true };
        var urls = new Option<string[]>("--turn-url") { Description = "A TURN URL handed out with each credential (repeatable), e.g. turns:turn.example.org:5349?transport=tcp.", Required = true, AllowMultipleArgumentsPerToken = false };
        var creditsPerBlock = new Option<long>("--credits-per-block") { Description = "Credits (tokens) one block of minutes costs.", DefaultValueFactory = _ => 1 };
        var blockMinutes = new Option<long>("--block-minutes") { Description = "Minutes in a block.", DefaultValueFactory = _ => 60 };
        var maxLifetime = new Option<long>("--max-allocate-lifetime") { Description = "coturn's max-allocate-lifetime in seconds: a credential's validity is the paid time less this.", DefaultValueFactory = _ => 600 };
        var issuerName = new Option<string?>("--issuer-name") { Description = "The network challenge's issuer name (the tokens plugin's issuerName)." };
        var tokenKeys = new Option<string?>("--token-keys") { Description = "Without a ledger: the token keys (spki[:notBefore:redeemUntil], comma separated)." };
        var issuer = new Option<string?>("--issuer") { Description = "The token issuer's directory URL: the key source with --devnet when no ledger is given." };
        var registry = new KeyRegistryOptions("the TURN service");
        var plugins = new Option<DirectoryInfo?>("--plugins") { Description = "Plugins directory holding the tokens plugin (default: plugins/ beside sxl)." };
        var devnet = new Option<bool>("--devnet") { Description = "Development network (devnet-length key windows; the issuer directory as key source)." };
        var clearing = new Option<string?>("--clearing") { Description = "The clearing house's address (sxl://…): tokens are redeemed there, network-wide; needs --operator-key." };
        var operatorKey = new Option<FileInfo?>("--operator-key") { Description = "The operator's Ed25519 key file, as registered with `sxl operator register`." };
        var command = new Command("serve", "Serve TURN credentials for tokens. The first line on stdout is the service's address, sxl://<certificate fingerprint>@host:port.")
        {
            data, listen, secretFile, realm, urls, creditsPerBlock, blockMinutes, maxLifetime, issuerName, tokenKeys, issuer, registry.Rpc, registry.Ledger, registry.MaxAge, plugins, devnet, clearing, operatorKey,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (registry.Check(parse) is { } registryError)
            {
                await Console.Error.WriteLineAsync($"error: {registryError}");
                return ExitCodes.Usage;
            }

            if (!IPEndPoint.TryParse(parse.GetValue(listen)!, out var endpoint))
            {
                await Console.Error.WriteLineAsync("error: --listen must be ip:port, for example 127.0.0.1:5225");
                return ExitCodes.Usage;
            }

            var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            if (parse.GetValue(issuerName) is { } name)
            {
                settings["issuerName"] = name;
            }

            if (parse.GetValue(tokenKeys) is { } keys)
            {
                settings["tokenKeys"] = keys;
            }

            var options = new TurnOptions
            {
                DataDirectory = parse.GetValue(data)!.FullName,
                Listen = endpoint,
                SecretFile = parse.GetValue(secretFile)!.FullName,
                Realm = parse.GetValue(realm)!,
                TurnUrls = parse.GetValue(urls) ?? [],
                CreditsPerBlock = parse.GetValue(creditsPerBlock),
                BlockMinutes = parse.GetValue(blockMinutes),
                MaxAllocateLifetime = TimeSpan.FromSeconds(parse.GetValue(maxLifetime)),
                PluginsDirectory = parse.GetValue(plugins)?.FullName ?? Path.Combine(AppContext.BaseDirectory, "plugins"),
                TokenSettings = settings,
                Devnet = parse.GetValue(devnet),
                Issuer = parse.GetValue(issuer),
            };
            if (options.Validate() is { } invalid)
            {
                await Console.Error.WriteLineAsync($"error: {invalid}");
                return ExitCodes.Usage;
            }

            Directory.CreateDirectory(options.DataDirectory);
            await using var redeemer = await ClearingRedeemerFactory.CreateAsync(parse.GetValue(clearing), parse.GetValue(operatorKey), options.DataDirectory);
            if (redeemer.Error is not null)
            {
                await Console.Error.WriteLineAsync($"error: {redeemer.Error}");
                return ExitCodes.Usage;
            }

            var (keySource, keySourceError, keySourceExit) = await registry.ConnectAsync(parse, options.Devnet, cancellationToken);
            if (keySourceError is not null)
            {
                await Console.Error.WriteLineAsync($"error: {keySourceError}");
                return keySourceExit;
            }

            using var _keySource = keySource;
            TurnServer server;
            try
            {
                server = await TurnServer.StartAsync(options, redeemer.Redeemer, keySource, cancellationToken: cancellationToken);
            }
            catch (Exception e) when (e is TurnSecretException or PluginLoadException or ArgumentException)
            {
                await Console.Error.WriteLineAsync($"error: {e.Message}");
                return ExitCodes.Usage;
            }
            catch (IOException e)
            {
                await Console.Error.WriteLineAsync($"error: cannot start the TURN credential service: {e.Message}");
                return ExitCodes.Failed;
            }

            await using (server)
            {
                await Console.Out.WriteLineAsync(server.Address.ToString());
                await Console.Out.FlushAsync(cancellationToken);
                await Console.Error.WriteLineAsync($"turn credential service listening; {options.SecondsPerToken} s per token; Ctrl+C to stop");
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

    private static Command BuildCredentials()
    {
        var service = new Option<string>("--service") { Description = "The TURN credential service's address (sxl://fingerprint@host:port).", Required = true };
        var command = new Command("credentials", "Buy TURN credentials with one token from the wallet (over a fresh connection) and print the ICE server entry as JSON.")
        {
            service, WalletCommands.WalletOption,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (!PinnedAddress.TryParse(parse.GetValue(service), out var address, out var error))
            {
                await Console.Error.WriteLineAsync($"error: --service: {error}");
                return ExitCodes.Usage;
            }

            return await WalletCommands.WithWalletAsync(parse, async wallet =>
            {
                var c = await wallet.BuyTurnCredentialsAsync(address, cancellationToken);
                var entry = new Dictionary<string, object>
                {
                    ["urls"] = c.Urls.ToArray(),
                    ["username"] = c.Username,
                    ["credential"] = c.Credential,
                    ["expires"] = DateTimeOffset.FromUnixTimeSeconds(c.Expires).ToString("u", CultureInfo.InvariantCulture),
                    ["expiresUnix"] = c.Expires,
                };
                await Console.Out.WriteLineAsync(JsonSerializer.Serialize(entry));
                return ExitCodes.Ok;
            });
        });
        return command;
    }
}
