using System.Collections.Concurrent;
using SimpleXLedger.Relay.Metering.Tokens;
using SimpleXLedger.Wallet.Spending;
using SimpleXLedger.Wallet.Tests.Support;

namespace SimpleXLedger.Wallet.Tests.Spending;

/// <summary>
/// A token a relay saw and refused (not as spent) is shown again only in the same context — the same queue at the
/// same relay — or dropped: never to another queue or relay, where its nonce would link the two. A malicious relay
/// refusing at will gains no link. Only tokens never sent go back to the pool; what is dropped is counted.
/// </summary>
[Collection(NetworkCollection.Name)]
public sealed class RefusedTokenTests(NetworkFixture network) : IDisposable
{
    private readonly TempDir _dir = new();

    [Fact]
    public async Task A_token_refused_at_a_create_is_dropped_and_the_next_queue_pays_with_another()
    {
        var redeemer = new RefusingRedeemer { Refuse = true };
        await using var relay = await TestRelay.StartAsync(network.Issuer.Key, redeemer);
        await using var wallet = TestWallets.Create(_dir.File("w.sxlw"), TestWallets.Careful(TestWallets.Clock()));
        using (var issuer = network.IssuerSession())
        {
            await wallet.RedeemCardAsync((await network.Issuer.CreateCardsAsync(100))[0], issuer);
        }

        var refused = await Assert.ThrowsAsync<WalletException>(() => wallet.CreateQueueAsync(relay.Address, "first"));
        Assert.Equal(WalletError.RelayRefused, refused.Error);
        var shown = Assert.Single(redeemer.Seen);
        Assert.Equal((99, 1L, 0L), (wallet.AvailableTokens, wallet.GetBalance().TokensDropped, wallet.GetBalance().TokensLost));

        // The attacker relay now accepts: the next queue is paid with a token it has never seen.
        redeemer.Refuse = false;
        await wallet.CreateQueueAsync(relay.Address, "second");
        Assert.Equal(2, redeemer.Seen.Count);
        Assert.Equal(1, redeemer.Seen.Count(t => t == shown));
    }

    [Fact]
    public async Task A_token_refused_in_a_top_up_is_offered_only_to_that_queue_then_dropped_and_unsent_ones_go_back()
    {
        var redeemer = new RefusingRedeemer();
        await using var relay = await TestRelay.StartAsync(network.Issuer.Key, redeemer);
        var clock = TestWallets.Clock();
        await using var wallet = TestWallets.Create(_dir.File("w.sxlw"), TestWallets.Careful(clock, step: 10));
        using (var issuer = network.IssuerSession())
        {
            await wallet.RedeemCardAsync((await network.Issuer.CreateCardsAsync(100))[0], issuer);
        }

        await wallet.CreateQueueAsync(relay.Address, "inbox");
        Assert.Equal(99, wallet.AvailableTokens);

        // The relay refuses the first token of the top-up: the nine never sent go back, the refused one stays with it.
        redeemer.Refuse = true;
        await RunInboxTopUpAsync();
        var refused = Assert.Single(redeemer.RefusedTokens);
        Assert.Equal((98, 1), (wallet.AvailableTokens, wallet.GetBalance().TokensReserved));

        // Offered again only to this queue, first in each attempt; the last refusal drops it.
        for (var i = 1; i < TopUpScheduler.MaxRefusedShowings; i++)
        {
            var outcome = await RunInboxTopUpAsync();
            Assert.Equal((TopUpStatus.RetryLater, 0), (outcome.Status, outcome.TokensPaid));
        }

        Assert.Equal(TopUpScheduler.MaxRefusedShowings, redeemer.Showings(refused));
        Assert.Equal([refused], redeemer.RefusedTokens.Distinct());
        var balance = wallet.GetBalance();
        Assert.Equal((1L, 0L, 0), (balance.TokensDropped, balance.TokensLost, balance.TokensReserved));
        Assert.Equal(98, wallet.AvailableTokens);

        // Accepted again: a new queue and inbox's full step are paid with other tokens; the dropped one is shown nowhere.
        redeemer.Refuse = false;
        await wallet.CreateQueueAsync(relay.Address, "other");
        var done = await RunInboxTopUpAsync();
        Assert.Equal((TopUpStatus.Done, 10), (done.Status, done.TokensPaid));
        Assert.Equal(TopUpScheduler.MaxRefusedShowings, redeemer.Showings(refused));
        Assert.DoesNotContain(refused, redeemer.AcceptedTokens);
        balance = wallet.GetBalance();
        Assert.Equal(100, wallet.AvailableTokens + balance.TokensReserved + balance.TokensSpent + balance.TokensDropped);

        async Task<TopUpOutcome> RunInboxTopUpAsync()
        {
            var due = wallet.TopUps.Pending.Single(t => t.Queue == "inbox").DueAt;
            if (due > clock.GetUtcNow())
            {
                clock.Advance(due - clock.GetUtcNow());
            }

            return Assert.Single(await wallet.TopUps.RunDueAsync(), o => o.Queue == "inbox");
        }
    }

    public void Dispose() => _dir.Dispose();

    /// <summary>Refuses every token (not as spent) while <see cref="Refuse"/> is set; counts each showing of each token.</summary>
    private sealed class RefusingRedeemer : ITokenRedeemer
    {
        private readonly ConcurrentDictionary<string, int> _showings = new();
        private readonly ConcurrentDictionary<string, byte> _accepted = new();
        private readonly ConcurrentQueue<string> _seen = new();
        private readonly ConcurrentQueue<string> _refused = new();

        public volatile bool Refuse;

        public IReadOnlyList<string> Seen => [.. _seen];

        public IReadOnlyList<string> RefusedTokens => [.. _refused];

        public IReadOnlyCollection<string> AcceptedTokens => [.. _accepted.Keys];

        public int Showings(string token) => _showings.GetValueOrDefault(token);

        public ValueTask<IReadOnlyList<RedemptionOutcome>> RedeemAsync(IReadOnlyList<ReadOnlyMemory<byte>> tokens, CancellationToken cancellationToken)
        {
            var outcomes = new List<RedemptionOutcome>(tokens.Count);
            foreach (var t in tokens)
            {
                var id = Convert.ToHexString(t.Span);
                _seen.Enqueue(id);
                _showings.AddOrUpdate(id, 1, (_, n) => n + 1);
                if (Refuse)
                {
                    _refused.Enqueue(id);
                    outcomes.Add(RedemptionOutcome.Refused);
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
