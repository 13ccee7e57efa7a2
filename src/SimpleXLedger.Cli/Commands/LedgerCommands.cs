using System.CommandLine;
using System.Globalization;
using System.Numerics;
using System.Text.Json;
using Nethereum.Hex.HexConvertors.Extensions;
using Nethereum.Util;
using SimpleXLedger.Chain;
using SimpleXLedger.Chain.Accounts;
using SimpleXLedger.Chain.Contracts;
using SimpleXLedger.Chain.Services;
using SimpleXLedger.Net;
using Spectre.Console;

namespace SimpleXLedger.Cli.Commands;

/// <summary><c>sxl ledger …</c>: deploy the escrow ledger and show its state.</summary>
internal static class LedgerCommands
{
    public static Command Build()
    {
        var ledger = new Command("ledger", "The on-chain escrow ledger: deploy it, show its parameters, balances and invariant.");
        ledger.Subcommands.Add(BuildDeploy());
        ledger.Subcommands.Add(BuildShow());
        return ledger;
    }

    private static Option<string> RpcOption() => new("--rpc")
    {
        Description = "JSON-RPC endpoint of the chain, e.g. http://127.0.0.1:8545.",
        Required = true,
    };

    private static Command BuildDeploy()
    {
        var rpc = RpcOption();
        var key = new Option<FileInfo>("--key")
        {
            Description = "File holding the deployer's Ethereum private key (hex, mode 0600). It pays for the deployment.",
            Required = true,
        };
        var devnet = new Option<bool>("--devnet")
        {
            Description = "Dev-chain parameters: windows of seconds, and a TestStablecoin deployed (owned by the deployer) unless --token is given.",
        };
        var token = new Option<string?>("--token") { Description = "The ERC-20 held in escrow (required without --devnet)." };
        var price = new Option<string?>("--credit-price") { Description = "Token units per credit (default: 10000 on a devnet)." };
        var governance = new Option<string?>("--governance") { Description = "Governance address (default: the deployer)." };
        var issuer = new Option<string?>("--issuer") { Description = "Issuer address (default: the deployer)." };
        var clearing = new Option<string?>("--clearing-house") { Description = "Clearing-house address (default: the deployer)." };
        var feeRecipient = new Option<string?>("--fee-recipient") { Description = "Fee recipient (default: the deployer)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of lines." };
        var command = new Command("deploy", "Deploy a ledger (with its key registry) and print their addresses.")
        {
            rpc, key, devnet, token, price, governance, issuer, clearing, feeRecipient, json,
        };
        command.SetAction(async (parse, ct) =>
        {
            var isDevnet = parse.GetValue(devnet);
            var tokenAddress = parse.GetValue(token);
            if (!isDevnet && tokenAddress is null)
            {
                return Usage("--token is required without --devnet");
            }

            BigInteger? creditPrice = null;
            if (parse.GetValue(price) is { } priceText)
            {
                if (!BigInteger.TryParse(priceText, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) || parsed.IsZero)
                {
                    return Usage("--credit-price must be a positive whole number of token units");
                }

                creditPrice = parsed;
            }

            if (!isDevnet && creditPrice is null)
            {
                return Usage("--credit-price is required without --devnet");
            }

            foreach (var (name, value) in new[] { ("--token", tokenAddress), ("--governance", parse.GetValue(governance)), ("--issuer", parse.GetValue(issuer)), ("--clearing-house", parse.GetValue(clearing)), ("--fee-recipient", parse.GetValue(feeRecipient)) })
            {
                if (value is not null && !AddressUtil.Current.IsValidEthereumAddressHexFormat(value))
                {
                    return Usage($"{name} is not an Ethereum address");
                }
            }

            if (!TryReadKey(parse.GetValue(key)!, out var ethKey))
            {
                return ExitCodes.Usage;
            }

            return await ChainAsync(async () =>
            {
                using var connection = await ChainConnection.ConnectAsync(parse.GetValue(rpc)!, ethKey, ct: ct);
                var me = connection.Address;
                tokenAddress ??= await LedgerClient.DeployTestStablecoinAsync(connection, me, ct);
                var roles = (Gov: parse.GetValue(governance) ?? me, Issuer: parse.GetValue(issuer) ?? me, Clearing: parse.GetValue(clearing) ?? me, Fee: parse.GetValue(feeRecipient) ?? me);
                var parameters = isDevnet
                    ? LedgerParameters.Devnet(tokenAddress, roles.Gov, roles.Issuer, roles.Clearing, roles.Fee)
                    : LedgerParameters.Production(tokenAddress, creditPrice!.Value, roles.Gov, roles.Issuer, roles.Clearing, roles.Fee);
                if (creditPrice is { } p)
                {
                    parameters = parameters with { CreditPrice = p };
                }

                var deployed = await LedgerClient.DeployAsync(connection, parameters, ct);
                if (parse.GetValue(json))
                {
                    Console.Out.WriteLine(JsonSerializer.Serialize(new
                    {
                        ledger = deployed.Ledger,
                        keyRegistry = deployed.KeyRegistry,
                        token = deployed.Token,
                        transaction = deployed.Transaction.Hash,
                        gasUsed = deployed.Transaction.GasUsed,
                        chainId = connection.ChainId.ToString(CultureInfo.InvariantCulture),
                    }));
                }
                else
                {
                    Console.Out.WriteLine($"ledger {deployed.Ledger}");
                    Console.Out.WriteLine($"key-registry {deployed.KeyRegistry}");
                    Console.Out.WriteLine($"token {deployed.Token}");
                    Console.Out.WriteLine($"transaction {deployed.Transaction.Hash}");
                }

                return ExitCodes.Ok;
            });
        });
        return command;
    }

