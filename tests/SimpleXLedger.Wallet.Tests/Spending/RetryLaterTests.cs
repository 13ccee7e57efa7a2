using System.Collections.Concurrent;
using SimpleXLedger.Relay.Metering.Tokens;
using SimpleXLedger.Wallet.Spending;
using SimpleXLedger.Wallet.Tests.Support;

namespace SimpleXLedger.Wallet.Tests.Spending;

/// <summary>
/// A relay that cannot redeem a token yet (the clearing house answers "not yet anchored": the issuer anchors what it
/// issued once per period) denies the payment as unavailable. The wallet keeps the very tokens and pays with them at
/// its next try; none is lost or counted spent before the relay credits it.
/// </summary>
[Collection(NetworkCollection.Name)]
public sealed class RetryLaterTests(NetworkFixture network) : IDisposable
{
    private const long Credit = TestRelay.MicrosPerCredit;
    private readonly TempDir _dir = new();

    [Fact]
    public async Task A_top_up_answered_try_again_later_keeps_its_tokens_and_pays_with_the_same_ones_next_time()
    {
        var redeemer = new LaterRedeemer();
        await using var relay = await TestRelay.StartAsync(network.Issuer.Key, redeemer);
        var clock = TestWallets.Clock();
        await using var wallet = TestWallets.Create(_dir.File("w.sxlw"), TestWallets.Careful(clock, step: 10));
        using (var issuer = network.IssuerSession())
        {
            await wallet.RedeemCardAsync((await network.Issuer.CreateCardsAsync(100))[0], issuer);
        }

        await wallet.CreateQueueAsync(relay.Address, "inbox");
        Assert.Equal(99, wallet.AvailableTokens);
        var due = Assert.Single(wallet.TopUps.Pending).DueAt;

        // The clearing house cannot accept the tokens yet: the relay says "try again later".
        redeemer.Later = true;
        clock.Advance(due - clock.GetUtcNow());
        var first = Assert.Single(await wallet.TopUps.RunDueAsync());
        Assert.Equal((TopUpStatus.RetryLater, 0), (first.Status, first.TokensPaid));
        Assert.NotNull(first.NextDue);
        var balance = wallet.GetBalance();
        Assert.Equal((1L, 0L), (balance.TokensSpent, balance.TokensLost));
        Assert.Single(redeemer.LaterTokens);
        Assert.Equal(0, (await wallet.RefreshCreditAsync("inbox")).Balance);

        // Anchored since: the next try pays the step, starting with the very token answered "later"; nothing lost.
        redeemer.Later = false;
        clock.Advance(first.NextDue!.Value - clock.GetUtcNow());
        var second = Assert.Single(await wallet.TopUps.RunDueAsync());
        Assert.Equal((TopUpStatus.Done, 10, 10 * Credit), (second.Status, second.TokensPaid, second.Balance));
        Assert.Contains(redeemer.LaterTokens.Single(), redeemer.AcceptedTokens);
        balance = wallet.GetBalance();
        Assert.Equal((11L, 0L), (balance.TokensSpent, balance.TokensLost));
        Assert.Equal(89, wallet.AvailableTokens);
        Assert.Equal(10 * Credit, (await wallet.RefreshCreditAsync("inbox")).Balance);
    }

    public void Dispose() => _dir.Dispose();

    /// <summary>Accepts each token once; while <see cref="Later"/> is set, answers "retry later" and records nothing.</summary>
    private sealed class LaterRedeemer : ITokenRedeemer
    {
        private readonly ConcurrentDictionary<string, byte> _accepted = new();
        private readonly ConcurrentDictionary<string, byte> _later = new();

        public volatile bool Later;

        public IReadOnlyCollection<string> LaterTokens => [.. _later.Keys];

        public IReadOnlyCollection<string> AcceptedTokens => [.. _accepted.Keys];

        public ValueTask<IReadOnlyList<RedemptionOutcome>> RedeemAsync(IReadOnlyList<ReadOnlyMemory<byte>> tokens, CancellationToken cancellationToken)
        {
            var outcomes = new List<RedemptionOutcome>(tokens.Count);
            foreach (var t in tokens)
            {
                var id = Convert.ToHexString(t.Span);
                if (Later)
                {
                    _later.TryAdd(id, 0);
                    outcomes.Add(RedemptionOutcome.RetryLater);
                }
                else
                {
                    outcomes.Add(_accepted.TryAdd(id, 0) ? RedemptionOutcome.Accepted : RedemptionOutcome.AlreadySpent);
                }
            }

            return ValueTask.FromResult<IReadOnlyList<RedemptionOutcome>>(outcomes);
        }
    }
}
