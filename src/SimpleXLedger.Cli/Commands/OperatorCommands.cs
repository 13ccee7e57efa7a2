using System.CommandLine;
using Nethereum.Hex.HexConvertors.Extensions;
using Nethereum.Signer;
using SimpleXLedger.Chain.Accounts;
using SimpleXLedger.Clearing.Client;
using SimpleXLedger.Net;

namespace SimpleXLedger.Cli.Commands;

/// <summary><c>sxl operator …</c>: a relay operator's dealings with the clearing house.</summary>
internal static class OperatorCommands
{
    public static Command Build()
    {
        var op = new Command("operator", "A relay operator: its Ed25519 operator key and payout address at the clearing house.");
        op.Subcommands.Add(BuildRegister());
        foreach (var payouts in OperatorPayoutCommands.Build())
        {
            op.Subcommands.Add(payouts);
        }

        op.Subcommands.Add(OperatorDashboardCommand.Build());
        return op;
    }

    private static Command BuildRegister()
    {
        var clearing = new Option<string>("--clearing") { Description = "The clearing house's address, sxl://<certificate fingerprint>@host:port.", Required = true };
        var operatorKey = new Option<FileInfo>("--operator-key") { Description = "The operator's Ed25519 key file (PKCS#8 PEM); created (mode 0600) when missing.", Required = true };
        var payee = new Option<string>("--payee") { Description = "The payout address (0x…); --key must be its key.", Required = true };
        var key = new Option<FileInfo>("--key") { Description = "The payee's Ethereum key file (64 hex digits, mode 0600): it signs the registration (EIP-191).", Required = true };
        var command = new Command("register", "Register an operator key with its payee at a clearing house (idempotent). Prints the operator key on stdout.")
        {
            clearing, operatorKey, payee, key,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (!PinnedAddress.TryParse(parse.GetValue(clearing), out var address, out var addressError))
            {
                await Console.Error.WriteLineAsync($"error: --clearing: {addressError}");
                return ExitCodes.Usage;
            }

            var payeeAddress = parse.GetValue(payee)!;
            if (!ClearingProtocol.IsAddress(payeeAddress))
            {
                await Console.Error.WriteLineAsync("error: --payee must be an address, 0x and 40 hex digits");
                return ExitCodes.Usage;
            }

            try
            {
                var ethKey = EthereumKeyFile.Read(parse.GetValue(key)!.FullName);
                if (!string.Equals(ethKey.GetPublicAddress(), payeeAddress, StringComparison.OrdinalIgnoreCase))
                {
                    await Console.Error.WriteLineAsync($"error: the key in {parse.GetValue(key)!.FullName} is not the payee's ({payeeAddress})");
                    return ExitCodes.Usage;
                }

                using var opKey = OperatorKey.LoadOrCreate(parse.GetValue(operatorKey)!.FullName, out var created);
                if (created)
                {
                    await Console.Error.WriteLineAsync($"created operator key {parse.GetValue(operatorKey)!.FullName}");
                }

                using var client = await ClearingClient.ConnectAsync(address, cancellationToken);
                var message = client.RegistrationMessage(opKey, payeeAddress);
                var signature = new EthereumMessageSigner().EncodeUTF8AndSign(message, ethKey).HexToByteArray();
                var registered = await client.RegisterOperatorAsync(opKey, payeeAddress, signature, cancellationToken);
                await Console.Out.WriteLineAsync(opKey.PublicKeyHex);
                await Console.Error.WriteLineAsync(registered.Replayed
                    ? $"operator already registered with payee {registered.Payee} at {client.Info.ClearingHouse}"
                    : $"operator registered with payee {registered.Payee} at {client.Info.ClearingHouse}");
                return ExitCodes.Ok;
            }
            catch (Exception e) when (e is KeyFileException or OperatorKeyException or IOException)
            {
                await Console.Error.WriteLineAsync($"error: {e.Message}");
                return ExitCodes.Failed;
            }
            catch (ClearingException e)
            {
                await Console.Error.WriteLineAsync($"error: the clearing house refused ({e.Reason}): {e.Message}");
                return ExitCodes.Failed;
            }
        });
        return command;
    }
}
