using SimpleXLedger.Chain.Services;

namespace SimpleXLedger.Devnet.Network;

/// <summary>
/// Mines an empty block every interval, so the chain's clock follows the wall clock as on a real chain. Anvil mines
/// only when a transaction arrives; on an idle devnet block time would stand still, and every window measured in
/// block time (key usable after anchoring, epochs, dispute windows) would never pass.
/// </summary>
internal static class BlockTicker
{
    public static async Task RunAsync(string rpcUrl, TimeSpan interval, CancellationToken ct)
    {
        using var chain = await ChainConnection.ConnectAsync(rpcUrl, ct: ct);
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                try
                {
                    await chain.RpcAsync<string>("evm_mine");
                }
                catch (Exception e) when (e is Nethereum.JsonRpc.Client.RpcClientUnknownException or Nethereum.JsonRpc.Client.RpcClientTimeoutException or HttpRequestException)
                {
                    // Anvil is stopping (or busy): the next tick tries again.
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }
}
