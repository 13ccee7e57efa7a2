using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using SimpleXLedger.Chain.Accounts;
using SimpleXLedger.Chain.Services;
using SimpleXLedger.Net;
using SimpleXLedger.Relay.Client;
using SimpleXLedger.Wallet;
using SimpleXLedger.Wallet.Issuance;
using SimpleXLedger.Wallet.Spending;
using SimpleXLedger.Wallet.Storage;
using Spectre.Console;

namespace SimpleXLedger.Cli.Commands;

/// <summary><c>sxl wallet …</c>: the user's wallet: cards into tokens, queues paid from it, backups.</summary>
internal static class WalletCommands
{
    public const string PassphraseVariable = "SXL_WALLET_PASSPHRASE";

    internal static readonly Option<FileInfo?> WalletOption = new("--wallet")
    {
        Description = "The wallet file (default: sxl/wallet.sxlw under the user's data directory). Passphrase from SXL_WALLET_PASSPHRASE, else a prompt.",
        Recursive = true,
    };

    public static Command Build()
    {
        var wallet = new Command("wallet", "Your wallet: redeem gift cards into tokens, pay relay queues from them (fixed steps, random delays), back it up.")
        {
            WalletOption,
        };
        wallet.Subcommands.Add(BuildInit());
        wallet.Subcommands.Add(BuildRedeem());
        wallet.Subcommands.Add(BuildBuyCard());
        wallet.Subcommands.Add(BuildBalance());
        wallet.Subcommands.Add(BuildQueue());
        wallet.Subcommands.Add(BuildRun());
        wallet.Subcommands.Add(BuildTokens());
        wallet.Subcommands.Add(BuildBackup());
        wallet.Subcommands.Add(BuildRestore());
        return wallet;
    }

    // ---- init ----------------------------------------------------------------------------------------

    private static Command BuildInit()
    {
        var memory = new Option<int>("--kdf-memory") { Description = "Argon2id memory in MiB (default 256, at least 64).", DefaultValueFactory = _ => 256 };
        var passes = new Option<int>("--kdf-passes") { Description = "Argon2id passes (default 3, at least 2).", DefaultValueFactory = _ => 3 };
        var step = new Option<int?>("--topup-step") { Description = "Tokens per queue top-up (default 10)." };
        var delay = new Option<string?>("--topup-delay") { Description = "Wait before each top-up: exp:<mean>[/<max>] (default exp:10m/1h), uniform:<min>-<max>, fixed:<d> or 0." };
        var low = new Option<long?>("--low-credit") { Description = "Top a queue up when its credit falls below this many microcredits (default 1000000 = one credit)." };
        var age = new Option<string?>("--min-token-age") { Description = "Spend tokens only once they are this old (e.g. 30m), so no payment follows its redemption closely (default 1h; 0 spends at once)." };
        var command = new Command("init", "Create a new wallet file, encrypted under a passphrase (asked twice unless SXL_WALLET_PASSPHRASE is set).")
        {
            memory, passes, step, delay, low, age,
        };
        command.SetAction(async (parse, ct) =>
        {
            var policy = SpendingPolicy.Careful;
            if (parse.GetValue(step) is { } s)
            {
                policy = policy with { TopUpStep = s };
            }

            if (parse.GetValue(delay) is { } d)
            {
                if (!DelayDistribution.TryParse(d, out var distribution, out var error))
                {
                    return Usage(error);
                }

                policy = policy with { TopUpDelay = distribution };
            }

            if (parse.GetValue(low) is { } l)
            {
                policy = policy with { LowCredit = l };
            }

            if (parse.GetValue(age) is { } a)
            {
                if (!Durations.TryParse(a, out var minAge))
                {
                    return Usage("--min-token-age is a duration like 30m or 2h");
                }

                policy = policy with { MinTokenAge = minAge };
            }

            var kdf = new KdfParameters(parse.GetValue(memory) * 1024L, parse.GetValue(passes));
            var path = WalletPath(parse);
            return await RunAsync(async () =>
            {
                policy.Validate();
                kdf.Validate();
                if (File.Exists(path))
                {
                    return Usage($"{path} already exists; a wallet is never overwritten");
                }

                if (!TryPassphrase(confirm: true, out var passphrase, out var error))
                {
                    return Usage(error);
                }

                await using var wallet = await UserWallet.CreateAsync(path, passphrase, kdf, new WalletOptions { Spending = policy });
                wallet.SavePolicy(policy);
                await Console.Out.WriteLineAsync($"created wallet {path} ({kdf})");
                await Console.Out.WriteLineAsync($"spending: {policy.ToText()}");
                return ExitCodes.Ok;
            });
        });
        return command;
    }

