using System.Security.Cryptography;
using SimpleXLedger.Chain;
using SimpleXLedger.Chain.Devnet;
using SimpleXLedger.Chain.Services;
using SimpleXLedger.Tokens;

namespace SimpleXLedger.Clearing.Tests.Support;

/// <summary>
/// A fresh ledger on the shared Anvil with the role clients a clearing-house test needs, windows long enough
/// that wall-clock time never closes one (the tests move the chain's clock themselves).
/// </summary>
public sealed class ChainSetup : IDisposable
{
    private readonly List<ChainConnection> _connections = [];

    private ChainSetup(DevnetDeployment deployment) => Deployment = deployment;

    public DevnetDeployment Deployment { get; }

    public LedgerClient Issuer { get; private set; } = null!;

    public LedgerClient Vendor { get; private set; } = null!;

    /// <summary>A client without a sending key (what the clearing house reads the registry with).</summary>
    public LedgerClient Reader { get; private set; } = null!;

    public ulong ChainId { get; private set; }

    public static async Task<ChainSetup> DeployAsync(string rpcUrl, Func<LedgerParameters, LedgerParameters>? adjust = null)
    {
        var deployment = await DevnetLedger.DeployAsync(rpcUrl, p =>
        {
            p = p with
            {
                MinKeyDelay = 100,
                MinIssueWindow = 1_000,
                MinRedeemWindow = 2_000,
            };
            return adjust?.Invoke(p) ?? p;
        });
        var setup = new ChainSetup(deployment);
        setup.Issuer = await setup.ClientAsync(DevAccounts.Issuer);
        setup.Vendor = await setup.ClientAsync(DevAccounts.Vendor);
        setup.Reader = await setup.ClientAsync(null);
        setup.ChainId = (ulong)setup.Reader.Connection.ChainId;
        return setup;
    }

    public async Task<LedgerClient> ClientAsync(DevAccount? account)
    {
        var connection = await ChainConnection.ConnectAsync(Deployment.RpcUrl, account?.Key);
        _connections.Add(connection);
        return await LedgerClient.AttachAsync(connection, Deployment.Ledger);
    }

    public LedgerParameters Parameters => Deployment.Parameters;

    public Task<ulong> NowAsync() => Reader.LatestBlockTimeAsync();

    /// <summary>Mines the next block at exactly <paramref name="time"/> (block time only moves forward).</summary>
    public async Task MineAtAsync(ulong time)
    {
        await Reader.Connection.RpcAsync<object>("evm_setNextBlockTimestamp", (long)time);
        await Reader.Connection.RpcAsync<object>("evm_mine");
    }

    /// <summary>The vendor funds <paramref name="credits"/>; the issuer anchors the key, usable soon, with <paramref name="issued"/> issued.</summary>
    public async Task<(ulong UsableFrom, ulong RedeemUntil)> AnchorKeyAsync(TokenPublicKey key, ulong credits, ulong issued)
    {
        var (usableFrom, _, redeemUntil) = await AnchorKeyWindowsAsync(key, credits, issued);
        return (usableFrom, redeemUntil);
    }

    /// <summary>
    /// As <see cref="AnchorKeyAsync"/>, redeemable <paramref name="redeemAfterIssue"/> seconds after its issuing window
    /// (at least the ledger's minimum), with all three window times.
    /// </summary>
    public async Task<(ulong UsableFrom, ulong IssueUntil, ulong RedeemUntil)> AnchorKeyWindowsAsync(TokenPublicKey key, ulong credits, ulong issued, ulong redeemAfterIssue = 0)
    {
        ArgumentNullException.ThrowIfNull(key);
        await Vendor.FundBatchAsync(RandomNumberGenerator.GetBytes(32), RandomNumberGenerator.GetBytes(32), credits);
        var usableFrom = await NowAsync() + Parameters.MinKeyDelay + 10;
        var issueUntil = usableFrom + Parameters.MinIssueWindow;
        var redeemUntil = issueUntil + Math.Max(Parameters.MinRedeemWindow, redeemAfterIssue);
        var (keyId, _) = await Issuer.AnchorKeyAsync(key.ExportSpki(), usableFrom, issueUntil, redeemUntil);
        Assert.Equal(key.KeyId.ToArray(), keyId);
        await Issuer.AnchorIssuedAsync(keyId, issued);
        return (usableFrom, issueUntil, redeemUntil);
    }

    public void Dispose()
    {
        foreach (var c in _connections)
        {
            c.Dispose();
        }
    }
}
