using System.Globalization;
using System.Net;
using System.Numerics;
using Nethereum.RPC.Eth.DTOs;
using SimpleXLedger.Chain.Contracts;
using SimpleXLedger.Chain.Devnet;
using SimpleXLedger.Clearing.Client;
using SimpleXLedger.Clearing.Tests.Support;
using SimpleXLedger.Net;
using SimpleXLedger.Operator.Payouts;
using SimpleXLedger.Testing;
using SimpleXLedger.Testing.Browser;
using SimpleXLedger.Testing.Chain;
using SimpleXLedger.Testing.Observability;

namespace SimpleXLedger.Clearing.Tests.Settlement;

/// <summary>
/// <c>sxl operator dashboard</c> as a real process beside a real clearing house process on Anvil, loaded in a real
/// headless chromium: what a person sees on the page is what the chain and the operator's receipts say.
/// </summary>
[Collection(AnvilCollection.Name)]
public sealed class OperatorDashboardTests(AnvilFixture anvil)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);

    /// <summary>Scrapes until <paramref name="done"/> holds (the watcher acts on its own ticks), failing with its log.</summary>
    private static async Task<PrometheusText> ScrapeUntilAsync(Uri metrics, Func<PrometheusText, bool> done, ChildProcess process)
    {
        PrometheusText? last = null;
        await SettlementProcessTests.UntilAsync(
            async () =>
            {
                try
                {
                    last = await Scrape.MetricsAsync(metrics);
                }
                catch (HttpRequestException)
                {
                    return false;
                }

                return done(last);
            },
            process);
        return last!;
    }

    [Fact]
    public async Task The_watchers_metrics_and_the_dashboard_in_a_browser_show_the_chains_epochs_claims_and_balances_and_raise_alarms()
    {
        // A window long enough that the second epoch is still open when the first one's has closed.
        using var chain = await ChainSetup.DeployAsync(anvil.RpcUrl, p => p with { DisputeWindow = 1_800 });
        var (usableFrom, _) = await chain.AnchorKeyAsync(TestTokens.KeyA.PublicKey, credits: 100, issued: 20);
        await chain.MineAtAsync(usableFrom);
        var directory = Directory.CreateTempSubdirectory("sxl-dashboard-").FullName;
        try
        {
            var clearingKey = ClearingProcess.WriteKeyFile(Path.Combine(directory, "clearing.key"), DevAccounts.ClearingHouse);
            var payeeKey = ClearingProcess.WriteKeyFile(Path.Combine(directory, "payee.key"), DevAccounts.OperatorA);
            await using var serve = ChildProcess.Start(
                "dotnet",
                [RepositoryPaths.SxlDll, "clearing", "serve", "--data", Path.Combine(directory, "clearing"), "--grpc", "127.0.0.1:0", "--rpc", chain.Deployment.RpcUrl,
                    "--ledger", chain.Deployment.Ledger, "--key", clearingKey, "--devnet", "--epoch-seconds", "600", "--issuer-name", TestTokens.IssuerName, "--registry-max-age-ms", "0"]);
            var line = await serve.WaitForLineAsync(l => l.StartsWith("sxl://", StringComparison.Ordinal), Wait);
            Assert.True(PinnedAddress.TryParse(line, out var clearing, out _));
            var payee = DevAccounts.OperatorA.Address;
            var before = await chain.Reader.TokenBalanceAsync(payee);

            // Two epochs of receipts, each closed and anchored by the clearing house by itself.
            var receipts = Path.Combine(directory, ReceiptLog.DefaultFileName);
            var first = await SettlementProcessTests.RedeemAsync(clearing!, DevAccounts.OperatorA, 220, 4, receipts, chain);
            await chain.MineAtAsync(await chain.NowAsync() + 601);
            await SettlementProcessTests.UntilAsync(async () => (await chain.Reader.GetEpochAsync(first)).Posted, serve);
            var second = await SettlementProcessTests.RedeemAsync(clearing!, DevAccounts.OperatorA, 224, 3, receipts, chain);
            Assert.True(second > first);
            await chain.MineAtAsync(await chain.NowAsync() + 601);
            await SettlementProcessTests.UntilAsync(async () => (await chain.Reader.GetEpochAsync(second)).Posted, serve);

            // The first epoch's window closes (the second's is still open); the operator's watcher claims the first by itself.
            await chain.MineAtAsync((await chain.Reader.GetEpochAsync(first)).WindowClosesAt + 1);
            var watchMetrics = new Uri($"http://127.0.0.1:{FreePort.Next()}");
            var gasBefore = (await chain.Reader.Connection.Web3.Eth.GetBalance.SendRequestAsync(payee, BlockParameter.CreateLatest())).Value;
            await using var watch = ChildProcess.Start("dotnet",
            [
                RepositoryPaths.SxlDll, "operator", "watch", "--interval-ms", "200", "--clearing", clearing!.ToString(), "--receipts", receipts, "--rpc", chain.Deployment.RpcUrl,
                "--ledger", chain.Deployment.Ledger, "--key", payeeKey, "--metrics", $"127.0.0.1:{watchMetrics.Port}", "--gas-alarm-wei", gasBefore.ToString(CultureInfo.InvariantCulture),
            ]);
            await SettlementProcessTests.UntilAsync(async () => await chain.Reader.IsClaimedAsync(first, payee), watch);

            // What the chain and the receipts say, read here independently of the dashboard.
            var rate = await chain.Reader.OperatorRateAsync();
            var stored = ReceiptLog.ReadAll(receipts);
            var claimed = (await chain.Reader.GetEventsAsync<ClaimedEvent>(0)).Events.Where(c => string.Equals(c.Event.Payee, payee, StringComparison.OrdinalIgnoreCase)).ToList();
            var paid = Assert.Single(claimed);
            Assert.Equal((first, 4 * rate), (paid.Event.Epoch, paid.Event.Amount));
            var secondOnChain = await chain.Reader.GetEpochAsync(second);
            Assert.True(secondOnChain.Live && await chain.NowAsync() < secondOnChain.WindowClosesAt);
            var received = await chain.Reader.TokenBalanceAsync(payee) - before;
            var gas = (await chain.Reader.Connection.Web3.Eth.GetBalance.SendRequestAsync(payee, BlockParameter.CreateLatest())).Value;

            // The watcher's metrics: the epochs by state, its one claim and what it paid, its gas below the alarm (the claim cost gas).
            var scraped = await ScrapeUntilAsync(watchMetrics, m => m.Sum("sxl_operator_claims_total") >= 1 && m.Sum("sxl_operator_epochs", ("state", "WindowOpen")) == 1, watch);
            Assert.Equal(1, scraped.Sum("sxl_operator_claims_total"));
            Assert.Equal((double)paid.Event.Amount, scraped.Sum("sxl_operator_claimed_amount_total"));
            Assert.Equal((1, 1, 2), (scraped.Sum("sxl_operator_epochs", ("state", "Claimed")), scraped.Sum("sxl_operator_epochs", ("state", "WindowOpen")), scraped.Sum("sxl_operator_epochs")));
            Assert.Equal(0, scraped.Sum("sxl_operator_disputes_total"));
            Assert.True(scraped.Sum("sxl_operator_checks_total", ("outcome", "ok")) >= 1);
            Assert.Equal((double)gas, scraped.Sum("sxl_operator_gas_balance_wei"));
            Assert.True(gas < gasBefore);
            Assert.Equal((1, (double)gasBefore), (scraped.Sum("sxl_operator_gas_balance_low"), scraped.Sum("sxl_operator_gas_alarm_wei")));
            Assert.Equal(("gauge", "counter", "counter"), (scraped.Types["sxl_operator_epochs"], scraped.Types["sxl_operator_claims_total"], scraped.Types["sxl_chain_rpc_errors_total"]));
            await watch.KillAsync();

            // The relay it is told about is down (nothing listens there), and the gas alarm is set above the balance.
            var relay = new PinnedAddress(clearing.Fingerprint, "127.0.0.1", FreePort.Next());
            await using var dashboard = ChildProcess.Start("dotnet",
            [
                RepositoryPaths.SxlDll, "operator", "dashboard", "--listen", "127.0.0.1:0", "--clearing", clearing.ToString(), "--receipts", receipts,
                "--rpc", chain.Deployment.RpcUrl, "--ledger", chain.Deployment.Ledger, "--payee", payee, "--relay", relay.ToString(),
                "--tx-url", "https://explorer.example/tx/{tx}", "--gas-alarm-wei", (gas + 1).ToString(CultureInfo.InvariantCulture),
            ]);
            var url = new Uri(await dashboard.WaitForLineAsync(l => l.StartsWith("http://", StringComparison.Ordinal), Wait));

            await using var browser = await HeadlessBrowser.LaunchAsync();
            await using var page = await browser.NewPageAsync();
            await page.SetViewportAsync(new PuppeteerSharp.ViewPortOptions { Width = 1100, Height = 1300 });
            var response = await page.GoToAsync(url.ToString());
            Assert.Equal(HttpStatusCode.OK, response.Status);
            var screenshot = HeadlessBrowser.ScreenshotPath("operator-dashboard");
            await page.ScreenshotAsync(screenshot, new PuppeteerSharp.ScreenshotOptions { FullPage = true });
            Assert.True(new FileInfo(screenshot).Length > 10_000, "the screenshot is (nearly) empty");

            async Task<string?> Text(string selector) => await HeadlessBrowser.TextAsync(page, selector);
            static string N(BigInteger v) => v.ToString(CultureInfo.InvariantCulture);

            // The summary: the operator's own store and the chain.
            Assert.Equal(N(stored.Count), await Text("#receipts-held"));
            Assert.Equal("2", await Text("#receipts-held"));
            Assert.Equal(N(stored.Sum(r => r.Accepted)), await Text("#tokens-accepted"));
            Assert.Equal(N(received), await Text("#total-claimed"));
            Assert.Equal(N(4 * rate), await Text("#total-claimed"));
            Assert.Equal(N(gas), await Text("#gas-balance"));

            // Each epoch: tokens, owed, the posted leaf, its state, and the claim's transaction linked to the explorer.
            string Row(ulong epoch, string cell) => $"#epochs tr[data-epoch=\"{epoch}\"] td.{cell}";
            Assert.Equal(("4", N(4 * rate), N(paid.Event.Amount), "claimed"), (await Text(Row(first, "accepted")), await Text(Row(first, "owed")), await Text(Row(first, "leaf")), await Text(Row(first, "phase"))));
            Assert.Equal(paid.TransactionHash, await Text(Row(first, "claim")));
            Assert.Equal(
                "https://explorer.example/tx/" + paid.TransactionHash,
                await page.EvaluateFunctionAsync<string>("s => document.querySelector(s).href", Row(first, "claim") + " a"));
            Assert.Equal(("3", N(3 * rate), N(3 * rate), "challengeable", nameof(EarningState.WindowOpen)),
                (await Text(Row(second, "accepted")), await Text(Row(second, "owed")), await Text(Row(second, "leaf")), await Text(Row(second, "phase")), await Text(Row(second, "state"))));
            Assert.Equal([N(paid.Event.Amount)], await HeadlessBrowser.TextsAsync(page, "#claims td.amount"));

            // The chart: one posted-leaf bar per epoch, carrying the leaf it draws, the taller for the larger leaf.
            var bars = await page.EvaluateExpressionAsync<string[]>("Array.from(document.querySelectorAll('#earnings-chart rect.bar-leaf')).map(r => r.dataset.epoch + ':' + r.dataset.value + ':' + r.getAttribute('height'))");
            Assert.Equal(2, bars.Length);
            Assert.Equal($"{first}:{N(4 * rate)}", string.Join(':', bars[0].Split(':')[..2]));
            Assert.Equal($"{second}:{N(3 * rate)}", string.Join(':', bars[1].Split(':')[..2]));
            Assert.True(double.Parse(bars[0].Split(':')[2], CultureInfo.InvariantCulture) > double.Parse(bars[1].Split(':')[2], CultureInfo.InvariantCulture));

            // Health and alarms: the clearing house serves, the relay does not, the gas is below its alarm.
            Assert.Equal("serving", await Text("#services tr[data-service=\"clearing house\"] td.health"));
            Assert.StartsWith("unreachable", await Text("#services tr[data-service=\"relay\"] td.health"), StringComparison.Ordinal);
            var alarms = await HeadlessBrowser.TextsAsync(page, "#alarms li");
            Assert.Contains(alarms, a => a.StartsWith("relay not serving", StringComparison.Ordinal));
            Assert.Contains(alarms, a => a.StartsWith("gas balance low", StringComparison.Ordinal));
            Assert.Equal(2, alarms.Length);

            // The clearing house goes away: the page says so, and still shows the chain's side.
            await serve.KillAsync();
            response = await page.ReloadAsync();
            Assert.Equal(HttpStatusCode.OK, response.Status);
            alarms = await HeadlessBrowser.TextsAsync(page, "#alarms li");
            Assert.Contains(alarms, a => a.StartsWith("clearing house not serving", StringComparison.Ordinal));
            Assert.Contains(alarms, a => a.StartsWith("clearing house unreachable", StringComparison.Ordinal));
            Assert.Equal("claimed", await Text(Row(first, "phase")));
            Assert.Equal(N(received), await Text("#total-claimed"));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }
}