    // ---- redeem --------------------------------------------------------------------------------------

    private sealed record IssuerOptions(Option<string?> Grpc, Option<string?> Directory, Option<string?> Fingerprint, Option<string?> Rpc, Option<string?> Ledger, Option<bool> Devnet, Option<bool> TrustDirectory)
    {
        public static IssuerOptions Create() => new(
            new Option<string?>("--issuer") { Description = "The issuer's gRPC URL, e.g. https://issuer.example:8444 (remembered by the wallet)." },
            new Option<string?>("--directory") { Description = "The issuer's RFC 9578 directory URL or origin, e.g. https://issuer.example (remembered)." },
            new Option<string?>("--issuer-fingerprint") { Description = "Pin the issuer's TLS certificate (SHA-256, base64url or hex) instead of the system's trust." },
            new Option<string?>("--rpc") { Description = "Your own JSON-RPC endpoint of the chain: the registry's current issuing key is read through it (remembered)." },
            new Option<string?>("--ledger") { Description = "The ledger contract's address (its key registry names the issuing key; remembered)." },
            new Option<bool>("--devnet") { Description = "Development network." },
            new Option<bool>("--trust-directory") { Description = "DEVELOPMENT ONLY, with --devnet and no chain: take the issuer's key from its own directory (no registry check)." });

        public void AddTo(Command command)
        {
            command.Options.Add(Grpc);
            command.Options.Add(Directory);
            command.Options.Add(Fingerprint);
            command.Options.Add(Rpc);
            command.Options.Add(Ledger);
            command.Options.Add(Devnet);
            command.Options.Add(TrustDirectory);
        }

        /// <summary>The options given now, else the ones the wallet remembers; saved back once they worked.</summary>
        public WalletProfile Resolve(ParseResult parse, WalletProfile stored) => new()
        {
            IssuerGrpc = parse.GetValue(Grpc) ?? stored.IssuerGrpc,
            IssuerDirectory = parse.GetValue(Directory) ?? stored.IssuerDirectory,
            IssuerFingerprint = parse.GetValue(Fingerprint) ?? stored.IssuerFingerprint,
            Rpc = parse.GetValue(Rpc) ?? stored.Rpc,
            Ledger = parse.GetValue(Ledger) ?? stored.Ledger,
            TrustDirectory = parse.GetValue(TrustDirectory) || (stored.TrustDirectory && parse.GetValue(Rpc) is null),
        };

        /// <summary>An issuer session under key consistency (the wallet library's rule): the registry, or (devnet only) the directory.</summary>
        public async Task<IssuerSession> ConnectAsync(ParseResult parse, WalletProfile profile, CancellationToken ct)
        {
            if (profile.IssuerGrpc is null || profile.IssuerDirectory is null)
            {
                throw new WalletException(WalletError.InvalidInput, "give the issuer: --issuer <gRPC URL> and --directory <directory URL>");
            }

            var endpoint = IssuerEndpoint.Parse(profile.IssuerGrpc, profile.IssuerDirectory, profile.IssuerFingerprint);

            // --trust-directory given now sets a remembered chain aside for this run.
            var chosenDirectory = parse.GetValue(TrustDirectory);
            var trust = new IssuerKeyTrust(
                chosenDirectory ? null : profile.Rpc,
                chosenDirectory ? null : profile.Ledger,
                profile.TrustDirectory,
                parse.GetValue(Devnet));
            return await IssuerConnection.OpenAsync(endpoint, trust, Console.Error, ct);
        }
    }