    private static Command BuildShow()
    {
        var rpc = RpcOption();
        var ledgerAddress = new Option<string>("--ledger") { Description = "The ledger's address.", Required = true };
        var command = new Command("show", "Show a ledger's parameters, roles, balances and whether its escrow invariant holds (exit 1 if not).")
        {
            rpc, ledgerAddress,
        };
        command.SetAction(async (parse, ct) =>
        {
            var address = parse.GetValue(ledgerAddress)!;
            if (!AddressUtil.Current.IsValidEthereumAddressHexFormat(address))
            {
                return Usage("--ledger is not an Ethereum address");
            }

            return await ChainAsync(async () =>
            {
                using var connection = await ChainConnection.ConnectAsync(parse.GetValue(rpc)!, ct: ct);
                var client = await LedgerClient.AttachAsync(connection, address, ct: ct);
                var info = await client.GetInfoAsync(ct);
                var accounts = await client.GetAccountsAsync(ct);
                var pause = await client.GetPauseAsync(ct);
                var key = await client.GetCurrentIssuingKeyAsync(ct);
                var holds = accounts.Holds && await client.InvariantHoldsAsync(ct);

                var parameters = new Table().Title("Ledger").AddColumn("parameter").AddColumn("value");
                void Row(string name, object value) => parameters.AddRow(Markup.Escape(name), Markup.Escape(Convert.ToString(value, CultureInfo.InvariantCulture) ?? ""));
                Row("ledger", info.Ledger);
                Row("key registry", info.KeyRegistry);
                Row("token", info.Token);
                Row("credit price", info.CreditPrice);
                Row("vendor share (bps)", info.VendorShareBps);
                Row("fee (bps)", info.FeeBps);
                Row("operator rate", info.OperatorRate);
                Row("fee recipient", info.FeeRecipient);
                Row("governance", info.Governance);
                Row("issuer", info.Issuer);
                Row("clearing house", info.ClearingHouse);
                Row("key delay / issue / redeem (s)", $"{info.MinKeyDelay} / {info.MinIssueWindow} / {info.MinRedeemWindow}");
                Row("dispute / answer / post deadline (s)", $"{info.DisputeWindow} / {info.AnswerWindow} / {info.PostDeadline}");
                Row("min bond / deposit / penalty", $"{info.MinBond} / {info.DisputeDeposit} / {info.DisputePenalty}");
                Row("role delay / max pause / cooldown (s)", $"{info.RoleChangeDelay} / {info.MaxPause} / {info.PauseCooldown}");
                Row("next epoch", await client.NextEpochAsync(ct));
                Row("paused", pause.Paused ? $"yes, until {pause.End}" : "no");
                Row("issuing key", key is null ? "none" : $"{key.KeyId.ToHex(true)} until {key.IssueUntil}");
                Row("credits funded / tokens issued", $"{await client.CreditsFundedAsync(ct)} / {await client.TotalIssuedAsync(ct)}");
                Row("clearing-house bond", await client.BondOfAsync(info.ClearingHouse, ct));

                var balances = new Table().Title("Escrow").AddColumn("term").AddColumn(new TableColumn("amount").RightAligned());
                void Amount(string name, BigInteger value) => balances.AddRow(Markup.Escape(name), value.ToString(CultureInfo.InvariantCulture));
                Amount("escrow received", accounts.EscrowReceived);
                Amount("vendor balances", accounts.VendorBalances);
                Amount("vendor withdrawals", accounts.VendorWithdrawn);
                Amount("claims paid", accounts.ClaimsPaid);
                Amount("allocated, unclaimed", accounts.AllocatedUnclaimed);
                Amount("unallocated", accounts.Unallocated);
                Amount("bonds (apart)", accounts.BondsHeld);
                Amount("dispute deposits (apart)", accounts.DepositsHeld);
                Amount("token balance", accounts.TokenBalance);
                balances.AddRow("[bold]invariant[/]", holds ? "[green]holds[/]" : "[red]BROKEN[/]");

                AnsiConsole.Write(parameters);
                AnsiConsole.Write(balances);
                return holds ? ExitCodes.Ok : ExitCodes.Failed;
            });
        });
        return command;
    }

    private static bool TryReadKey(FileInfo file, out Nethereum.Signer.EthECKey key)
    {
        try
        {
            key = EthereumKeyFile.Read(file.FullName);
            return true;
        }
        catch (KeyFileException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            key = null!;
            return false;
        }
    }

    private static int Usage(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        return ExitCodes.Usage;
    }

    /// <summary>Runs a chain operation; refusals and unreachable nodes become one clear line and exit 1.</summary>
    private static async Task<int> ChainAsync(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (LedgerRevertException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
        }
        catch (HttpRequestException e)
        {
            Console.Error.WriteLine($"error: the chain is unreachable: {e.Message}");
        }
        catch (Nethereum.JsonRpc.Client.RpcClientUnknownException e)
        {
            Console.Error.WriteLine($"error: the chain is unreachable: {e.InnerException?.Message ?? e.Message}");
        }
        catch (Nethereum.JsonRpc.Client.RpcResponseException e)
        {
            Console.Error.WriteLine($"error: the chain refused: {e.RpcError?.Message ?? e.Message}");
        }
        catch (InvalidOperationException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
        }

        return ExitCodes.Failed;
    }
}
