namespace SimpleXLedger.Chain.Devnet;

/// <summary>
/// Anvil plus a deployed, funded ledger in one object (what <c>sxl devnet</c> and end-to-end tests
/// start first). Disposing it stops Anvil.
/// </summary>
public sealed class DevnetChain : IAsyncDisposable
{
    private DevnetChain(AnvilNode node, DevnetDeployment deployment)
    {
        Node = node;
        Deployment = deployment;
    }

    public AnvilNode Node { get; }

    public DevnetDeployment Deployment { get; }

    public string RpcUrl => Node.RpcUrl;

    public static async Task<DevnetChain> StartAsync(AnvilOptions? options = null, Func<LedgerParameters, LedgerParameters>? adjust = null, CancellationToken ct = default)
    {
        var node = await AnvilNode.StartAsync(options, ct);
        try
        {
            var deployment = await DevnetLedger.DeployAsync(node.RpcUrl, adjust, ct);
            return new DevnetChain(node, deployment);
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync() => Node.DisposeAsync();
}
