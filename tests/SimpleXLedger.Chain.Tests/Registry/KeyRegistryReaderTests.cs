using SimpleXLedger.Chain.Devnet;
using SimpleXLedger.Chain.Registry;
using SimpleXLedger.Chain.Services;
using SimpleXLedger.Chain.Tests.Fixtures;
using SimpleXLedger.Testing.Chain;

namespace SimpleXLedger.Chain.Tests.Registry;

/// <summary>The registry reader the clearing house and relays judge tokens by, on a real ledger (Anvil).</summary>
[Collection(AnvilCollection.Name)]
public sealed class KeyRegistryReaderTests(AnvilFixture anvil)
{
    [Fact]
    public async Task A_reading_holds_every_anchored_key_with_its_SPKI_windows_and_issued_total_at_the_latest_block_and_is_reused_until_it_is_stale()
    {
        using var s = await LedgerScenario.CreateAsync(anvil);
        var reader = new KeyRegistryReader(s.Stranger, TimeSpan.FromHours(1));
        var empty = await reader.ReadAsync(default);
        Assert.Empty(empty.Keys);
        Assert.Equal(await s.NowAsync(), empty.BlockTime);
        Assert.Equal(await s.Stranger.Connection.BlockNumberAsync(), empty.BlockNumber);

        await s.FundBatchAsync(100);
        var spki = LedgerScenario.RandomSpki();
        var from = await s.NowAsync() + s.Parameters.MinKeyDelay + 10;
        var (keyId, _) = await s.StepAsync(() => s.Issuer.AnchorKeyAsync(spki, from, from + s.Parameters.MinIssueWindow, from + s.Parameters.MinIssueWindow + s.Parameters.MinRedeemWindow));
        await s.StepAsync(() => s.Issuer.AnchorIssuedAsync(keyId, 7));

        // Within its max age the reading is reused, even though the chain moved.
        Assert.Same(empty, await reader.ReadAsync(default));

        // A reading that must be newer sees the key as anchored.
        var read = await reader.ReadAsync(TimeSpan.Zero, default);
        var key = Assert.Single(read.Keys);
        Assert.Equal(keyId, key.KeyId);
        Assert.Equal(spki, key.Spki);
        Assert.Equal((from, from + s.Parameters.MinIssueWindow, from + s.Parameters.MinIssueWindow + s.Parameters.MinRedeemWindow, 0UL, 7UL), (key.UsableFrom, key.IssueUntil, key.RedeemUntil, key.RevokedAt, key.Issued));
        Assert.Equal(await s.NowAsync(), read.BlockTime);
        Assert.False(key.RedeemableAt(read.BlockTime)); // not usable yet by block time

        // No new block: the same reading (keys are not read again).
        Assert.Same(read, await reader.ReadAsync(TimeSpan.Zero, default));

        // New blocks: the issued total and the block time move; the window opens at usableFrom by block time.
        await s.StepAsync(() => s.Issuer.AnchorIssuedAsync(keyId, 9));
        await s.AdvanceAsync(from - await s.NowAsync());
        var later = await reader.ReadAsync(TimeSpan.Zero, default);
        Assert.True(later.BlockNumber > read.BlockNumber);
        Assert.Equal(9UL, Assert.Single(later.Keys).Issued);
        Assert.Equal(from, later.BlockTime);
        Assert.True(later.Keys[0].RedeemableAt(later.BlockTime));
        Assert.False(later.Keys[0].RedeemableAt(later.Keys[0].RedeemUntil)); // half-open: closed at redeemUntil
    }

    [Fact]
    public async Task Keys_anchored_later_join_the_reading_and_a_key_past_its_redeem_until_is_not_read_again()
    {
        using var s = await LedgerScenario.CreateAsync(anvil);
        var reader = new KeyRegistryReader(s.Stranger, TimeSpan.Zero);
        await s.FundBatchAsync(100);
        var from = await s.NowAsync() + s.Parameters.MinKeyDelay + 10;
        var redeemUntil = from + s.Parameters.MinIssueWindow + s.Parameters.MinRedeemWindow;
        var (first, _) = await s.StepAsync(() => s.Issuer.AnchorKeyAsync(LedgerScenario.RandomSpki(), from, from + s.Parameters.MinIssueWindow, redeemUntil));
        await s.StepAsync(() => s.Issuer.AnchorIssuedAsync(first, 7));
        Assert.Equal(7UL, Assert.Single((await reader.ReadAsync(default)).Keys).Issued);

        // Past the first key's redeemUntil (by block time): a second key is anchored after the first reading.
        await s.AdvanceAsync(redeemUntil - await s.NowAsync());
        var later = await s.NowAsync() + s.Parameters.MinKeyDelay + 10;
        var (second, _) = await s.StepAsync(() => s.Issuer.AnchorKeyAsync(LedgerScenario.RandomSpki(), later, later + s.Parameters.MinIssueWindow, later + s.Parameters.MinIssueWindow + s.Parameters.MinRedeemWindow));
        var read = await reader.ReadAsync(default);
        Assert.Equal([first, second], read.Keys.Select(k => k.KeyId));
        Assert.False(read.Keys[0].RedeemableAt(read.BlockTime));

        // The chain still takes issued totals for the ended key, but no token of it can be redeemed any more:
        // the reader keeps its last record instead of reading it on every block. The live key is read again.
        await s.StepAsync(() => s.Issuer.AnchorIssuedAsync(first, 9));
        await s.StepAsync(() => s.Issuer.AnchorIssuedAsync(second, 5));
        var after = await reader.ReadAsync(default);
        Assert.True(after.BlockNumber > read.BlockNumber);
        Assert.Equal([7UL, 5UL], after.Keys.Select(k => k.Issued));
        Assert.Equal(9UL, (await s.Stranger.GetKeyAsync(first)).Issued);
    }

    [Fact]
    public async Task A_chain_that_cannot_be_read_is_a_typed_error()
    {
        using var s = await LedgerScenario.CreateAsync(anvil);
        var node = await AnvilNode.StartAsync();
        var quick = new ChainRetryPolicy(2, TimeSpan.FromMilliseconds(20), TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(20));
        using var doomed = await ChainConnection.ConnectAsync(node.RpcUrl, retry: quick);
        // The shared ledger's addresses, read through a node that is about to go away.
        var reader = new KeyRegistryReader(s.Stranger.With(doomed), TimeSpan.Zero);
        await node.DisposeAsync();

        var e = await Assert.ThrowsAsync<KeyRegistryUnavailableException>(() => reader.ReadAsync(default).AsTask());
        Assert.Contains("cannot be read", e.Message, StringComparison.Ordinal);
    }
}
