using System.Numerics;
using SimpleXLedger.Chain.Services;

namespace SimpleXLedger.Chain.Devnet;

/// <summary>A ledger deployed on a dev chain, with its parameters and the accounts that play each role.</summary>
public sealed record DevnetDeployment(string RpcUrl, LedgerDeployment Contracts, LedgerParameters Parameters)
{
    public string Ledger => Contracts.Ledger;

    public string KeyRegistry => Contracts.KeyRegistry;

    public string Token => Contracts.Token;
}

/// <summary>
/// Sets up a ledger on a dev chain: deploys the test stablecoin and the ledger with devnet-length
/// windows (seconds), gives every dev account test dollars, registers the dev vendor and puts up the
/// clearing house's bond. Roles are the <see cref="DevAccounts"/>.
/// </summary>
public static class DevnetLedger
{
    /// <summary>Test dollars (6 decimals) minted to each dev account: 1,000,000.</summary>
    public static readonly BigInteger FundingPerAccount = BigInteger.Parse("1000000000000", System.Globalization.CultureInfo.InvariantCulture);

    public static async Task<DevnetDeployment> DeployAsync(string rpcUrl, Func<LedgerParameters, LedgerParameters>? adjust = null, CancellationToken ct = default)
    {
        using var deployer = await ChainConnection.ConnectAsync(rpcUrl, DevAccounts.Deployer.Key, ct: ct);
        var token = await LedgerClient.DeployTestStablecoinAsync(deployer, deployer.Address, ct);
        var parameters = LedgerParameters.Devnet(token, DevAccounts.Governance.Address, DevAccounts.Issuer.Address, DevAccounts.ClearingHouse.Address, DevAccounts.FeeRecipient.Address);
        if (adjust is not null)
        {
            parameters = adjust(parameters);
        }

        var contracts = await LedgerClient.DeployAsync(deployer, parameters, ct);
        var governance = await LedgerClient.AttachAsync(deployer, contracts.Ledger, ct: ct);
        foreach (var account in DevAccounts.All)
        {
            await governance.MintTestTokensAsync(account.Address, FundingPerAccount, ct);
        }

        await governance.RegisterVendorAsync(DevAccounts.Vendor.Address, ct);
        using var clearing = await ChainConnection.ConnectAsync(rpcUrl, DevAccounts.ClearingHouse.Key, ct: ct);
        await governance.With(clearing).DepositBondAsync(parameters.MinBond, ct);
        return new DevnetDeployment(rpcUrl, contracts, parameters);
    }
}
