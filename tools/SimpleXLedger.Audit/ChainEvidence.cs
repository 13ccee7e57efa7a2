using Nethereum.RPC.Eth.DTOs;
using SimpleXLedger.Chain.Contracts;
using SimpleXLedger.Chain.Services;
using SimpleXLedger.Devnet.Network;

namespace SimpleXLedger.Audit;

/// <summary>
/// What the chain tells anyone about issuance: every issued total the issuer anchored (IssuedAnchored: key, cumulative
/// count) with the time of its block. The adversary gets it as an operator-level attacker would (the chain is public).
/// </summary>
public static class ChainEvidence
{
    public static async Task<IReadOnlyList<ChainIssuance>> ReadIssuanceAsync(DevnetNetwork network, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(network);
        using var connection = await ChainConnection.ConnectAsync(network.RpcUrl, ct: ct);
        var ledger = await LedgerClient.AttachAsync(connection, network.Ledger, ct: ct);
        var page = await ledger.GetRegistryEventsAsync<IssuedAnchoredEvent>(0, confirmations: 1, ct);
        var blockTimes = new Dictionary<ulong, DateTimeOffset>();
        var issuance = new List<ChainIssuance>(page.Events.Count);
        foreach (var e in page.Events)
        {
            if (!blockTimes.TryGetValue(e.BlockNumber, out var at))
            {
                var block = await connection.ReadAsync(() => connection.Web3.Eth.Blocks.GetBlockWithTransactionsHashesByNumber.SendRequestAsync(new BlockParameter(e.BlockNumber)), ct);
                at = DateTimeOffset.FromUnixTimeSeconds((long)block.Timestamp.Value);
                blockTimes[e.BlockNumber] = at;
            }

            issuance.Add(new ChainIssuance(Convert.ToHexStringLower(e.Event.KeyId), e.Event.Cumulative, at));
        }

        return issuance;
    }
}
