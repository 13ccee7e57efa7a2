using System.CommandLine;
using System.Globalization;
using System.Numerics;
using System.Text.Json;
using Nethereum.Contracts;
using Nethereum.Signer;
using Nethereum.Util;
using SimpleXLedger.Cards;
using SimpleXLedger.Chain.Accounts;
using SimpleXLedger.Chain.Contracts;
using SimpleXLedger.Chain.Services;
using SimpleXLedger.Net;
using Spectre.Console;

namespace SimpleXLedger.Cli.Commands;

/// <summary>
/// <c>sxl vendor …</c>: what a card vendor does: make card codes and the batch file for the issuer and the ledger,
/// fund a batch on the ledger and withdraw its share.
/// </summary>
internal static class VendorCommands
{
    public static Command Build()
    {
        var vendor = new Command("vendor", "Card vendors: make gift card codes and the batch file the issuer and the ledger take.");
        var cards = new Command("cards", "Gift card batches.");
        cards.Subcommands.Add(BuildGenerate());
        vendor.Subcommands.Add(cards);
        vendor.Subcommands.Add(BuildFund());
        vendor.Subcommands.Add(BuildWithdraw());
        return vendor;
    }

    private static Command BuildGenerate()
    {
        var vendorId = new Option<string>("--vendor") { Description = "The vendor id (its ledger address in production).", Required = true };
        var value = new Option<ulong>("--value") { Description = "Credits on each card (one credit = one token).", Required = true };
        var count = new Option<int>("--count") { Description = "How many cards.", Required = true };
        var output = new Option<DirectoryInfo>("--out") { Description = "Directory for the codes file and the batch file (created if missing).", Required = true };
        var step = new Option<ulong>("--denomination")
        {
            Description = "Card values must be multiples of this step (the issuer's; 100 on a real network).",
            DefaultValueFactory = _ => CardMint.DefaultDenomination,
        };
        var command = new Command("generate", "Make a batch of new gift cards: the codes (owner-only file, to sell) and a batch file with only their hashes, values and Merkle root (for the issuer and for funding on-chain).")
        {
            vendorId, value, count, output, step,
        };
        command.SetAction(parse =>
        {
            var credits = parse.GetValue(value);
            var n = parse.GetValue(count);
            var denomination = parse.GetValue(step);
            if (denomination == 0 || !Denomination.IsValid(credits, denomination))
            {
                Console.Error.WriteLine($"error: --value must be a positive multiple of {denomination} credits (the denomination step)");
                return ExitCodes.Usage;
            }

            if (n is < 1 or > CardMint.MaxCount)
            {
                Console.Error.WriteLine($"error: --count must be between 1 and {CardMint.MaxCount}");
                return ExitCodes.Usage;
            }

            var directory = parse.GetValue(output)!;
            directory.Create();
            var (codes, batch) = CardMint.Generate(parse.GetValue(vendorId)!, credits, n, denomination);
            var stem = batch.BatchIdHex[2..18];
            var codesPath = Path.Combine(directory.FullName, $"cards-{stem}.codes.txt");
            var batchPath = Path.Combine(directory.FullName, $"cards-{stem}.batch.json");
            try
            {
                CardMint.WriteCodesFile(codesPath, codes);
                CardBatchFile.Write(batchPath, batch);
            }
            catch (IOException e)
            {
                Console.Error.WriteLine($"error: cannot write the batch: {e.Message}");
                return ExitCodes.Failed;
            }

            Console.Out.WriteLine($"batch {batch.BatchIdHex}: {n} cards of {credits} credits ({batch.TotalCredits} in all), root {batch.RootHex}");
            Console.Out.WriteLine($"codes (keep secret, owner-only): {codesPath}");
            Console.Out.WriteLine($"batch file (for the issuer and for funding): {batchPath}");
            return ExitCodes.Ok;
        });
        return command;
    }

    // ---- fund and withdraw ---------------------------------------------------------------------------

    private static Option<string> RpcOption() => new("--rpc") { Description = "JSON-RPC endpoint of the chain, e.g. http://127.0.0.1:8545.", Required = true };

    private static Option<string> LedgerOption() => new("--ledger") { Description = "The ledger contract's address.", Required = true };

    private static Option<FileInfo> KeyOption(string description) => new("--key") { Description = description, Required = true };

    private static Option<bool> JsonOption() => new("--json") { Description = "Print one JSON object (also for refusals) instead of a table." };

