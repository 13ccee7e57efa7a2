using System.Globalization;
using System.Numerics;
using System.Text.Json;
using SimpleXLedger.Cards;
using SimpleXLedger.Chain.Contracts;
using SimpleXLedger.Chain.Devnet;
using SimpleXLedger.Chain.Services;
using SimpleXLedger.Cli.Tests.Support;
using SimpleXLedger.Testing;
using SimpleXLedger.Testing.Chain;
using Xunit.Abstractions;

namespace SimpleXLedger.Cli.Tests.Vendor;

/// <summary>
/// <c>sxl vendor fund</c> and <c>sxl vendor withdraw</c> as the real program on a real ledger (Anvil): what is
/// paid, that nothing is ever paid or withdrawn twice, and that every bad input is refused with its code and
/// leaves the chain as it was.
/// </summary>
[Collection(AnvilCollection.Name)]
public sealed class VendorCommandTests(AnvilFixture anvil, ITestOutputHelper output) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sxl-vendor-").FullName;

    [Fact]
    public async Task Funding_pays_the_price_once_and_funding_again_pays_nothing()
    {
        var (deployment, reader) = await DeployAsync();
        var vendorKey = KeyFile("vendor.key", DevAccounts.Vendor);
        var batchFile = WriteBatch("batch.json", DevAccounts.Vendor.Address, cards: 3, credits: 100);
        var batch = CardBatchFile.Read(batchFile);
        var price = await reader.CreditPriceAsync();
        var before = await reader.TokenBalanceAsync(DevAccounts.Vendor.Address);
        var fundedBefore = await reader.CreditsFundedAsync();

        var first = await SxlAsync("vendor", "fund", "--batch", batchFile, "--rpc", anvil.RpcUrl, "--ledger", deployment.Ledger, "--key", vendorKey, "--json");
        Assert.True(first.Exit == 0, first.Output);
        var paid = price * 300;
        var share = paid * deployment.Parameters.VendorShareBps / 10_000;
        Assert.Equal("funded", first.Json.GetProperty("status").GetString());
        Assert.Equal(Units(paid), first.Json.GetProperty("paid").GetString());
        Assert.Equal(Units(share), first.Json.GetProperty("vendorShare").GetString());
        Assert.Equal(Units(before - paid), first.Json.GetProperty("tokenBalance").GetString());
        Assert.Equal(before - paid, await reader.TokenBalanceAsync(DevAccounts.Vendor.Address));
        Assert.Equal(share, await reader.VendorBalanceAsync(DevAccounts.Vendor.Address));
        Assert.Equal(fundedBefore + 300, await reader.CreditsFundedAsync());
        var (onChainVendor, onChainCredits, onChainRoot) = await reader.GetBatchAsync(batch.BatchId);
        Assert.Equal(DevAccounts.Vendor.Address, onChainVendor, ignoreCase: true);
        Assert.Equal(300UL, onChainCredits);
        Assert.Equal(batch.Root, onChainRoot);

        // The same batch again, as a table and as JSON: said so, nothing sent, nothing paid.
        var again = await SxlAsync("vendor", "fund", "--batch", batchFile, "--rpc", anvil.RpcUrl, "--ledger", deployment.Ledger, "--key", vendorKey);
        Assert.True(again.Exit == 0, again.Output);
        Assert.Contains("already funded", again.Stdout, StringComparison.Ordinal);
        var againJson = await SxlAsync("vendor", "fund", "--batch", batchFile, "--rpc", anvil.RpcUrl, "--ledger", deployment.Ledger, "--key", vendorKey, "--json");
        Assert.True(againJson.Exit == 0, againJson.Output);
        Assert.Equal("already-funded", againJson.Json.GetProperty("status").GetString());
        Assert.Equal("0", againJson.Json.GetProperty("paid").GetString());
        Assert.Equal(JsonValueKind.Null, againJson.Json.GetProperty("transaction").ValueKind);
        Assert.Equal(before - paid, await reader.TokenBalanceAsync(DevAccounts.Vendor.Address));
        Assert.Equal(share, await reader.VendorBalanceAsync(DevAccounts.Vendor.Address));
        Assert.Equal(fundedBefore + 300, await reader.CreditsFundedAsync());
    }

    [Fact]
    public async Task Two_concurrent_runs_on_one_new_batch_pay_it_exactly_once()
    {
        var (deployment, reader) = await DeployAsync();
        var vendorKey = KeyFile("vendor.key", DevAccounts.Vendor);
        var batchFile = WriteBatch("batch.json", DevAccounts.Vendor.Address, cards: 2, credits: 100);
        var price = await reader.CreditPriceAsync();
        var before = await reader.TokenBalanceAsync(DevAccounts.Vendor.Address);

        var runs = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ =>
            SxlAsync("vendor", "fund", "--batch", batchFile, "--rpc", anvil.RpcUrl, "--ledger", deployment.Ledger, "--key", vendorKey, "--json")));

        // Whatever the interleaving (the second sees the funding, or the contract refuses it, or its transaction
        // loses the nonce race and it checks again), the batch is paid for once and both runs say what happened.
        Assert.Equal(before - (price * 200), await reader.TokenBalanceAsync(DevAccounts.Vendor.Address));
        Assert.Equal(200UL, await reader.CreditsFundedAsync());
        Assert.All(runs, r => Assert.True(r.Exit == 0, r.Output));
        Assert.Equal(["already-funded", "funded"], runs.Select(r => r.Json.GetProperty("status").GetString()).Order());
        Assert.Equal(price * 200, runs.Aggregate(BigInteger.Zero, (sum, r) => sum + BigInteger.Parse(r.Json.GetProperty("paid").GetString()!, CultureInfo.InvariantCulture)));
    }

    [Fact]
    public async Task Withdrawing_moves_the_vendor_balance_to_its_account_once()
    {
        var (deployment, reader) = await DeployAsync();
        var vendorKey = KeyFile("vendor.key", DevAccounts.Vendor);
        using (var connection = await ChainConnection.ConnectAsync(anvil.RpcUrl, DevAccounts.Vendor.Key))
        {
            var vendor = await LedgerClient.AttachAsync(connection, deployment.Ledger);
            var batch = CardBatchFile.Read(WriteBatch("batch.json", DevAccounts.Vendor.Address, cards: 4, credits: 100));
            await vendor.FundBatchAsync(batch.BatchId, batch.Root, batch.TotalCredits);
        }

        var share = await reader.VendorBalanceAsync(DevAccounts.Vendor.Address);
        Assert.True(share > 0);
        var held = await reader.TokenBalanceAsync(DevAccounts.Vendor.Address);
        var escrowBefore = await reader.GetAccountsAsync();

        var first = await SxlAsync("vendor", "withdraw", "--rpc", anvil.RpcUrl, "--ledger", deployment.Ledger, "--key", vendorKey, "--json");
        Assert.True(first.Exit == 0, first.Output);
        Assert.Equal("withdrawn", first.Json.GetProperty("status").GetString());
        Assert.Equal(Units(share), first.Json.GetProperty("withdrawn").GetString());
        Assert.Equal(held + share, await reader.TokenBalanceAsync(DevAccounts.Vendor.Address));
        Assert.Equal(BigInteger.Zero, await reader.VendorBalanceAsync(DevAccounts.Vendor.Address));
        var escrowAfter = await reader.GetAccountsAsync();
        Assert.Equal(escrowBefore.VendorWithdrawn + share, escrowAfter.VendorWithdrawn);
        Assert.True(await reader.InvariantHoldsAsync());

        foreach (var json in new[] { true, false })
        {
            var again = await SxlAsync(["vendor", "withdraw", "--rpc", anvil.RpcUrl, "--ledger", deployment.Ledger, "--key", vendorKey, .. json ? new[] { "--json" } : []]);
            Assert.True(again.Exit == 0, again.Output);
            if (json)
            {
                Assert.Equal("nothing-to-withdraw", again.Json.GetProperty("status").GetString());
                Assert.Equal("0", again.Json.GetProperty("withdrawn").GetString());
                Assert.Equal(JsonValueKind.Null, again.Json.GetProperty("transaction").ValueKind);
            }
            else
            {
                Assert.Contains("Nothing to withdraw", again.Stdout, StringComparison.Ordinal);
            }

            Assert.Equal(held + share, await reader.TokenBalanceAsync(DevAccounts.Vendor.Address));
            Assert.Equal(escrowAfter.VendorWithdrawn, (await reader.GetAccountsAsync()).VendorWithdrawn);
        }
    }

    [Fact]
    public async Task Bad_inputs_are_refused_with_their_code_and_change_nothing()
    {
        var (deployment, reader) = await DeployAsync();
        var vendorKey = KeyFile("vendor.key", DevAccounts.Vendor);
        var stranger = DevAccounts.Users[0];
        var poorVendor = DevAccounts.Users[1];
        var strangerKey = KeyFile("stranger.key", stranger);
        var poorKey = KeyFile("poor.key", poorVendor);

        // A funded batch whose id a conflicting file reuses; a registered vendor holding almost nothing.
        var funded = CardBatchFile.Read(WriteBatch("funded.json", DevAccounts.Vendor.Address, cards: 1, credits: 100));
        using (var governanceConnection = await ChainConnection.ConnectAsync(anvil.RpcUrl, DevAccounts.Governance.Key))
        using (var vendorConnection = await ChainConnection.ConnectAsync(anvil.RpcUrl, DevAccounts.Vendor.Key))
        using (var poorConnection = await ChainConnection.ConnectAsync(anvil.RpcUrl, poorVendor.Key))
        {
            var governance = await LedgerClient.AttachAsync(governanceConnection, deployment.Ledger);
            await governance.RegisterVendorAsync(poorVendor.Address);
            await (await LedgerClient.AttachAsync(vendorConnection, deployment.Ledger)).FundBatchAsync(funded.BatchId, funded.Root, funded.TotalCredits);
            var poor = await LedgerClient.AttachAsync(poorConnection, deployment.Ledger);
            await poor.TransferTokenAsync(stranger.Address, await poor.TokenBalanceAsync(poorVendor.Address) - 1);
        }

        var conflicting = Path.Combine(_directory, "conflicting.json");
        CardBatchFile.Write(conflicting, new CardBatch(funded.BatchId, DevAccounts.Vendor.Address, [new BatchCard(CardMint.Generate(DevAccounts.Vendor.Address, 200, 1, 100).Batch.Cards[0].Hash, 200)]));
        var good = WriteBatch("good.json", DevAccounts.Vendor.Address, cards: 1, credits: 100);
        var notJson = Path.Combine(_directory, "not-json.json");
        await File.WriteAllTextAsync(notJson, "this is not a batch file");
        var tampered = Path.Combine(_directory, "tampered.json");
        var goodText = await File.ReadAllTextAsync(good);
        Assert.Contains("\"totalCredits\": 100", goodText, StringComparison.Ordinal);
        await File.WriteAllTextAsync(tampered, goodText.Replace("\"totalCredits\": 100", "\"totalCredits\": 1", StringComparison.Ordinal));
        var openKey = KeyFile("open.key", DevAccounts.Vendor);
        Assert.False(OperatingSystem.IsWindows(), "these tests run where key files have Unix modes");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(openKey, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }

        var strangersBatch = WriteBatch("strangers.json", stranger.Address, cards: 1, credits: 100);
        var poorBatch = WriteBatch("poor.json", poorVendor.Address, cards: 1, credits: 100);
        var unreachable = $"http://127.0.0.1:{FreePort.Next().ToString(CultureInfo.InvariantCulture)}";

        var state = await ChainStateAsync(reader, deployment, DevAccounts.Vendor.Address, stranger.Address, poorVendor.Address);
        var cases = new (string[] Args, int Exit, string Code)[]
        {
            (["--batch", notJson, "--rpc", anvil.RpcUrl, "--ledger", deployment.Ledger, "--key", vendorKey], 2, "bad-batch-file"),
            (["--batch", tampered, "--rpc", anvil.RpcUrl, "--ledger", deployment.Ledger, "--key", vendorKey], 2, "bad-batch-file"),
            (["--batch", Path.Combine(_directory, "missing.json"), "--rpc", anvil.RpcUrl, "--ledger", deployment.Ledger, "--key", vendorKey], 2, "bad-batch-file"),
            (["--batch", good, "--rpc", anvil.RpcUrl, "--ledger", deployment.Ledger, "--key", Path.Combine(_directory, "missing.key")], 2, "bad-key-file"),
            (["--batch", good, "--rpc", anvil.RpcUrl, "--ledger", deployment.Ledger, "--key", openKey], 2, "bad-key-file"),
            (["--batch", good, "--rpc", anvil.RpcUrl, "--ledger", "not-an-address", "--key", vendorKey], 2, "bad-argument"),
            (["--batch", good, "--rpc", anvil.RpcUrl, "--ledger", stranger.Address, "--key", vendorKey], 1, "no-ledger"),
            (["--batch", good, "--rpc", anvil.RpcUrl, "--ledger", deployment.Token, "--key", vendorKey], 1, "no-ledger"),
            (["--batch", good, "--rpc", anvil.RpcUrl, "--ledger", deployment.Ledger, "--key", strangerKey], 1, "wrong-key"),
            (["--batch", strangersBatch, "--rpc", anvil.RpcUrl, "--ledger", deployment.Ledger, "--key", strangerKey], 1, "not-a-vendor"),
            (["--batch", poorBatch, "--rpc", anvil.RpcUrl, "--ledger", deployment.Ledger, "--key", poorKey], 1, "insufficient-balance"),
            (["--batch", conflicting, "--rpc", anvil.RpcUrl, "--ledger", deployment.Ledger, "--key", vendorKey], 1, "batch-conflict"),
            (["--batch", good, "--rpc", unreachable, "--ledger", deployment.Ledger, "--key", vendorKey], 1, "chain-unreachable"),
        };
        foreach (var (args, exit, code) in cases)
        {
            var run = await SxlAsync(["vendor", "fund", .. args, "--json"]);
            Assert.True(run.Exit == exit, $"{code}: exit {run.Exit}\n{run.Output}");
            Assert.Equal(code, run.Json.GetProperty("error").GetString());
            Assert.StartsWith("error: ", run.Stderr, StringComparison.Ordinal);
            Assert.DoesNotContain(DevAccounts.Vendor.PrivateKeyHex[2..], run.Output, StringComparison.OrdinalIgnoreCase);
        }

        foreach (var (args, exit, code) in new (string[] Args, int Exit, string Code)[]
        {
            (["--rpc", anvil.RpcUrl, "--ledger", deployment.Ledger, "--key", openKey], 2, "bad-key-file"),
            (["--rpc", anvil.RpcUrl, "--ledger", deployment.Token, "--key", vendorKey], 1, "no-ledger"),
        })
        {
            var run = await SxlAsync(["vendor", "withdraw", .. args, "--json"]);
            Assert.True(run.Exit == exit, $"{code}: exit {run.Exit}\n{run.Output}");
            Assert.Equal(code, run.Json.GetProperty("error").GetString());
        }

        // A missing option is a usage error from the parser itself.
        Assert.Equal(2, (await SxlAsync("vendor", "fund", "--rpc", anvil.RpcUrl, "--ledger", deployment.Ledger, "--key", vendorKey)).Exit);
        Assert.Equal(state, await ChainStateAsync(reader, deployment, DevAccounts.Vendor.Address, stranger.Address, poorVendor.Address));

        // While governance pauses the ledger a batch cannot be funded (and nothing is approved either).
        using (var governanceConnection = await ChainConnection.ConnectAsync(anvil.RpcUrl, DevAccounts.Governance.Key))
        {
            await (await LedgerClient.AttachAsync(governanceConnection, deployment.Ledger)).PauseAsync();
        }

        var paused = await SxlAsync("vendor", "fund", "--batch", good, "--rpc", anvil.RpcUrl, "--ledger", deployment.Ledger, "--key", vendorKey, "--json");
        Assert.True(paused.Exit == 1, paused.Output);
        Assert.Equal("paused", paused.Json.GetProperty("error").GetString());
        Assert.Equal(state, await ChainStateAsync(reader, deployment, DevAccounts.Vendor.Address, stranger.Address, poorVendor.Address));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Everything a vendor command could move: balances, allowances, funded credits and the escrow accounts.</summary>
    private static async Task<string> ChainStateAsync(LedgerClient reader, DevnetDeployment deployment, params string[] accounts)
    {
        var parts = new List<string> { $"funded={await reader.CreditsFundedAsync()}", (await reader.GetAccountsAsync()).ToString() };
        foreach (var a in accounts)
        {
            var allowance = await reader.Connection.QueryAsync<Erc20AllowanceFunction, BigInteger>(deployment.Token, new() { Owner = a, Spender = deployment.Ledger });
            parts.Add($"{a}: tokens={await reader.TokenBalanceAsync(a)} vendor={await reader.VendorBalanceAsync(a)} allowance={allowance}");
        }

        return string.Join('\n', parts);
    }

    private async Task<(DevnetDeployment Deployment, LedgerClient Reader)> DeployAsync()
    {
        var deployment = await DevnetLedger.DeployAsync(anvil.RpcUrl);
        var connection = await ChainConnection.ConnectAsync(anvil.RpcUrl);
        return (deployment, await LedgerClient.AttachAsync(connection, deployment.Ledger));
    }

    private string KeyFile(string name, DevAccount account) => DevKeyFile.Write(Path.Combine(_directory, name), account);

    private string WriteBatch(string name, string vendor, int cards, ulong credits)
    {
        var path = Path.Combine(_directory, name);
        CardBatchFile.Write(path, CardMint.Generate(vendor, credits, cards, 100).Batch);
        return path;
    }

    private static string Units(BigInteger value) => value.ToString(CultureInfo.InvariantCulture);

    private sealed record Run(int Exit, string Stdout, string Stderr)
    {
        public string Output => $"stdout:\n{Stdout}\nstderr:\n{Stderr}";

        /// <summary>The one JSON object a <c>--json</c> run prints (also on refusal).</summary>
        public JsonElement Json => JsonDocument.Parse(Stdout.Split('\n').Last(l => l.StartsWith('{'))).RootElement;
    }

    private async Task<Run> SxlAsync(params string[] args)
    {
        var result = await SxlProcess.RunAsync(args);
        var run = new Run(result.ExitCode, result.Stdout, result.Stderr);
        output.WriteLine($"sxl {string.Join(' ', args.Select(a => a.StartsWith(_directory, StringComparison.Ordinal) ? Path.GetFileName(a) : a))} → exit {result.ExitCode}\n{run.Output}");
        return run;
    }
}
