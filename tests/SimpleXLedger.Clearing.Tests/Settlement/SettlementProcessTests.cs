using System.Numerics;
using System.Text.Json;
using SimpleXLedger.Chain.Devnet;
using SimpleXLedger.Clearing.Client;
using SimpleXLedger.Clearing.Settlement;
using SimpleXLedger.Clearing.Tests.Support;
using SimpleXLedger.Net;
using SimpleXLedger.Testing;
using SimpleXLedger.Testing.Chain;

namespace SimpleXLedger.Clearing.Tests.Settlement;

/// <summary>
/// Settlement with real processes on Anvil: <c>sxl clearing serve</c> closing and defending epochs by itself,
/// <c>sxl operator watch</c> disputing and claiming by itself, and <c>sxl clearing epoch close</c> killed between
/// building and posting.
/// </summary>
[Collection(AnvilCollection.Name)]
public sealed class SettlementProcessTests(AnvilFixture anvil)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task A_clearing_house_process_that_underpays_loses_the_dispute_the_operators_watch_process_files_and_then_pays_in_full()
    {
        // Anvil stamps new blocks by the wall clock: the devnet's 10-second dispute window closed before a watcher
        // process started on a loaded machine (the ledger then refused its dispute). Two minutes leave room.
        using var chain = await ChainSetup.DeployAsync(anvil.RpcUrl, p => p with { DisputeWindow = 120 });
        var (usableFrom, _) = await chain.AnchorKeyAsync(TestTokens.KeyA.PublicKey, credits: 100, issued: 20);
        await chain.MineAtAsync(usableFrom);
        var directory = Directory.CreateTempSubdirectory("sxl-settle-proc-").FullName;
        try
        {
            var clearingKey = ClearingProcess.WriteKeyFile(Path.Combine(directory, "clearing.key"), DevAccounts.ClearingHouse);
            var payeeKey = ClearingProcess.WriteKeyFile(Path.Combine(directory, "payee.key"), DevAccounts.OperatorA);
            await using var serve = ChildProcess.Start(
                "dotnet",
                [RepositoryPaths.SxlDll, "clearing", "serve", "--data", Path.Combine(directory, "clearing"), "--grpc", "127.0.0.1:0", "--rpc", chain.Deployment.RpcUrl,
                    "--ledger", chain.Deployment.Ledger, "--key", clearingKey, "--devnet", "--epoch-seconds", "600", "--issuer-name", TestTokens.IssuerName, "--registry-max-age-ms", "0"],
                new Dictionary<string, string?> { [SettlementFault.EnvironmentVariable] = "underpay:" + DevAccounts.OperatorA.Address });
            var line = await serve.WaitForLineAsync(l => l.StartsWith("sxl://", StringComparison.Ordinal), Wait);
            Assert.True(PinnedAddress.TryParse(line, out var address, out _));

            // The operator registers and its relay redeems 4 tokens; the receipt goes where a relay keeps it.
            var receipts = Path.Combine(directory, ReceiptLog.DefaultFileName);
            // The receipt names the epoch (by block time, which a loaded machine can carry past the first one).
            var e = await RedeemAsync(address!, DevAccounts.OperatorA, 200, 4, receipts, chain);

            // The epoch ends by block time: the serving clearing house closes and anchors it by itself (underpaying A).
            await chain.MineAtAsync(await chain.NowAsync() + 601);
            await UntilAsync(async () => (await chain.Reader.GetEpochAsync(e)).Posted, serve);

            var rate = new BigInteger(7_500);
            var before = await chain.Reader.TokenBalanceAsync(DevAccounts.OperatorA.Address);
            string[] Watch() => [RepositoryPaths.SxlDll, "operator", "watch", "--once", "--clearing", address!.ToString(), "--receipts", receipts, "--rpc", chain.Deployment.RpcUrl, "--ledger", chain.Deployment.Ledger, "--key", payeeKey];
            await using (var watch = ChildProcess.Start("dotnet", Watch()))
            {
                Assert.Equal(0, await watch.WaitForExitAsync(Wait));
                var seen = JsonDocument.Parse(watch.StandardOutput.Single()).RootElement;
                Assert.Equal("ProvenUnderpaid", seen.GetProperty("state").GetString());
            }

            Assert.Equal(before + rate + chain.Parameters.DisputePenalty, await chain.Reader.TokenBalanceAsync(DevAccounts.OperatorA.Address));

            // The clearing house re-posts the full leaves (round 2) by itself; after the window the watcher claims them.
            await UntilAsync(async () => (await chain.Reader.GetEpochAsync(e)) is { Live: true, Round: 2 }, serve);
            var epoch = await chain.Reader.GetEpochAsync(e);
            Assert.True(epoch.Live);
            await chain.MineAtAsync(await chain.NowAsync() + chain.Parameters.DisputeWindow + 1);
            await using (var watch = ChildProcess.Start("dotnet", Watch()))
            {
                Assert.Equal(0, await watch.WaitForExitAsync(Wait));
                Assert.Equal("Claimed", JsonDocument.Parse(watch.StandardOutput.Single()).RootElement.GetProperty("state").GetString());
            }

            Assert.Equal(before + rate + chain.Parameters.DisputePenalty + (4 * rate), await chain.Reader.TokenBalanceAsync(DevAccounts.OperatorA.Address));
            Assert.True((await chain.Reader.GetAccountsAsync()).Holds);
            await serve.KillAsync();
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Epoch_close_killed_between_building_and_posting_posts_the_same_root_once_on_restart()
    {
        using var chain = await ChainSetup.DeployAsync(anvil.RpcUrl);
        var (usableFrom, _) = await chain.AnchorKeyAsync(TestTokens.KeyA.PublicKey, credits: 100, issued: 20);
        await chain.MineAtAsync(usableFrom);
        var registry = new SimpleXLedger.Clearing.Registry.ChainKeyRegistry(chain.Reader, TimeSpan.Zero);
        var identity = new SimpleXLedger.Clearing.Receipts.ClearingIdentity(DevAccounts.ClearingHouse.Key, chain.ChainId, chain.Deployment.Ledger);
        var copy = Directory.CreateTempSubdirectory("sxl-settle-crash-").FullName;
        try
        {
            var server = await SimpleXLedger.Clearing.Hosting.ClearingServer.StartAsync(
                new ClearingSettings { DataDirectory = copy, Devnet = true, EpochSeconds = 3600, IssuerName = TestTokens.IssuerName },
                new SimpleXLedger.Clearing.Hosting.ClearingEndpoint { Grpc = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0) },
                SimpleXLedger.Clearing.Storage.ClearingDatabase.Sqlite(Path.Combine(copy, SimpleXLedger.Clearing.Storage.ClearingDatabase.SqliteFileName)),
                registry,
                identity);
            ulong e;
            await using (server)
            {
                e = await RedeemAsync(server.Address, DevAccounts.OperatorB, 210, 3, null, chain);
            }

            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            await chain.MineAtAsync(await chain.NowAsync() + 3601);
            var keyFile = ClearingProcess.WriteKeyFile(Path.Combine(copy, "clearing.key"), DevAccounts.ClearingHouse);
            string[] close = [RepositoryPaths.SxlDll, "clearing", "epoch", "close", "--data", copy, "--rpc", chain.Deployment.RpcUrl, "--ledger", chain.Deployment.Ledger, "--key", keyFile, "--devnet", "--epoch-seconds", "3600"];
            await using (var crashed = ChildProcess.Start("dotnet", close, new Dictionary<string, string?> { ["SXL_CRASH_AT"] = EpochCloser.AfterBuildCrashPoint }))
            {
                Assert.Equal(137, await crashed.WaitForExitAsync(Wait));
            }

            var built = new LeafStore(copy).TryLoad(e);
            Assert.NotNull(built);
            Assert.Null(built.PostedTx);
            Assert.False((await chain.Reader.GetEpochAsync(e)).Posted);

            await using (var again = ChildProcess.Start("dotnet", close))
            {
                Assert.Equal(0, await again.WaitForExitAsync(Wait));
                var posted = JsonDocument.Parse(again.StandardOutput.Single()).RootElement;
                Assert.Equal((built.Root, false), (posted.GetProperty("root").GetString(), posted.GetProperty("alreadyPosted").GetBoolean()));
            }

            var onChain = await chain.Reader.GetEpochAsync(e);
            Assert.Equal(built.RootBytes, onChain.Root);
            Assert.Equal(((byte)1, built.TotalAmount), (onChain.Round, onChain.Unclaimed));
            Assert.Equal(e + 1, await chain.Reader.NextEpochAsync());

            // A third run finds nothing to do; show prints the anchored file.
            await using (var third = ChildProcess.Start("dotnet", close))
            {
                Assert.Equal(0, await third.WaitForExitAsync(Wait));
                Assert.Empty(third.StandardOutput);
            }

            await using var show = ChildProcess.Start("dotnet", [RepositoryPaths.SxlDll, "clearing", "epoch", "show", e.ToString(System.Globalization.CultureInfo.InvariantCulture), "--data", copy, "--json"]);
            Assert.Equal(0, await show.WaitForExitAsync(Wait));
            var shown = JsonDocument.Parse(string.Join('\n', show.StandardOutput)).RootElement;
            Assert.Equal(built.Root, shown.GetProperty("root").GetString());
            Assert.StartsWith("0x", shown.GetProperty("postedTx").GetString(), StringComparison.Ordinal);
            Assert.Equal(2, shown.GetProperty("leaves").GetArrayLength());
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(copy, recursive: true);
        }
    }

    /// <summary>Waits for a condition on the chain (the serving process acts on its own ticks), failing with its log.</summary>
    internal static async Task UntilAsync(Func<Task<bool>> condition, ChildProcess process)
    {
        using var timeout = new CancellationTokenSource(Wait);
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(200));
        while (!await condition())
        {
            if (!await poll.WaitForNextTickAsync(CancellationToken.None) || timeout.IsCancellationRequested)
            {
                throw new TimeoutException("condition not met; process output:\n" + process.AllOutput);
            }
        }
    }

    /// <summary>Registers the payee's new operator key and redeems pool tokens [start, start + count) as its relay, keeping the receipt.</summary>
    internal static async Task<ulong> RedeemAsync(PinnedAddress address, DevAccount payee, int start, int count, string? receipts, ChainSetup chain)
    {
        using var key = OperatorKey.Generate();
        using var client = await ClearingClient.ConnectAsync(address);
        var signature = Nethereum.Hex.HexConvertors.Extensions.HexByteConvertorExtensions.HexToByteArray(
            new Nethereum.Signer.EthereumMessageSigner().EncodeUTF8AndSign(client.RegistrationMessage(key, payee.Address), payee.Key));
        await client.RegisterOperatorAsync(key, payee.Address, signature);
        var tokens = TokenPool.ASlice(start, count).Select(t => (ReadOnlyMemory<byte>)t).ToArray();
        var result = await client.RedeemAsync(client.SignBatch(key, ClearingClient.NewBatchId(), new byte[16], tokens), TimeSpan.FromSeconds(30));
        Assert.Equal(count, result.Accepted);
        if (receipts is not null)
        {
            var r = result.Receipt;
            new ReceiptLog(receipts).Append(new StoredReceipt(r.Payee, r.Epoch, r.AcceptedInEpoch, Convert.ToHexString(r.BatchId), Convert.ToHexString(r.Signature), DevAccounts.ClearingHouse.Address, chain.Deployment.Ledger, chain.ChainId, count));
        }

        return result.Receipt.Epoch;
    }
}
