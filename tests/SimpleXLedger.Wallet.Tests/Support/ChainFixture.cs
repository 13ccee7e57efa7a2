using SimpleXLedger.Chain.Devnet;
using SimpleXLedger.Chain.Services;
using SimpleXLedger.Tokens;

namespace SimpleXLedger.Wallet.Tests.Support;

/// <summary>A real Anvil chain and a real issuer (development mode: it does not read the chain; the tests anchor keys).</summary>
public sealed class ChainFixture : IAsyncLifetime
{
    public AnvilNode Anvil { get; private set; } = null!;

    public TestIssuer Issuer { get; private set; } = null!;

    public string RpcUrl => Anvil.RpcUrl;

    public async Task InitializeAsync()
    {
        Anvil = await AnvilNode.StartAsync();
        Issuer = await TestIssuer.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await Issuer.DisposeAsync();
        await Anvil.DisposeAsync();
    }

    /// <summary>A fresh ledger; when <paramref name="issuingKey"/> is given the issuer role anchors it and the chain's clock moves into its window.</summary>
    public async Task<DevnetDeployment> DeployAsync(TokenPublicKey? issuingKey)
    {
        var deployment = await DevnetLedger.DeployAsync(RpcUrl);
        if (issuingKey is null)
        {
            return deployment;
        }

        using var connection = await ChainConnection.ConnectAsync(RpcUrl, DevAccounts.Issuer.Key);
        var issuer = await LedgerClient.AttachAsync(connection, deployment.Ledger);
        var now = await issuer.LatestBlockTimeAsync();
        var from = now + deployment.Parameters.MinKeyDelay + 1;
        await issuer.AnchorKeyAsync(issuingKey.ExportSpki(), from, from + 3600, from + 7200);
        await connection.RpcAsync<object>("evm_increaseTime", (long)(from - now));
        await connection.RpcAsync<object>("evm_mine");
        var current = await issuer.GetCurrentIssuingKeyAsync();
        Assert.NotNull(current);
        Assert.Equal(issuingKey.KeyId.ToArray(), current.KeyId);
        return deployment;
    }
}

[CollectionDefinition(Name)]
public sealed class ChainCollection : ICollectionFixture<ChainFixture>
{
    public const string Name = "chain";
}