    private static Command BuildFund()
    {
        var batchFile = new Option<FileInfo>("--batch") { Description = "The batch file made by `sxl vendor cards generate` (hashes, values and root; no codes).", Required = true };
        var rpc = RpcOption();
        var ledger = LedgerOption();
        var key = KeyOption("The vendor's Ethereum key file (64 hex digits, mode 0600): a registered vendor, the one the batch names; it pays the price.");
        var json = JsonOption();
        var command = new Command("fund", "Fund a card batch on the ledger: pays credits × the ledger's credit price from the vendor's account into escrow (approve, then fundBatch), commits the batch's Merkle root and credits the vendor's share to its ledger balance. A batch already funded by this vendor with the same root and credits is left alone and said so; nothing is ever paid twice.")
        {
            batchFile, rpc, ledger, key, json,
        };
        command.SetAction(async (parse, ct) => await RunAsync(parse.GetValue(json), async () =>
        {
            var batch = ReadBatch(parse.GetValue(batchFile)!);
            var ethKey = ReadKey(parse.GetValue(key)!);
            using var connection = await ChainConnection.ConnectAsync(parse.GetValue(rpc)!, ethKey, ct: ct);
            var client = await AttachAsync(connection, parse.GetValue(ledger)!, ct);
            return await LosingNonceRaceRetriedAsync(() => FundAsync(client, batch, ct));
        }));
        return command;
    }

    private static Command BuildWithdraw()
    {
        var rpc = RpcOption();
        var ledger = LedgerOption();
        var key = KeyOption("The vendor's Ethereum key file (64 hex digits, mode 0600): the balance goes to this account.");
        var json = JsonOption();
        var command = new Command("withdraw", "Take the vendor's whole balance on the ledger (its share of every card sold) to its account. With nothing owed it sends nothing and says so.")
        {
            rpc, ledger, key, json,
        };
        command.SetAction(async (parse, ct) => await RunAsync(parse.GetValue(json), async () =>
        {
            var ethKey = ReadKey(parse.GetValue(key)!);
            using var connection = await ChainConnection.ConnectAsync(parse.GetValue(rpc)!, ethKey, ct: ct);
            var client = await AttachAsync(connection, parse.GetValue(ledger)!, ct);
            return await LosingNonceRaceRetriedAsync(() => WithdrawAsync(client, ct));
        }));
        return command;
    }

