using System.Globalization;
using Nethereum.RPC.Eth.DTOs;
using SimpleXLedger.Chain.Devnet;
using SimpleXLedger.Clearing.Tests.Support;
using SimpleXLedger.Testing;
using SimpleXLedger.Testing.Chain;
using SimpleXLedger.Testing.Observability;

namespace SimpleXLedger.Clearing.Tests.Settlement;

/// <summary>
/// <c>sxl clearing serve --metrics</c> on Anvil: the clearing house's account's gas balance against
/// <c>--gas-alarm-wei</c>, and its chain RPC errors by method, the same series as the operator's watcher.
/// </summary>
[Collection(AnvilCollection.Name)]
public sealed class ClearingChainMetricsTests(AnvilFixture anvil)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task The_clearing_houses_metrics_show_its_gas_balance_against_the_alarm_and_chain_rpc_errors()
    {
        using var chain = await ChainSetup.DeployAsync(anvil.RpcUrl);
        var directory = Directory.CreateTempSubdirectory("sxl-clearing-gas-").FullName;
        try
        {
            var key = ClearingProcess.WriteKeyFile(Path.Combine(directory, "clearing.key"), DevAccounts.ClearingHouse);
            // Read before the start: the clearing house reads its balance once before it prints its address.
            var balance = (await chain.Reader.Connection.Web3.Eth.GetBalance.SendRequestAsync(DevAccounts.ClearingHouse.Address, BlockParameter.CreateLatest())).Value;
            var alarm = balance + 1;
            var metrics = new Uri($"http://127.0.0.1:{FreePort.Next().ToString(CultureInfo.InvariantCulture)}");
            await using var serve = ChildProcess.Start(
                "dotnet",
                [RepositoryPaths.SxlDll, "clearing", "serve", "--data", Path.Combine(directory, "data"), "--grpc", "127.0.0.1:0", "--rpc", chain.Deployment.RpcUrl,
                    "--ledger", chain.Deployment.Ledger, "--key", key, "--devnet", "--epoch-seconds", "600", "--issuer-name", TestTokens.IssuerName,
                    "--metrics", $"127.0.0.1:{metrics.Port.ToString(CultureInfo.InvariantCulture)}", "--gas-alarm-wei", alarm.ToString(CultureInfo.InvariantCulture)]);
            await serve.WaitForLineAsync(l => l.StartsWith("sxl://", StringComparison.Ordinal), Wait);

            var scraped = await Scrape.MetricsAsync(metrics);
            Assert.Equal((double)balance, scraped.Sum("sxl_clearing_gas_balance_wei"));
            Assert.Equal((1, (double)alarm), (scraped.Sum("sxl_clearing_gas_balance_low"), scraped.Sum("sxl_clearing_gas_alarm_wei")));
            Assert.Equal(("gauge", "gauge", "counter", "counter"), (scraped.Types["sxl_clearing_gas_balance_wei"], scraped.Types["sxl_clearing_gas_balance_low"], scraped.Types["sxl_chain_rpc_errors_total"], scraped.Types["sxl_chain_reorgs_total"]));
            Assert.Equal(0, scraped.Sum("sxl_chain_rpc_errors_total"));
            Assert.DoesNotContain(DevAccounts.ClearingHouse.PrivateKeyHex.Replace("0x", string.Empty, StringComparison.Ordinal), serve.AllOutput, StringComparison.OrdinalIgnoreCase);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
