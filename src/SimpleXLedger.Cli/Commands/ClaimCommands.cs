using System.CommandLine;
using System.Globalization;
using System.Numerics;
using SimpleXLedger.Chain.Accounts;
using SimpleXLedger.Chain.Merkle;
using SimpleXLedger.Chain.Services;
using SimpleXLedger.Clearing.Client;
using SimpleXLedger.Net;
using SimpleXLedger.Operator.Payouts;

namespace SimpleXLedger.Cli.Commands;

/// <summary><c>sxl claim --epoch n --payee address</c>: claims a payee's leaf by hand (anyone may send it; the money goes to the payee).</summary>
internal static class ClaimCommands
{
    public static Command Build()
    {
        var epoch = new Option<ulong>("--epoch") { Description = "The epoch.", Required = true };
        var payee = new Option<string>("--payee") { Description = "The payee whose leaf is claimed.", Required = true };
        var clearing = new Option<string>("--clearing") { Description = "The clearing house's address (its published leaf list).", Required = true };
        var rpc = new Option<string>("--rpc") { Description = "Ethereum JSON-RPC URL.", Required = true };
        var ledger = new Option<string>("--ledger") { Description = "The ledger contract address.", Required = true };
        var key = new Option<FileInfo>("--key") { Description = "The sender's Ethereum key file (pays the gas).", Required = true };
        var command = new Command("claim", "Claim a payee's payout of a posted epoch once its dispute window closed: the leaf and proof come from the published list, checked against the anchored root.")
        {
            epoch, payee, clearing, rpc, ledger, key,
        };
        command.SetAction(async (parse, ct) =>
        {
            if (!PinnedAddress.TryParse(parse.GetValue(clearing), out var address, out var addressError) || !ClearingProtocol.IsAddress(parse.GetValue(payee)!))
            {
                await Console.Error.WriteLineAsync($"error: {addressError ?? "--payee must be an address"}");
                return ExitCodes.Usage;
            }

            try
            {
                var n = parse.GetValue(epoch);
                using var chain = await ChainConnection.ConnectAsync(parse.GetValue(rpc)!, EthereumKeyFile.Read(parse.GetValue(key)!.FullName));
                var client = await LedgerClient.AttachAsync(chain, parse.GetValue(ledger)!);
                using var settlement = SettlementClient.Connect(address!);
                var list = await settlement.GetEpochAsync(n, ct);
                var onChain = await client.GetEpochAsync(n, ct);
                if (list is null || !onChain.Live)
                {
                    await Console.Error.WriteLineAsync($"error: epoch {n} is not live on the ledger or has no published list");
                    return ExitCodes.Failed;
                }

                var tree = PayoutTree.Build(list.Leaves.Select(l => new PayoutLeaf(n, l.Payee, BigInteger.Parse(l.Amount, NumberStyles.None, CultureInfo.InvariantCulture))));
                if (!tree.Root.AsSpan().SequenceEqual(onChain.Root))
                {
                    await Console.Error.WriteLineAsync("error: the published list does not rebuild the anchored root");
                    return ExitCodes.Failed;
                }

                var who = parse.GetValue(payee)!;
                if (!tree.HasLeaf(who))
                {
                    await Console.Error.WriteLineAsync($"error: {who} has no leaf in epoch {n}");
                    return ExitCodes.Failed;
                }

                var leaf = tree.LeafOf(who);
                var tx = await client.ClaimAsync(n, leaf.Payee, leaf.Amount, tree.ProofOf(leaf.Payee), ct);
                await Console.Out.WriteLineAsync(tx is null ? $"already claimed: {leaf.Amount}" : $"claimed {leaf.Amount} in {tx.Hash}");
                return ExitCodes.Ok;
            }
            catch (SimpleXLedger.Chain.Contracts.LedgerRevertException e)
            {
                await Console.Error.WriteLineAsync($"error: the ledger refused: {e.ErrorName}");
                return ExitCodes.Failed;
            }
            catch (Exception e) when (e is KeyFileException or IOException or InvalidOperationException or Grpc.Core.RpcException)
            {
                await Console.Error.WriteLineAsync($"error: {e.Message}");
                return ExitCodes.Failed;
            }
        });
        return command;
    }
}