    /// <summary>
    /// Runs a vendor operation again from its checks when another run with the same key sent a transaction with the
    /// nonce this one had taken (the node refuses it: nothing was sent). The checks then see what the other run did:
    /// the batch funded, the balance taken.
    /// </summary>
    private static async Task<VendorOutcome> LosingNonceRaceRetriedAsync(Func<Task<VendorOutcome>> operation)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await operation();
            }
            catch (Nethereum.JsonRpc.Client.RpcResponseException e) when (attempt < 3 && IsNonceRace(e.RpcError?.Message ?? e.Message))
            {
            }
        }
    }

    private static bool IsNonceRace(string message)
        => message.Contains("nonce too low", StringComparison.OrdinalIgnoreCase)
        || message.Contains("replacement transaction underpriced", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Funds after checking everything the contract would refuse, so a refusal sends nothing (no stray approval):
    /// the batch names this key's vendor, is not funded yet, the account is a registered vendor, the ledger is not
    /// paused and the account holds the price. The contract's own <c>BatchAlreadyFunded</c> is the final guard
    /// against a second payment (a concurrent or earlier run that funded it meanwhile).
    /// </summary>
    private static async Task<VendorOutcome> FundAsync(LedgerClient client, CardBatch batch, CancellationToken ct)
    {
        var me = client.Connection.Address;
        if (AddressUtil.Current.IsValidEthereumAddressHexFormat(batch.Vendor) && !AddressUtil.Current.AreAddressesTheSame(batch.Vendor, me))
        {
            throw new VendorRefusedException(VendorRefusal.WrongKey, $"the batch is made out to vendor {batch.Vendor}, but the key is {me}'s; fund it with that vendor's key");
        }

        if (await AlreadyFundedAsync(client, batch, me, ct) is { } done)
        {
            return done;
        }

        if (!await client.IsVendorAsync(me, ct))
        {
            throw new VendorRefusedException(VendorRefusal.NotAVendor, $"{me} is not a registered vendor on this ledger (governance registers vendors)");
        }

        var pause = await client.GetPauseAsync(ct);
        if (pause.Paused)
        {
            throw new VendorRefusedException(VendorRefusal.Paused, $"the ledger is paused until {pause.End.ToString(CultureInfo.InvariantCulture)} (unix time); fund the batch after that");
        }

        var price = await client.CreditPriceAsync(ct);
        var amount = price * batch.TotalCredits;
        var held = await client.TokenBalanceAsync(me, ct);
        if (held < amount)
        {
            throw new VendorRefusedException(VendorRefusal.InsufficientBalance, $"the batch costs {Units(amount)} token units ({batch.TotalCredits.ToString(CultureInfo.InvariantCulture)} credits × {Units(price)}), but {me} holds {Units(held)}");
        }

        ChainTransaction tx;
        try
        {
            tx = await client.FundBatchAsync(batch.BatchId, batch.Root, batch.TotalCredits, ct);
        }
        catch (LedgerRevertException e) when (e.ErrorName == "BatchAlreadyFunded")
        {
            return await AlreadyFundedAsync(client, batch, me, ct)
                ?? throw new VendorRefusedException(VendorRefusal.LedgerRefused, "the ledger says the batch is funded but shows no funding for it");
        }

        var funded = tx.Receipt.DecodeAllEvents<BatchFundedEvent>()
            .Single(e => AddressUtil.Current.AreAddressesTheSame(e.Log.Address, client.Ledger)).Event;
        return new VendorOutcome("funded", me)
        {
            Batch = batch,
            CreditPrice = price,
            Paid = funded.Amount,
            VendorShare = funded.VendorShare,
            Transaction = tx,
            TokenBalance = await client.TokenBalanceAsync(me, ct),
            VendorBalance = await client.VendorBalanceAsync(me, ct),
        };
    }

    /// <summary>The batch's funding on the ledger: null if none; "already funded" if it is this vendor's with the same root and credits; a refusal otherwise.</summary>
    private static async Task<VendorOutcome?> AlreadyFundedAsync(LedgerClient client, CardBatch batch, string me, CancellationToken ct)
    {
        var (vendor, credits, root) = await client.GetBatchAsync(batch.BatchId, ct);
        if (IsZeroAddress(vendor))
        {
            return null;
        }

        if (!AddressUtil.Current.AreAddressesTheSame(vendor, me) || credits != batch.TotalCredits || !root.AsSpan().SequenceEqual(batch.Root))
        {
            throw new VendorRefusedException(VendorRefusal.BatchConflict, $"batch {batch.BatchIdHex} is already funded on the ledger by {vendor} with {credits.ToString(CultureInfo.InvariantCulture)} credits and root 0x{Convert.ToHexStringLower(root)}, not as this file says; nothing was paid");
        }

        return new VendorOutcome("already-funded", me)
        {
            Batch = batch,
            CreditPrice = await client.CreditPriceAsync(ct),
            Paid = BigInteger.Zero,
            TokenBalance = await client.TokenBalanceAsync(me, ct),
            VendorBalance = await client.VendorBalanceAsync(me, ct),
        };
    }

    private static async Task<VendorOutcome> WithdrawAsync(LedgerClient client, CancellationToken ct)
    {
        var me = client.Connection.Address;
        var owed = await client.VendorBalanceAsync(me, ct);
        ChainTransaction? tx = null;
        var withdrawn = BigInteger.Zero;
        if (!owed.IsZero)
        {
            try
            {
                tx = await client.WithdrawVendorBalanceAsync(ct);
                withdrawn = tx.Receipt.DecodeAllEvents<VendorWithdrawalEvent>()
                    .Single(e => AddressUtil.Current.AreAddressesTheSame(e.Log.Address, client.Ledger)).Event.Amount;
            }
            catch (LedgerRevertException e) when (e.ErrorName == "NothingToWithdraw")
            {
                // Taken meanwhile by another run with the same key: nothing more to take.
            }
        }

        return new VendorOutcome(tx is null ? "nothing-to-withdraw" : "withdrawn", me)
        {
            Withdrawn = withdrawn,
            Transaction = tx,
            TokenBalance = await client.TokenBalanceAsync(me, ct),
            VendorBalance = await client.VendorBalanceAsync(me, ct),
        };
    }

    private static CardBatch ReadBatch(FileInfo file)
    {
        try
        {
            return CardBatchFile.Read(file.FullName);
        }
        catch (CardBatchException e)
        {
            throw new VendorRefusedException(VendorRefusal.BadBatchFile, $"batch file {file.FullName}: {e.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new VendorRefusedException(VendorRefusal.BadBatchFile, $"cannot read batch file {file.FullName}: {e.Message}");
        }
    }

    private static EthECKey ReadKey(FileInfo file)
    {
        try
        {
            return EthereumKeyFile.Read(file.FullName);
        }
        catch (KeyFileException e)
        {
            throw new VendorRefusedException(VendorRefusal.BadKeyFile, e.Message);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new VendorRefusedException(VendorRefusal.BadKeyFile, $"cannot read key file {file.FullName}: {e.GetType().Name}");
        }
    }

    private static async Task<LedgerClient> AttachAsync(ChainConnection connection, string ledger, CancellationToken ct)
    {
        if (!AddressUtil.Current.IsValidEthereumAddressHexFormat(ledger))
        {
            throw new VendorRefusedException(VendorRefusal.BadArgument, "--ledger is not an Ethereum address");
        }

        try
        {
            return await LedgerClient.AttachAsync(connection, ledger, ct: ct);
        }
        catch (InvalidOperationException e)
        {
            throw new VendorRefusedException(VendorRefusal.NoLedger, e.Message);
        }
        catch (Exception e) when (e is Nethereum.JsonRpc.Client.RpcResponseException || LedgerErrors.Translate(e) is not null)
        {
            throw new VendorRefusedException(VendorRefusal.NoLedger, $"the contract at {ledger} is not a ledger");
        }
    }

    /// <summary>Runs a vendor operation: prints its outcome, or one clear refusal with its code (exit 2 for bad input, 1 otherwise).</summary>
    private static async Task<int> RunAsync(bool json, Func<Task<VendorOutcome>> action)
    {
        VendorRefusedException refusal;
        try
        {
            var outcome = await action();
            Print(outcome, json);
            return ExitCodes.Ok;
        }
        catch (VendorRefusedException e)
        {
            refusal = e;
        }
        catch (LedgerRevertException e)
        {
            refusal = new VendorRefusedException(e.ErrorName switch
            {
                "NotRegisteredVendor" => VendorRefusal.NotAVendor,
                "ContractPaused" => VendorRefusal.Paused,
                "ERC20InsufficientBalance" => VendorRefusal.InsufficientBalance,
                "ERC20InsufficientAllowance" => VendorRefusal.InsufficientAllowance,
                _ => VendorRefusal.LedgerRefused,
            }, e.Message);
        }
        catch (HttpRequestException e)
        {
            refusal = new VendorRefusedException(VendorRefusal.ChainUnreachable, $"the chain is unreachable: {e.Message}");
        }
        catch (Nethereum.JsonRpc.Client.RpcClientUnknownException e)
        {
            refusal = new VendorRefusedException(VendorRefusal.ChainUnreachable, $"the chain is unreachable: {e.InnerException?.Message ?? e.Message}");
        }
        catch (Nethereum.JsonRpc.Client.RpcResponseException e)
        {
            refusal = new VendorRefusedException(VendorRefusal.LedgerRefused, $"the chain refused: {e.RpcError?.Message ?? e.Message}");
        }

        await Console.Error.WriteLineAsync($"error: {refusal.Message}");
        if (json)
        {
            await Console.Out.WriteLineAsync(JsonSerializer.Serialize(new { status = "refused", error = refusal.Code, message = refusal.Message }));
        }

        return refusal.IsUsage ? ExitCodes.Usage : ExitCodes.Failed;
    }

    private static void Print(VendorOutcome o, bool json)
    {
        if (json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(new
            {
                status = o.Status,
                vendor = o.Vendor,
                batchId = o.Batch?.BatchIdHex,
                cards = o.Batch?.Cards.Count,
                credits = o.Batch?.TotalCredits,
                creditPrice = Units(o.CreditPrice),
                paid = Units(o.Paid),
                vendorShare = Units(o.VendorShare),
                withdrawn = Units(o.Withdrawn),
                transaction = o.Transaction?.Hash,
                gasUsed = o.Transaction?.GasUsed,
                tokenBalance = Units(o.TokenBalance),
                vendorBalance = Units(o.VendorBalance),
            }));
            return;
        }

        var title = o.Status switch
        {
            "funded" => "Batch funded",
            "already-funded" => "Batch already funded: nothing paid",
            "withdrawn" => "Vendor balance withdrawn",
            _ => "Nothing to withdraw: nothing sent",
        };
        var table = new Table().Title(Markup.Escape(title)).AddColumn("item").AddColumn(new TableColumn("value").RightAligned());
        void Row(string name, string? value)
        {
            if (value is not null)
            {
                table.AddRow(Markup.Escape(name), Markup.Escape(value));
            }
        }

        Row("vendor", o.Vendor);
        Row("batch", o.Batch?.BatchIdHex);
        Row("cards / credits", o.Batch is { } b ? $"{b.Cards.Count.ToString(CultureInfo.InvariantCulture)} / {b.TotalCredits.ToString(CultureInfo.InvariantCulture)}" : null);
        Row("credit price (token units)", Units(o.CreditPrice));
        Row("paid into escrow", Units(o.Paid));
        Row("vendor share credited", Units(o.VendorShare));
        Row("withdrawn", Units(o.Withdrawn));
        Row("transaction", o.Transaction?.Hash);
        Row("gas used", o.Transaction?.GasUsed.ToString("N0", CultureInfo.InvariantCulture));
        Row("account token balance", Units(o.TokenBalance));
        Row("vendor balance on the ledger", Units(o.VendorBalance));
        AnsiConsole.Write(table);
    }

    private static string Units(BigInteger value) => value.ToString(CultureInfo.InvariantCulture);

    private static string? Units(BigInteger? value) => value?.ToString(CultureInfo.InvariantCulture);

    private static bool IsZeroAddress(string? address)
        => string.IsNullOrEmpty(address) || address.AsSpan(address.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? 2 : 0).TrimStart('0').IsEmpty;

    /// <summary>What a fund or withdraw run did (amounts in the token's smallest units).</summary>
    private sealed record VendorOutcome(string Status, string Vendor)
    {
        public CardBatch? Batch { get; init; }

        public BigInteger? CreditPrice { get; init; }

        public BigInteger? Paid { get; init; }

        public BigInteger? VendorShare { get; init; }

        public BigInteger? Withdrawn { get; init; }

        public ChainTransaction? Transaction { get; init; }

        public BigInteger TokenBalance { get; init; }

        public BigInteger VendorBalance { get; init; }
    }
}