    private static Command BuildRedeem()
    {
        var card = new Argument<string?>("card")
        {
            Description = "The gift card code (SXL-…), or - to read it from stdin (keeps it out of your shell history). Without it: finish any redemption left pending.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var issuer = IssuerOptions.Create();
        var command = new Command("redeem", "Redeem a gift card into tokens: only under the registry's current issuing key (refused otherwise), in fixed batches of 100, resumable after a crash without a second debit.")
        {
            card,
        };
        issuer.AddTo(command);
        command.SetAction(async (parse, ct) => await WithWalletAsync(parse, async wallet =>
        {
            var profile = issuer.Resolve(parse, wallet.Profile);
            var session = await issuer.ConnectAsync(parse, profile, ct);
            using (session)
            {
                var text = parse.GetValue(card);
                if (text == "-")
                {
                    text = (await Console.In.ReadLineAsync(ct))?.Trim();
                }

                var result = text is null
                    ? await wallet.ResumeAsync(session, ct)
                    : await wallet.RedeemCardAsync(text, session, ct);
                wallet.SaveProfile(profile);
                if (result.Deferred)
                {
                    await Console.Out.WriteLineAsync("card stored: its tokens are fetched just before use (this wallet's policy does not prefetch)");
                }
                else
                {
                    await Console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                        $"redeemed {result.TokensAdded} tokens in {result.Batches} batches{(result.Replayed > 0 ? $" ({result.Replayed} resumed without a second debit)" : string.Empty)}; {wallet.AvailableTokens} tokens available"));
                }

                if (result.CreditsLeft > 0)
                {
                    await Console.Out.WriteLineAsync($"{result.CreditsLeft} credits below one batch stay on the card");
                }

                if (result.CardsAwaitingActivation > 0)
                {
                    await Console.Out.WriteLineAsync($"{result.CardsAwaitingActivation} card(s) not activated by the issuer yet; run redeem again later");
                }

                return ExitCodes.Ok;
            }
        }));
        return command;
    }

    // ---- buy-card ------------------------------------------------------------------------------------

    private static Command BuildBuyCard()
    {
        var key = new Option<FileInfo>("--key") { Description = "The buyer's Ethereum key file (hex, mode 0600): pays the price.", Required = true };
        var vendor = new Option<string>("--vendor") { Description = "The registered vendor whose app you use (gets its share).", Required = true };
        var credits = new Option<ulong>("--credits") { Description = "Credits on the card: a multiple of 100.", Required = true };
        var timeout = new Option<string>("--activation-timeout") { Description = "How long to wait for the issuer to activate the card (default 5m).", DefaultValueFactory = _ => "5m" };
        var issuer = IssuerOptions.Create();
        var command = new Command("buy-card", "Buy one card on-chain: the wallet makes its secret, pays the ledger's price from your account (approve + buyCard), waits for the purchase, then redeems it once the issuer activates it.")
        {
            key, vendor, credits, timeout,
        };
        issuer.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            if (!Durations.TryParse(parse.GetValue(timeout), out var activationTimeout))
            {
                return Usage("--activation-timeout is a duration like 90s or 5m");
            }

            Nethereum.Signer.EthECKey ethKey;
            try
            {
                ethKey = EthereumKeyFile.Read(parse.GetValue(key)!.FullName);
            }
            catch (KeyFileException e)
            {
                return Usage(e.Message);
            }

            return await WithWalletAsync(parse, async wallet =>
            {
                var profile = issuer.Resolve(parse, wallet.Profile);
                if (profile.Rpc is null || profile.Ledger is null)
                {
                    return Usage("buy-card needs --rpc and --ledger");
                }

                var session = await issuer.ConnectAsync(parse, profile, ct);
                using (session)
                {
                    LedgerClient buyer;
                    ChainConnection connection;
                    try
                    {
                        connection = await ChainConnection.ConnectAsync(profile.Rpc, ethKey, ct: ct);
                        buyer = await LedgerClient.AttachAsync(connection, profile.Ledger, ct: ct);
                    }
                    catch (InvalidOperationException e)
                    {
                        return Failed(e.Message);
                    }

                    using (connection)
                    {
                        var price = await buyer.CreditPriceAsync(ct);
                        await Console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"buying a card of {parse.GetValue(credits)} credits for {price * parse.GetValue(credits)} token units from {connection.Address}"));
                        var result = await wallet.BuyCardAsync(buyer, parse.GetValue(vendor)!, parse.GetValue(credits), session, activationTimeout, ct);
                        wallet.SaveProfile(profile);
                        await Console.Out.WriteLineAsync($"bought card {result.CardHash[..18]}… in {result.Transaction}");
                        await Console.Out.WriteLineAsync($"redeemed {result.Redemption?.TokensAdded ?? 0} tokens; {wallet.AvailableTokens} tokens available");
                        return ExitCodes.Ok;
                    }
                }
            });
        });
        return command;
    }

    // ---- balance -------------------------------------------------------------------------------------

    private static Command BuildBalance()
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of tables." };
        var command = new Command("balance", "Show cards, tokens (available, reserved, spent) and queues with their credit and next top-up.") { json };
        command.SetAction(async (parse, ct) => await WithWalletAsync(parse, async wallet =>
        {
            var b = wallet.GetBalance();
            if (parse.GetValue(json))
            {
                await Console.Out.WriteLineAsync(JsonSerializer.Serialize(new
                {
                    cards = b.Cards.Select(c => new { hash = c.HashPrefix, state = c.State.ToString(), credits = c.Credits, redeemed = c.Redeemed, remaining = c.RemainingAtIssuer }),
                    tokens = new { available = b.TokensAvailable, reserved = b.TokensReserved, redeemed = b.TokensRedeemed, spent = b.TokensSpent, lost = b.TokensLost, dropped = b.TokensDropped, withdrawn = b.TokensWithdrawn },
                    pendingBatches = b.PendingBatches,
                    queues = b.Queues.Select(q => new { name = q.Name, relay = Host(q.Relay), state = q.State.ToString(), credit = q.Balance, unit = q.BalanceUnit, topUpDue = q.TopUpDue }),
                    topUpsPending = b.TopUpsPending,
                }));
                return ExitCodes.Ok;
            }

            var cards = new Table().Title("cards").AddColumns("card", "state", "credits", "redeemed", "left at issuer");
            foreach (var c in b.Cards)
            {
                cards.AddRow(Markup.Escape(c.HashPrefix + "…"), c.State.ToString(), Num(c.Credits), Num(c.Redeemed), Num(c.RemainingAtIssuer));
            }

            // One row a count: eight columns would not fit a terminal's 80 characters.
            var tokens = new Table().Title("tokens").AddColumns("tokens", "count", "meaning");
            tokens.AddRow("available", Num(b.TokensAvailable), "ready to pay with");
            tokens.AddRow("reserved", Num(b.TokensReserved), "promised to a queue's payment in flight");
            tokens.AddRow("spent", Num(b.TokensSpent), "paid for queues");
            tokens.AddRow("lost", Num(b.TokensLost), "refused as already spent (a crash or a restore)");
            tokens.AddRow("dropped", Num(b.TokensDropped), "refused by a relay and never shown elsewhere");
            tokens.AddRow("withdrawn", Num(b.TokensWithdrawn), "taken out by you");
            tokens.AddRow("redeemed in all", Num(b.TokensRedeemed), "from your cards");
            tokens.AddRow("batches in flight", Num(b.PendingBatches), "redemptions to finish");
            var queues = new Table().Title("queues").AddColumns("queue", "relay", "state", "credit", "next top-up");
            foreach (var q in b.Queues)
            {
                queues.AddRow(Markup.Escape(q.Name), Markup.Escape(Host(q.Relay)), q.State.ToString(), Markup.Escape($"{q.Balance} {q.BalanceUnit}"), q.TopUpDue is { } due ? due.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : "-");
            }

            AnsiConsole.Write(cards);
            AnsiConsole.Write(tokens);
            AnsiConsole.Write(queues);
            return ExitCodes.Ok;
        }));
        return command;

        static string Num(long n) => n.ToString(CultureInfo.InvariantCulture);
    }

    // ---- queues --------------------------------------------------------------------------------------

    private static Command BuildQueue()
    {
        var queue = new Command("queue", "Queues paid from this wallet: create, send, receive, list, top up (relay queues as `sxl queue`, with payment handled).");
        queue.Subcommands.Add(BuildQueueCreate());
        queue.Subcommands.Add(BuildQueueSend());
        queue.Subcommands.Add(BuildQueueReceive());
        queue.Subcommands.Add(BuildQueueList());
        queue.Subcommands.Add(BuildQueueTopUp());
        return queue;
    }

    private static Command BuildQueueCreate()
    {
        var relay = new Option<string>("--relay") { Description = "The relay's address, sxl://<fingerprint>@host:port.", Required = true };
        var name = new Option<string?>("--name") { Description = "A local name for the queue (default q1, q2, …)." };
        var password = new Option<string?>("--password") { Description = "The relay's queue-creation password, if it has one." };
        var command = new Command("create", "Create a queue, paid with one token when the relay charges; prints the sender link to give your contact.") { relay, name, password };
        command.SetAction(async (parse, ct) =>
        {
            if (!PinnedAddress.TryParse(parse.GetValue(relay), out var address, out var error))
            {
                return Usage(error);
            }

            return await WithWalletAsync(parse, async wallet =>
            {
                var created = await wallet.CreateQueueAsync(address, parse.GetValue(name), parse.GetValue(password), ct);
                await Console.Out.WriteLineAsync(created.SenderLink?.ToString());
                await Console.Error.WriteLineAsync($"queue {created.Name} created at {Host(created.Relay)}; credit {created.Balance} {created.BalanceUnit}{(created.TopUpDue is { } due ? $"; top-up scheduled in {Until(wallet, due)}" : string.Empty)}");
                return ExitCodes.Ok;
            });
        });
        return command;
    }

    private static Command BuildQueueSend()
    {
        var link = new Option<string?>("--link") { Description = "The sender link of the queue to send to." };
        var queueName = new Option<string?>("--queue") { Description = "Or one of this wallet's own queues, by name." };
        var message = new Option<string>("--message") { Description = "The message text (UTF-8).", Required = true };
        var wait = new Option<bool>("--wait") { Description = "If this wallet's own queue is out of credit, wait for its scheduled top-up, then send." };
        var command = new Command("send", "Send a message. If your own queue is out of credit, a top-up is scheduled after a random delay (never paid at once).") { link, queueName, message, wait };
        command.SetAction(async (parse, ct) =>
        {
            SenderLink? target = null;
            if (parse.GetValue(link) is { } text && !SenderLink.TryParse(text, out target))
            {
                return Usage("--link is not a sender link (sxl://<fingerprint>@host:port/send/<id>#<key>)");
            }

            if ((target is null) == (parse.GetValue(queueName) is null))
            {
                return Usage("give exactly one of --link and --queue");
            }

            var body = Encoding.UTF8.GetBytes(parse.GetValue(message)!);
            return await WithWalletAsync(parse, async wallet =>
            {
                async Task<SendResult> Send() => target is null ? await wallet.SendAsync(parse.GetValue(queueName)!, body, ct) : await wallet.SendAsync(target, body, ct);
                var result = await Send();
                if (result.Status == SendStatus.PaymentRequired && result.TopUpDue is { } due && parse.GetValue(wait))
                {
                    await Console.Error.WriteLineAsync($"the queue is out of credit; waiting for its top-up (due in {Until(wallet, due)})");
                    await wallet.TopUps.RunUntilIdleAsync(ct);
                    result = await Send();
                }

                if (result.Status == SendStatus.Sent)
                {
                    await Console.Out.WriteLineAsync("sent");
                    return ExitCodes.Ok;
                }

                return Failed(result.TopUpDue is { } next
                    ? $"payment required: the queue is out of credit; a top-up of {wallet.Policy.TopUpStep} tokens is scheduled in {Until(wallet, next)} (run `sxl wallet run`, or send with --wait)"
                    : $"payment required: {result.Detail}");
            });
        });
        return command;
    }

    private static Command BuildQueueReceive()
    {
        var queueName = new Option<string>("--queue") { Description = "The queue's name in this wallet.", Required = true };
        var max = new Option<int>("--max") { Description = "At most this many messages (default 100).", DefaultValueFactory = _ => 100 };
        var command = new Command("receive", "Print (and acknowledge) the queue's messages, one per line; then check its credit and schedule a top-up if it runs low.") { queueName, max };
        command.SetAction(async (parse, ct) => await WithWalletAsync(parse, async wallet =>
        {
            var messages = await wallet.ReceiveAsync(parse.GetValue(queueName)!, parse.GetValue(max), ct);
            foreach (var m in messages)
            {
                if (m.QuotaNotice)
                {
                    await Console.Error.WriteLineAsync("(the queue was full: senders were refused for a while)");
                    continue;
                }

                await Console.Out.WriteLineAsync(Encoding.UTF8.GetString(m.Body));
            }

            var q = wallet.Queues.First(x => x.Name == parse.GetValue(queueName));
            await Console.Error.WriteLineAsync($"{messages.Count} message(s); credit {q.Balance} {q.BalanceUnit}{(q.TopUpDue is { } due ? $"; top-up scheduled in {Until(wallet, due)}" : string.Empty)}");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command BuildQueueList()
    {
        var command = new Command("list", "List this wallet's queues with their sender links.");
        command.SetAction(async (parse, ct) => await WithWalletAsync(parse, async wallet =>
        {
            foreach (var q in wallet.Queues)
            {
                await Console.Out.WriteLineAsync($"{q.Name}\t{q.State}\t{q.Balance} {q.BalanceUnit}\t{q.SenderLink}");
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command BuildQueueTopUp()
    {
        var queueName = new Option<string>("--queue") { Description = "The queue's name in this wallet.", Required = true };
        var command = new Command("topup", "Schedule a top-up of the queue (one step, after a random delay); `sxl wallet run` carries it out.") { queueName };
        command.SetAction(async (parse, ct) => await WithWalletAsync(parse, async wallet =>
        {
            var due = wallet.TopUps.Request(parse.GetValue(queueName)!, TopUpReason.Requested);
            await Console.Out.WriteLineAsync($"top-up of {wallet.Policy.TopUpStep} tokens scheduled in {Until(wallet, due)}");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command BuildRun()
    {
        var untilIdle = new Option<bool>("--until-idle") { Description = "Stop once no top-up is pending (or all wait for tokens) instead of running until Ctrl+C." };
        var command = new Command("run", "Carry out scheduled top-ups as they fall due (each after its random delay, over its own connection).") { untilIdle };
        command.SetAction(async (parse, ct) => await WithWalletAsync(parse, async wallet =>
        {
            wallet.TopUps.Completed += o => Console.Error.WriteLine($"top-up of {o.Queue}: {o.Status}, {o.TokensPaid} tokens paid{(o.Detail is null ? string.Empty : $" ({o.Detail})")}");
            if (parse.GetValue(untilIdle))
            {
                var left = await wallet.TopUps.RunUntilIdleAsync(ct);
                if (left.Count > 0)
                {
                    return Failed($"{left.Count} top-up(s) wait for tokens: redeem a card");
                }

                await Console.Out.WriteLineAsync("no top-ups pending");
                return ExitCodes.Ok;
            }

            await Console.Error.WriteLineAsync("running scheduled top-ups; Ctrl+C to stop");
            try
            {
                await wallet.TopUps.RunAsync(ct);
            }
            catch (OperationCanceledException)
            {
                // Stopped.
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command BuildTokens()
    {
        var tokens = new Command("tokens", "Tokens held by the wallet.");
        var count = new Option<int>("--count") { Description = "How many tokens (default 1).", DefaultValueFactory = _ => 1 };
        var export = new Command("export", "Take tokens out of the wallet and print them (base64url, one per line) to spend by hand, e.g. `sxl queue topup --token`. They leave the wallet for good; whoever holds one can spend it.") { count };
        export.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(count) < 1)
            {
                return Usage("--count is at least 1");
            }

            return await WithWalletAsync(parse, async wallet =>
            {
                foreach (var token in wallet.WithdrawTokens(parse.GetValue(count)))
                {
                    await Console.Out.WriteLineAsync(token.ToBase64Url());
                }

                return ExitCodes.Ok;
            });
        });
        tokens.Subcommands.Add(export);
        return tokens;
    }

    // ---- backup / restore ----------------------------------------------------------------------------

    private static Command BuildBackup()
    {
        var output = new Option<FileInfo>("--out") { Description = "The backup file to write (owner-only, encrypted under the same passphrase; never overwritten).", Required = true };
        var command = new Command("backup", "Write an encrypted backup of the wallet.") { output };
        command.SetAction(async (parse, ct) => await WithWalletAsync(parse, async wallet =>
        {
            wallet.Backup(parse.GetValue(output)!.FullName);
            await Console.Out.WriteLineAsync($"backup written to {parse.GetValue(output)!.FullName}");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command BuildRestore()
    {
        var from = new Option<FileInfo>("--from") { Description = "The backup file (it must open with the wallet's passphrase).", Required = true };
        var command = new Command("restore", "Merge a backup into the wallet (or restore it as a new wallet): nothing is counted twice, spent tokens never come back.") { from };
        command.SetAction(async (parse, ct) =>
        {
            var path = WalletPath(parse);
            var backup = parse.GetValue(from)!.FullName;
            return await RunAsync(async () =>
            {
                if (!File.Exists(backup))
                {
                    return Usage($"no backup at {backup}");
                }

                if (!TryPassphrase(confirm: false, out var passphrase, out var error))
                {
                    return Usage(error);
                }

                UserWallet wallet;
                if (File.Exists(path))
                {
                    wallet = await UserWallet.OpenAsync(path, passphrase);
                }
                else
                {
                    // A new wallet with the backup's own Argon2id cost (checked to open first: a wrong passphrase creates nothing).
                    KdfParameters kdf;
                    await using (var probe = await UserWallet.OpenAsync(backup, passphrase))
                    {
                        kdf = probe.Kdf;
                    }

                    wallet = await UserWallet.CreateAsync(path, passphrase, kdf);
                }

                await using (wallet)
                {
                    var result = wallet.Restore(backup, passphrase);
                    await Console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                        $"restored {result.CardsAdded} cards, {result.BatchesAdded} batches in flight, {result.TokensAdded} tokens ({result.TokensSkipped} already here or spent), {result.QueuesAdded} queues"));
                    return ExitCodes.Ok;
                }
            });
        });
        return command;
    }

    // ---- shared --------------------------------------------------------------------------------------

    private static string WalletPath(ParseResult parse) =>
        parse.GetValue(WalletOption)?.FullName
        ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify), "sxl", "wallet.sxlw");

    /// <summary>SXL_WALLET_PASSPHRASE, else a prompt without echo (asked twice for a new wallet).</summary>
    private static bool TryPassphrase(bool confirm, out string passphrase, out string error)
    {
        error = string.Empty;
        passphrase = Environment.GetEnvironmentVariable(PassphraseVariable) ?? string.Empty;
        if (passphrase.Length > 0)
        {
            return true;
        }

        if (Console.IsInputRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
        {
            error = $"no passphrase: set {PassphraseVariable} or run in a terminal";
            return false;
        }

        passphrase = AnsiConsole.Prompt(new TextPrompt<string>("Wallet passphrase:").Secret());
        if (confirm && AnsiConsole.Prompt(new TextPrompt<string>("Again:").Secret()) != passphrase)
        {
            error = "the passphrases differ";
            return false;
        }

        return true;
    }

    internal static async Task<int> WithWalletAsync(ParseResult parse, Func<UserWallet, Task<int>> action)
    {
        var path = WalletPath(parse);
        return await RunAsync(async () =>
        {
            if (!File.Exists(path))
            {
                return Failed($"no wallet at {path}: create one with `sxl wallet init`");
            }

            if (!TryPassphrase(confirm: false, out var passphrase, out var error))
            {
                return Usage(error);
            }

            await using var wallet = await UserWallet.OpenAsync(path, passphrase);
            return await action(wallet);
        });
    }

    /// <summary>Wallet refusals print their message (never a secret): bad input exits 2, anything else 1.</summary>
    private static async Task<int> RunAsync(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (WalletException e)
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            return e.Error is WalletError.InvalidInput or WalletError.WeakPassphrase or WalletError.InvalidKdfParameters ? ExitCodes.Usage : ExitCodes.Failed;
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("cancelled");
            return ExitCodes.Failed;
        }
    }

    private static string Host(string relay) => PinnedAddress.TryParse(relay, out var address, out _) ? $"{address.Host}:{address.Port}" : relay;

    private static string Until(UserWallet wallet, DateTimeOffset due)
    {
        var left = due - wallet.Time.GetUtcNow();
        return left <= TimeSpan.Zero ? "now" : left.TotalHours >= 1 ? $"{(int)left.TotalHours}h{left.Minutes:D2}m" : left.TotalMinutes >= 1 ? $"{(int)left.TotalMinutes}m{left.Seconds:D2}s" : $"{Math.Ceiling(left.TotalSeconds)}s";
    }

    private static int Usage(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        return ExitCodes.Usage;
    }

    private static int Failed(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        return ExitCodes.Failed;
    }
}
