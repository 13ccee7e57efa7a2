using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using SimpleXLedger.Chain.Contracts.V2;
using SimpleXLedger.Chain.Devnet;
using SimpleXLedger.Chain.Services;
using SimpleXLedger.Testing;
using SimpleXLedger.Testing.Chain;
using SimpleXLedger.Testing.LedgerV2;

namespace SimpleXLedger.Watch.Tests;

/// <summary>
/// <c>sxl watch</c> against a real v2 ledger (Anvil, Osaka): a rogue clearing house posts and publishes crafted epochs
/// with its real role key; the watcher finds each cheat in the published data and proves it on-chain by itself before
/// any claim, leaves honest epochs alone, challenges data nobody serves, and resumes without filing twice.
/// </summary>
[Collection(V2ChainCollection.Name)]
public sealed class EpochWatcherTests(V2Chain chain) : IDisposable
{
    private readonly TempDirectory _dir = new("sxl-watch-");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Honest_epochs_are_verified_once_and_nothing_is_filed()
    {
        using var net = await V2Network.CreateAsync(chain);
        var epoch = await net.HonestAsync(1, 1, net.Spends((net.OperatorA.Address, 3), (net.OperatorB.Address, 2)));
        await PublishAndPostAsync(net, epoch);
        var state = _dir.File("state.json");

        var reports = await Watcher(net, net.Prover, state).RunOnceAsync();
        var report = Assert.Single(reports);
        Assert.Equal("verified", report.Outcome);
        Assert.Equal(5, report.SignaturesVerified);
        Assert.Null(report.Transaction);
        Assert.Equal(0, await net.OwedAsync(net.Prover.Address));

        // A restart resumes: the settled epoch is not checked again.
        Assert.Empty(await Watcher(net, net.Prover, state).RunOnceAsync());
    }

    [Fact]
    public async Task A_forged_token_is_proven_by_the_watcher_and_the_epoch_freezes()
    {
        using var net = await V2Network.CreateAsync(chain);
        var spends = net.Spends((net.OperatorA.Address, 2));
        var (nonce, _) = net.MintToken();
        var (_, someoneElses) = net.MintToken();
        var rate = await net.EpochRateAsync(3);
        var (tokens, payouts) = RogueEpochs.Layout(net, [.. spends, (net.House.Address, nonce, someoneElses)], rate);
        var rogue = PostedEpoch.Craft(1, 1, tokens, payouts, 0, RogueEpochs.KeyCounts((0, 3)), 3 * net.Net, rate);
        await PublishAndPostAsync(net, rogue);

        // Without a key it only reports.
        using (var readOnly = await ChainConnection.ConnectAsync(chain.RpcUrl))
        {
            var seen = Assert.Single(await Watcher(net, readOnly, null).RunOnceAsync());
            Assert.Equal("invalid-token", seen.Finding);
            Assert.Null(seen.Transaction);
        }

        var report = Assert.Single(await Watcher(net, net.Prover, null).RunOnceAsync());
        Assert.Equal("proven", report.Outcome);
        Assert.Equal("invalid-token", report.Finding);
        Assert.Equal(PostedEpochRecord.Frozen, (await LedgerView.EpochAsync(net.Governance, net.Ledger, 1)).State);
        Assert.True(await net.OwedAsync(net.Prover.Address) > 0);
        await net.AssertBooksAsync();
    }

    [Fact]
    public async Task A_token_counted_again_in_a_later_epoch_and_a_fee_leaf_paying_the_house_are_proven()
    {
        using var net = await V2Network.CreateAsync(chain);
        var spends = net.Spends((net.OperatorA.Address, 2));
        var first = await net.HonestAsync(1, 1, spends);
        await PublishAndPostAsync(net, first);
        Assert.Equal("verified", Assert.Single(await Watcher(net, net.Prover, _dir.File("s.json")).RunOnceAsync()).Outcome);

        await net.MineAtAsync(net.EpochEnd(2));
        var second = await net.HonestAsync(2, 1, [(net.House.Address, spends[0].Nonce, spends[0].Authenticator), .. net.Spends((net.OperatorB.Address, 1))]);
        await PublishAndPostAsync(net, second);
        var report = Assert.Single(await Watcher(net, net.Prover, _dir.File("s.json")).RunOnceAsync());
        Assert.Equal(("proven", "duplicate-across"), (report.Outcome, report.Finding));
        Assert.Equal(PostedEpochRecord.Frozen, (await LedgerView.EpochAsync(net.Governance, net.Ledger, 2)).State);
        Assert.Equal(PostedEpochRecord.Posted, (await LedgerView.EpochAsync(net.Governance, net.Ledger, 1)).State);

        // Round 2 of epoch 2, now with the fee moved to the house.
        await net.House.SendAsync(net.Ledger, new DepositBondV2Function { Amount = net.Params.MinBond });
        var honestSpends = net.Spends((net.OperatorB.Address, 1));
        var rate = await net.EpochRateAsync(1);
        var (tokens, payouts) = RogueEpochs.Layout(net, honestSpends, rate);
        payouts[^1] = RogueEpochs.PayoutLeafBytes(net.House.Address, net.FeePerCredit, 1, 0);
        var fee = PostedEpoch.Craft(2, 2, tokens, payouts, 0, RogueEpochs.KeyCounts((0, 1)), rate + net.FeePerCredit, rate);
        await PublishAndPostAsync(net, fee, mine: false);
        report = Assert.Single(await Watcher(net, net.Prover, _dir.File("s.json")).RunOnceAsync());
        Assert.Equal(("proven", "payout-leaf"), (report.Outcome, report.Finding));
        await net.AssertBooksAsync();
    }