/// <summary>Why a vendor command sent nothing (or nothing more).</summary>
internal enum VendorRefusal
{
    /// <summary>An option is malformed (usage).</summary>
    BadArgument,

    /// <summary>The key file is missing, unreadable, readable by others or not a key (usage).</summary>
    BadKeyFile,

    /// <summary>The batch file is missing, malformed or inconsistent (usage).</summary>
    BadBatchFile,

    ChainUnreachable,

    /// <summary>No ledger contract at the address.</summary>
    NoLedger,

    /// <summary>The batch names another vendor than the key's account.</summary>
    WrongKey,

    NotAVendor,

    /// <summary>The batch id is funded on the ledger with another vendor, root or total.</summary>
    BatchConflict,

    Paused,

    InsufficientBalance,

    InsufficientAllowance,

    LedgerRefused,
}

/// <summary>A vendor command refused before (or instead of) paying; the message names no secret.</summary>
internal sealed class VendorRefusedException : Exception
{
    public VendorRefusedException(VendorRefusal reason, string message)
        : base(message)
    {
        Reason = reason;
    }

    public VendorRefusedException()
    {
    }

    public VendorRefusedException(string message)
        : base(message)
    {
    }

    public VendorRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public VendorRefusal Reason { get; } = VendorRefusal.LedgerRefused;

    public bool IsUsage => Reason is VendorRefusal.BadArgument or VendorRefusal.BadKeyFile or VendorRefusal.BadBatchFile;

    /// <summary>The reason in kebab case, as the JSON output's <c>error</c>.</summary>
    public string Code => Reason switch
    {
        VendorRefusal.BadArgument => "bad-argument",
        VendorRefusal.BadKeyFile => "bad-key-file",
        VendorRefusal.BadBatchFile => "bad-batch-file",
        VendorRefusal.ChainUnreachable => "chain-unreachable",
        VendorRefusal.NoLedger => "no-ledger",
        VendorRefusal.WrongKey => "wrong-key",
        VendorRefusal.NotAVendor => "not-a-vendor",
        VendorRefusal.BatchConflict => "batch-conflict",
        VendorRefusal.Paused => "paused",
        VendorRefusal.InsufficientBalance => "insufficient-balance",
        VendorRefusal.InsufficientAllowance => "insufficient-allowance",
        _ => "ledger-refused",
    };
}
