using System.Numerics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using SimpleXLedger.Chain.Contracts;
using SimpleXLedger.Chain.Devnet;
using SimpleXLedger.Chain.Services;
using SimpleXLedger.Clearing.Client;
using SimpleXLedger.Clearing.Epochs;
using SimpleXLedger.Clearing.Receipts;
using SimpleXLedger.Clearing.Registry;
using SimpleXLedger.Clearing.Settlement;
using SimpleXLedger.Clearing.Tests.Support;
using SimpleXLedger.Operator.Payouts;
using SimpleXLedger.Testing.Chain;

namespace SimpleXLedger.Clearing.Tests.Settlement;

/// <summary>
/// Settlement on a real ledger (Anvil) with a real clearing house (gRPC/TLS, SQLite): tokens redeemed for two
/// operators with real signed receipts, the epoch closed and anchored, the leaf list served and checked by each
/// operator's watcher, disputes filed by the watcher itself, answered by the clearing house, and claims paid.
/// </summary>
[Collection(AnvilCollection.Name)]
public sealed class SettlementChainTests(AnvilFixture anvil) : IAsyncLifetime
{
    private readonly List<string> _directories = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        foreach (var d in _directories)
        {
            Directory.Delete(d, recursive: true);
        }

        return Task.CompletedTask;
    }

    [Fact]
    public async Task An_honest_epoch_is_anchored_once_a_false_dispute_is_answered_and_loses_its_deposit_and_the_operators_claim_to_the_unit()
    {
        await using var net = await Network.StartAsync(anvil, this, fault: null);
        await net.RedeemAsync(net.OperatorA, 0, 5);
        await net.RedeemAsync(net.OperatorB, 5, 3);
        var closed = await net.CloseEpochOneAsync();
        var rate = new BigInteger(7_500);
        Assert.Equal(
            [(DevAccounts.OperatorA.Address, 5 * rate), (DevAccounts.OperatorB.Address, 3 * rate), (DevAccounts.FeeRecipient.Address, new BigInteger(4_000))],
            closed.File.PayoutLeaves.Select(l => (l.Payee, l.Amount)).OrderByDescending(x => x.Amount).ToList());
        Assert.False(closed.AlreadyPosted);

        // Closing again posts nothing more; the chain holds the published root and the list's hash.
        Assert.Empty(await net.Parts.Closer.CloseDueAsync(default));
        var onChain = await net.Reader.GetEpochAsync(1);
        Assert.Equal(closed.File.RootBytes, onChain.Root);
        Assert.Equal((8 * rate) + 4_000, onChain.Unclaimed);

        // Both watchers find their leaves verified and the window open: nothing to do yet.
        var a = await net.WatcherAsync(DevAccounts.OperatorA);
        Assert.Equal(EarningState.WindowOpen, Assert.Single(await a.CheckAsync(act: true, default)).State);

        // B disputes an honest epoch (claims its leaf is missing): the clearing house answers with the leaf and proof.
        var bBeforeDispute = await net.Reader.TokenBalanceAsync(DevAccounts.OperatorB.Address);
        await net.Reader.With(await net.ConnectAsync(DevAccounts.OperatorB)).DisputeMissingAsync(net.ReceiptsOf(DevAccounts.OperatorB).MaxBy(r => r.Receipt.AcceptedInEpoch)!);
        var bondBefore = await net.Reader.BondOfAsync(DevAccounts.ClearingHouse.Address);
        var answers = await net.Parts.Answerer.AnswerOpenDisputesAsync(default);
        Assert.True(Assert.Single(answers).Answered);
        Assert.Equal(DisputeStatus.Answered, (await net.Reader.GetDisputeAsync(1, DevAccounts.OperatorB.Address)).Status);
        Assert.Equal(bondBefore + net.Parameters.DisputeDeposit, await net.Reader.BondOfAsync(DevAccounts.ClearingHouse.Address));
        Assert.Empty(await net.Parts.Answerer.AnswerOpenDisputesAsync(default));
        Assert.Equal(bBeforeDispute - net.Parameters.DisputeDeposit, await net.Reader.TokenBalanceAsync(DevAccounts.OperatorB.Address));

        // After the window both watchers claim by themselves; every unit is accounted for.
        await net.PassWindowAsync(onChain);
        var balanceA = await net.Reader.TokenBalanceAsync(DevAccounts.OperatorA.Address);
        var balanceB = await net.Reader.TokenBalanceAsync(DevAccounts.OperatorB.Address);
        Assert.Equal(EarningState.Claimed, Assert.Single(await a.CheckAsync(act: true, default)).State);
        Assert.Equal(EarningState.Claimed, Assert.Single(await (await net.WatcherAsync(DevAccounts.OperatorB)).CheckAsync(act: true, default)).State);
        Assert.Equal(balanceA + (5 * rate), await net.Reader.TokenBalanceAsync(DevAccounts.OperatorA.Address));
        Assert.Equal(balanceB + (3 * rate), await net.Reader.TokenBalanceAsync(DevAccounts.OperatorB.Address));
        Assert.Equal(EarningState.Claimed, Assert.Single(await a.CheckAsync(act: true, default)).State);
        Assert.Equal(balanceA + (5 * rate), await net.Reader.TokenBalanceAsync(DevAccounts.OperatorA.Address));
        Assert.True((await net.Reader.GetAccountsAsync()).Holds);
    }

    [Fact]
    public async Task An_operator_whose_batches_accepted_nothing_is_owed_nothing_and_cannot_freeze_the_epoch()
    {
        await using var net = await Network.StartAsync(anvil, this, fault: null);
        await net.RedeemAsync(net.OperatorA, 0, 5);
        await net.RedeemAsync(net.OperatorB, 0, 5, accepted: 0); // A's tokens shown again: all spent, a receipt counting 0
        var zero = Assert.Single(net.ReceiptsOf(DevAccounts.OperatorB));
        Assert.Equal(0UL, zero.Receipt.AcceptedInEpoch);
        await net.CloseEpochOneAsync();

        // B's watcher finds nothing owed and files nothing; a dispute by hand is refused, so the epoch stays live.
        var b = await net.WatcherAsync(DevAccounts.OperatorB);
        Assert.Equal(EarningState.NothingOwed, Assert.Single(await b.CheckAsync(act: true, default)).State);
        var asB = net.Reader.With(await net.ConnectAsync(DevAccounts.OperatorB));
        var refused = await Assert.ThrowsAsync<LedgerRevertException>(() => asB.DisputeMissingAsync(zero));
        Assert.Equal("NothingOwed", refused.ErrorName);
        Assert.Equal(DisputeStatus.None, (await net.Reader.GetDisputeAsync(1, DevAccounts.OperatorB.Address)).Status);
        var onChain = await net.Reader.GetEpochAsync(1);
        Assert.False(onChain.Frozen);

        await net.PassWindowAsync(onChain);
        Assert.Equal(EarningState.NothingOwed, Assert.Single(await b.CheckAsync(act: true, default)).State);
        Assert.Equal(EarningState.Claimed, Assert.Single(await (await net.WatcherAsync(DevAccounts.OperatorA)).CheckAsync(act: true, default)).State);
    }

    [Fact]
    public async Task An_underpaying_clearing_house_loses_the_dispute_the_watcher_files_by_itself_pays_from_its_bond_and_reposts_the_full_leaves()
    {
        await using var net = await Network.StartAsync(anvil, this, fault: new SettlementFault(DevAccounts.OperatorA.Address));
        await net.RedeemAsync(net.OperatorA, 0, 4);
        await net.RedeemAsync(net.OperatorA, 4, 2);
        var rate = new BigInteger(7_500);
        var closed = await net.CloseEpochOneAsync();
        Assert.Equal(5 * rate, closed.File.PayoutLeaves.Single(l => l.Payee == DevAccounts.OperatorA.Address).Amount);

        var watcher = await net.WatcherAsync(DevAccounts.OperatorA);
        var balance = await net.Reader.TokenBalanceAsync(DevAccounts.OperatorA.Address);
        var bond = await net.Reader.BondOfAsync(DevAccounts.ClearingHouse.Address);
        var seen = Assert.Single(await watcher.CheckAsync(act: true, default));
        Assert.Equal((EarningState.ProvenUnderpaid, 6UL, 6 * rate), (seen.State, seen.AcceptedInEpoch, seen.Owed));
        var paid = rate + net.Parameters.DisputePenalty;
        Assert.Equal(balance + paid, await net.Reader.TokenBalanceAsync(DevAccounts.OperatorA.Address));
        Assert.Equal(bond - paid, await net.Reader.BondOfAsync(DevAccounts.ClearingHouse.Address));
        Assert.True((await net.Reader.GetEpochAsync(1)).Frozen);

        // The clearing house posts the epoch again with the correct full leaves (the bond payment is its penalty).
        var reposted = Assert.Single(await net.Parts.Closer.RepostFrozenAsync(default));
        Assert.Equal(2, reposted.Round);
        Assert.Equal(6 * rate, reposted.File.PayoutLeaves.Single(l => l.Payee == DevAccounts.OperatorA.Address).Amount);
        var onChain = await net.Reader.GetEpochAsync(1);
        Assert.True(onChain.Live);
        Assert.Equal(EarningState.WindowOpen, Assert.Single(await watcher.CheckAsync(act: true, default)).State);

        await net.PassWindowAsync(onChain);
        Assert.Equal(EarningState.Claimed, Assert.Single(await watcher.CheckAsync(act: true, default)).State);
        Assert.Equal(balance + paid + (6 * rate), await net.Reader.TokenBalanceAsync(DevAccounts.OperatorA.Address));
        Assert.True((await net.Reader.GetAccountsAsync()).Holds);
    }

    [Fact]
    public async Task A_close_that_would_break_an_invariant_posts_nothing()
    {
        await using var net = await Network.StartAsync(anvil, this, fault: null);
        await net.RedeemAsync(net.OperatorA, 0, 3);

        // The escrow cannot cover the epoch: simulate by a clearing house whose counts exceed what was issued.
        await using (var scope = net.Host.Server.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SimpleXLedger.Clearing.Storage.ClearingDbContext>();
            var row = db.PayeeEpochs.Single();
            row.Accepted += 1_000;
            await db.SaveChangesAsync();
        }

        await net.Chain.MineAtAsync(net.EpochEnd + 1);
        var error = await Assert.ThrowsAsync<SettlementInvariantException>(() => net.Parts.Closer.CloseDueAsync(default));
        Assert.NotEmpty(error.Failed);
        Assert.False((await net.Reader.GetEpochAsync(1)).Posted);
        Assert.Null(net.Parts.Closer.Store.TryLoad(1));
    }

    /// <summary>A ledger, a clearing house on it, two registered operators and their receipt logs.</summary>
    private sealed class Network : IAsyncDisposable
    {
        private readonly List<ChainConnection> _connections = [];
        private readonly SettlementChainTests _test;
        private readonly Dictionary<string, ClearingClient> _clients = [];

        private Network(SettlementChainTests test, ChainSetup chain, ServerHarness host)
        {
            _test = test;
            Chain = chain;
            Host = host;
        }

        public ChainSetup Chain { get; }

        public ServerHarness Host { get; }

        public LedgerClient Reader => Chain.Reader;

        public SimpleXLedger.Chain.LedgerParameters Parameters => Chain.Parameters;

        public SettlementParts Parts { get; private set; } = null!;

        public OperatorKey OperatorA { get; private set; } = null!;

        public OperatorKey OperatorB { get; private set; } = null!;

        public ulong EpochEnd { get; private set; }

        public string ReceiptDirectory { get; private set; } = null!;

        public static async Task<Network> StartAsync(AnvilFixture anvil, SettlementChainTests test, SettlementFault? fault)
        {
            var chain = await ChainSetup.DeployAsync(anvil.RpcUrl);
            var (usableFrom, _) = await chain.AnchorKeyAsync(TestTokens.KeyA.PublicKey, credits: 100, issued: 20);
            await chain.MineAtAsync(usableFrom);
            var registry = new ChainKeyRegistry(chain.Reader, TimeSpan.Zero);
            var identity = new ClearingIdentity(DevAccounts.ClearingHouse.Key, chain.ChainId, chain.Deployment.Ledger);
            var host = await ServerHarness.StartAsync(registry, identity);
            var net = new Network(test, chain, host);
            net.ReceiptDirectory = Directory.CreateTempSubdirectory("sxl-receipts-").FullName;
            test._directories.Add(net.ReceiptDirectory);
            net.OperatorA = await host.RegisterAsync(DevAccounts.OperatorA);
            net.OperatorB = await host.RegisterAsync(DevAccounts.OperatorB);
            var clearing = chain.Reader.With(await net.ConnectAsync(DevAccounts.ClearingHouse));
            net.Parts = SettlementParts.Create(host.Server.Services, clearing, NullLogger.Instance, fault);
            net.EpochEnd = host.Server.Services.GetRequiredService<EpochSchedule>().Current!.EndsAt;
            return net;
        }

        public async Task<ChainConnection> ConnectAsync(DevAccount account)
        {
            var c = await ChainConnection.ConnectAsync(Chain.Deployment.RpcUrl, account.Key);
            _connections.Add(c);
            return c;
        }

        public string ReceiptsPath(DevAccount account) => Path.Combine(ReceiptDirectory, account.Address + ".jsonl");

        /// <summary>Redeems pool tokens [start, start + count) for an operator and stores the receipt as a relay does.</summary>
        public async Task RedeemAsync(OperatorKey key, int start, int count, int? accepted = null)
        {
            var payee = key == OperatorA ? DevAccounts.OperatorA : DevAccounts.OperatorB;
            if (!_clients.TryGetValue(payee.Address, out var client))
            {
                client = await ClearingClient.ConnectAsync(Host.Address);
                _clients[payee.Address] = client;
            }

            var tokens = TokenPool.ASlice(180 + start, count).Select(t => (ReadOnlyMemory<byte>)t).ToArray();
            var result = await client.RedeemAsync(client.SignBatch(key, ClearingClient.NewBatchId(), new byte[16], tokens), TimeSpan.FromSeconds(30));
            Assert.Equal(accepted ?? count, result.Accepted);
            var r = result.Receipt;
            new ReceiptLog(ReceiptsPath(payee)).Append(new StoredReceipt(
                r.Payee, r.Epoch, r.AcceptedInEpoch, Convert.ToHexString(r.BatchId), Convert.ToHexString(r.Signature),
                DevAccounts.ClearingHouse.Address, Chain.Deployment.Ledger, Chain.ChainId, result.Accepted));
        }

        public List<SimpleXLedger.Chain.Receipts.SignedReceipt> ReceiptsOf(DevAccount account) =>
            ReceiptLog.ReadAll(ReceiptsPath(account))
                .Select(r => new SimpleXLedger.Chain.Receipts.SignedReceipt(new SimpleXLedger.Chain.Receipts.Receipt(r.Payee, r.Epoch, r.AcceptedInEpoch, r.BatchIdBytes), r.SignatureBytes))
                .ToList();

        public async Task<EpochSettlement> CloseEpochOneAsync()
        {
            await Chain.MineAtAsync(EpochEnd + 1);
            var closed = Assert.Single(await Parts.Closer.CloseDueAsync(default));
            Assert.Equal((1UL, 1), (closed.Epoch, closed.Round));
            Assert.NotNull(closed.File.PostedTx);
            return closed;
        }

        public async Task<PayoutWatcher> WatcherAsync(DevAccount account)
        {
            var ledger = Reader.With(await ConnectAsync(account));
            return new PayoutWatcher(ledger, SettlementClient.Connect(Host.Address), ReceiptsPath(account), NullLogger.Instance);
        }

        public async Task PassWindowAsync(EpochRecord epoch)
        {
            var now = await Chain.NowAsync();
            var active = await Reader.ActiveTimeAsync();
            await Chain.MineAtAsync(now + (epoch.WindowClosesAt - Math.Min(active, epoch.WindowClosesAt)) + 1);
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var c in _clients.Values)
            {
                c.Dispose();
            }

            OperatorA?.Dispose();
            OperatorB?.Dispose();
            await Host.DisposeAsync();
            foreach (var c in _connections)
            {
                c.Dispose();
            }

            Chain.Dispose();
        }
    }
}