    [Fact]
    public async Task Data_nobody_serves_is_challenged_on_chain()
    {
        using var net = await V2Network.CreateAsync(chain);
        var epoch = await net.HonestAsync(1, 1, net.Spends((net.OperatorA.Address, 2)));
        await net.MineAtAsync(net.EpochEnd(1));
        await net.PostAsync(epoch);
        var report = Assert.Single(await Watcher(net, net.Prover, _dir.File("s.json")).RunOnceAsync());
        Assert.Equal("data challenged", report.Outcome);
        Assert.Equal(1, (await LedgerView.EpochAsync(net.Governance, net.Ledger, 1)).OpenChallenges);
        Assert.Empty(await Watcher(net, net.Prover, _dir.File("s.json")).RunOnceAsync());
    }

    [Fact]
    public async Task Sxl_watch_runs_as_a_process_proves_a_cheat_and_prints_json()
    {
        using var net = await V2Network.CreateAsync(chain);
        var spends = net.Spends((net.OperatorA.Address, 1));
        var rate = await net.EpochRateAsync(2);
        var copy = (net.House.Address, spends[0].Nonce, spends[0].Authenticator);
        var (tokens, payouts) = RogueEpochs.Layout(net, [.. spends, copy], rate);
        var rogue = PostedEpoch.Craft(1, 1, tokens, payouts, 0, RogueEpochs.KeyCounts((0, 2)), 2 * net.Net, rate);
        await PublishAndPostAsync(net, rogue);
        var key = DevKeyFile.Write(_dir.File("prover.key"), DevAccounts.Users[0]);

        var help = await SxlProcess.RunAsync("watch", "--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("--data", help.Stdout, StringComparison.Ordinal);
        var bad = await SxlProcess.RunAsync("watch", "--rpc", chain.RpcUrl, "--ledger", net.Ledger, "--data", _dir.Path, "--interval", "0");
        Assert.NotEqual(0, bad.ExitCode);

        var run = await SxlProcess.RunAsync("watch", "--rpc", chain.RpcUrl, "--ledger", net.Ledger, "--data", _dir.Path, "--key", key, "--once", "--json");
        Assert.True(run.ExitCode == 0, run.AllOutput);
        using var json = JsonDocument.Parse(run.StdoutLines.Single(l => l.StartsWith('{')));
        var epoch = json.RootElement.GetProperty("checkedEpochs")[0];
        Assert.Equal("proven", epoch.GetProperty("outcome").GetString());
        Assert.Equal("duplicate", epoch.GetProperty("finding").GetString());
        Assert.Equal(PostedEpochRecord.Frozen, (await LedgerView.EpochAsync(net.Governance, net.Ledger, 1)).State);
    }

    private EpochWatcher Watcher(V2Network net, ChainConnection connection, string? state) =>
        new(connection, net.Ledger, new EpochDirectory(_dir.Path), WatchState.Open(state), NullLogger.Instance);

    private async Task PublishAndPostAsync(V2Network net, PostedEpoch epoch, bool mine = true)
    {
        epoch.WriteExport(_dir.File($"epoch-{epoch.Header.Epoch}-{epoch.Header.Round}.sxle"), (ulong)net.House.ChainId, net.Ledger);
        if (mine)
        {
            await net.MineAtAsync(Math.Max(net.EpochEnd(epoch.Header.Epoch), await net.NowAsync() + 1));
        }

        await net.PostAsync(epoch);
    }
}
