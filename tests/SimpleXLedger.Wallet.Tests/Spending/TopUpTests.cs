using Microsoft.Extensions.Time.Testing;
using SimpleXLedger.Relay.Client;
using SimpleXLedger.Wallet.Spending;
using SimpleXLedger.Wallet.Storage;
using SimpleXLedger.Wallet.Tests.Support;

namespace SimpleXLedger.Wallet.Tests.Spending;

/// <summary>
/// Spending against a real relay metering with tokens: queues paid in fixed steps, each after a random delay and over
/// a connection of its own; payment-required and low credit schedule a top-up and never pay at once. The wallet's
/// clock is a fake the test moves, so nothing sleeps.
/// </summary>
[Collection(NetworkCollection.Name)]
public sealed class TopUpTests(NetworkFixture network) : IDisposable
{
    private const long Credit = TestRelay.MicrosPerCredit;
    private readonly TempDir _dir = new();

    private async Task<UserWallet> FundedWalletAsync(FakeTimeProvider clock, int step = 10, long lowCredit = Credit, RecordingConnector? relays = null, ulong credits = 100)
    {
        var wallet = TestWallets.Create(_dir.File($"w{Guid.NewGuid():N}.sxlw"), TestWallets.Careful(clock, step, lowCredit, relays));
        using var issuer = network.IssuerSession();
        var code = (await network.Issuer.CreateCardsAsync(credits))[0];
        await wallet.RedeemCardAsync(code, issuer);
        return wallet;
    }

    [Fact]
    public async Task A_requested_top_up_waits_its_random_delay_then_pays_exactly_one_step_over_its_own_connection()
    {
        var clock = TestWallets.Clock();
        var relays = new RecordingConnector();
        await using var wallet = await FundedWalletAsync(clock, relays: relays);
        var queue = await wallet.CreateQueueAsync(network.Relay.Address, "inbox");
        // One token paid for the queue (creditsPerQueue = 1), so its credit is 0: a top-up is already scheduled.
        Assert.Equal(99, wallet.AvailableTokens);
        Assert.Equal(0, queue.Balance);
        var scheduled = Assert.Single(wallet.TopUps.Pending);
        Assert.Equal(TopUpReason.LowCredit, scheduled.Reason);
        var due = scheduled.DueAt;
        Assert.InRange(due - clock.GetUtcNow(), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5));

        // Asking again changes nothing: one pending top-up per queue, never sooner.
        Assert.Equal(due, wallet.TopUps.Request("inbox", TopUpReason.Requested));
        Assert.Empty(await wallet.TopUps.RunDueAsync());
        clock.Advance(due - clock.GetUtcNow() - TimeSpan.FromMilliseconds(1));
        Assert.Empty(await wallet.TopUps.RunDueAsync());
        Assert.Equal(99, wallet.AvailableTokens);

        clock.Advance(TimeSpan.FromMilliseconds(1));
        var outcome = Assert.Single(await wallet.TopUps.RunDueAsync());

        Assert.Equal((TopUpStatus.Done, 10, 10 * Credit), (outcome.Status, outcome.TokensPaid, outcome.Balance));
        Assert.Equal(89, wallet.AvailableTokens);
        Assert.Equal(11, wallet.GetBalance().TokensSpent);
        Assert.Empty(wallet.TopUps.Pending);
        Assert.Equal(10 * Credit, (await wallet.RefreshCreditAsync("inbox")).Balance);
        var topUp = Assert.Single(relays.TopUps);
        Assert.Equal("inbox", topUp.Queue);
        Assert.Single(relays.Log, e => e.Connection == topUp.Connection);
    }

    [Fact]
    public async Task Two_queues_are_paid_at_independent_times_over_different_connections()
    {
        var clock = TestWallets.Clock();
        var relays = new RecordingConnector();
        await using var wallet = await FundedWalletAsync(clock, relays: relays);
        await wallet.CreateQueueAsync(network.Relay.Address, "a");
        await wallet.CreateQueueAsync(network.Relay.Address, "b");
        var pending = wallet.TopUps.Pending;
        Assert.Equal(2, pending.Count);
        Assert.NotEqual(pending[0].DueAt, pending[1].DueAt);

        clock.Advance(TimeSpan.FromMinutes(5));
        var outcomes = await wallet.TopUps.RunDueAsync();

        Assert.Equal(2, outcomes.Count);
        Assert.All(outcomes, o => Assert.Equal((TopUpStatus.Done, 10), (o.Status, o.TokensPaid)));
        Assert.Equal(78, wallet.AvailableTokens);
        var topUps = relays.TopUps;
        Assert.Equal(2, topUps.Select(t => t.Connection).Distinct().Count());
        Assert.Equal(["a", "b"], topUps.Select(t => t.Queue).Order());
        // No connection that paid one queue ever carried anything else.
        foreach (var (connection, _) in topUps)
        {
            Assert.Single(relays.Log, e => e.Connection == connection);
        }
    }

    [Fact]
    public async Task Payment_required_schedules_a_top_up_and_does_not_pay_at_once()
    {
        var clock = TestWallets.Clock();
        await using var wallet = await FundedWalletAsync(clock, lowCredit: 0);
        var queue = await wallet.CreateQueueAsync(network.Relay.Address, "inbox");
        Assert.Equal(0, queue.Balance);
        Assert.Empty(wallet.TopUps.Pending); // low-credit threshold 0: nothing scheduled yet

        var refused = await wallet.SendAsync(queue.SenderLink!, "hello"u8.ToArray());

        Assert.Equal(SendStatus.PaymentRequired, refused.Status);
        Assert.NotNull(refused.TopUpDue);
        Assert.True(refused.TopUpDue > clock.GetUtcNow());
        Assert.Equal(99, wallet.AvailableTokens);
        Assert.Equal(0, (await wallet.RefreshCreditAsync("inbox")).Balance);
        Assert.Equal(TopUpReason.PaymentRequired, Assert.Single(wallet.TopUps.Pending).Reason);

        clock.Advance(refused.TopUpDue!.Value - clock.GetUtcNow());
        Assert.Equal(TopUpStatus.Done, Assert.Single(await wallet.TopUps.RunDueAsync()).Status);
        Assert.Equal(SendStatus.Sent, (await wallet.SendAsync(queue.SenderLink!, "hello"u8.ToArray())).Status);
        var received = await wallet.ReceiveAsync("inbox");
        Assert.Equal("hello", System.Text.Encoding.UTF8.GetString(Assert.Single(received).Body));
    }

    [Fact]
    public async Task Credit_running_low_after_receiving_schedules_the_next_step()
    {
        var clock = TestWallets.Clock();
        await using var wallet = await FundedWalletAsync(clock, lowCredit: 3 * Credit);
        await wallet.CreateQueueAsync(network.Relay.Address, "inbox");
        clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(TopUpStatus.Done, Assert.Single(await wallet.TopUps.RunDueAsync()).Status);

        // 16 messages at 2 per credit use 8 of the 10 credits.
        for (var i = 0; i < 16; i++)
        {
            Assert.Equal(SendStatus.Sent, (await wallet.SendAsync("inbox", new[] { (byte)i })).Status);
        }

        Assert.Empty(wallet.TopUps.Pending);
        var messages = await wallet.ReceiveAsync("inbox");

        Assert.Equal(16, messages.Count);
        Assert.Equal(2 * Credit, wallet.Queues.Single().Balance);
        var next = Assert.Single(wallet.TopUps.Pending);
        Assert.Equal(TopUpReason.LowCredit, next.Reason);
        Assert.True(next.DueAt > clock.GetUtcNow());
        Assert.Equal(89, wallet.AvailableTokens);

        clock.Advance(next.DueAt - clock.GetUtcNow());
        Assert.Equal(12 * Credit, Assert.Single(await wallet.TopUps.RunDueAsync()).Balance);
    }

    [Fact]
    public async Task Without_a_full_step_of_tokens_a_top_up_waits_and_reserves_nothing()
    {
        var clock = TestWallets.Clock();
        await using var wallet = await FundedWalletAsync(clock, step: 100);
        await wallet.CreateQueueAsync(network.Relay.Address, "inbox");
        clock.Advance(TimeSpan.FromMinutes(5));

        var outcome = Assert.Single(await wallet.TopUps.RunDueAsync());

        Assert.Equal(TopUpStatus.WaitingForTokens, outcome.Status);
        Assert.True(outcome.NextDue > clock.GetUtcNow());
        Assert.Equal(99, wallet.AvailableTokens);
        Assert.Equal(0, wallet.GetBalance().TokensReserved);
        Assert.Single(wallet.TopUps.Pending);
    }

    [Fact]
    public async Task Freshly_redeemed_tokens_are_not_spent_before_the_policys_minimum_age()
    {
        var clock = TestWallets.Clock();
        var options = TestWallets.Careful(clock);
        options = options with { Spending = options.Spending! with { MinTokenAge = TimeSpan.FromMinutes(30) } };
        await using var wallet = TestWallets.Create(_dir.File("aged.sxlw"), options);
        using var issuer = network.IssuerSession();
        await wallet.RedeemCardAsync((await network.Issuer.CreateCardsAsync(100))[0], issuer);

        var redeemedAt = clock.GetUtcNow();
        var tooSoon = await Assert.ThrowsAsync<TokensTooYoungException>(() => wallet.CreateQueueAsync(network.Relay.Address, "inbox"));
        Assert.Equal(WalletError.InsufficientTokens, tooSoon.Error);
        Assert.Contains("30m", tooSoon.Message, StringComparison.Ordinal);
        Assert.Empty(wallet.Queues);
        Assert.Equal(100, wallet.AvailableTokens);

        // When to try again: once the tokens are 30 minutes old, plus a random delay drawn afresh each time (the
        // policy's 1–5 minutes), so the payment's distance from the redemption is not a constant.
        Assert.InRange(tooSoon.SpendableAt, redeemedAt.AddMinutes(30).AddSeconds(-1), redeemedAt.AddMinutes(30));
        var retries = new List<DateTimeOffset> { tooSoon.RetryAt };
        for (var i = 0; i < 4; i++)
        {
            retries.Add((await Assert.ThrowsAsync<TokensTooYoungException>(() => wallet.CreateQueueAsync(network.Relay.Address, "inbox"))).RetryAt);
        }

        Assert.All(retries, r => Assert.InRange(r, tooSoon.SpendableAt.AddMinutes(1), tooSoon.SpendableAt.AddMinutes(5)));
        Assert.True(retries.Distinct().Count() > 1, "every refusal draws its own delay");
        Assert.Empty(wallet.Queues);

        clock.Advance(TimeSpan.FromMinutes(30));
        var queue = await wallet.CreateQueueAsync(network.Relay.Address, "inbox");
        Assert.Equal(QueueState.Active, queue.State);
        Assert.Equal(99, wallet.AvailableTokens);
    }

    [Fact]
    public async Task A_top_up_cut_off_after_reserving_resends_the_same_tokens_to_the_same_queue()
    {
        var clock = TestWallets.Clock();
        var relays = new RecordingConnector();
        var path = _dir.File("resume.sxlw");
        string[] reserved;
        await using (var wallet = TestWallets.Create(path, TestWallets.Careful(clock, relays: relays)))
        {
            using var issuer = network.IssuerSession();
            await wallet.RedeemCardAsync((await network.Issuer.CreateCardsAsync(100))[0], issuer);
            await wallet.CreateQueueAsync(network.Relay.Address, "inbox");
            clock.Advance(TimeSpan.FromMinutes(5));
            relays.FailNext(1);

            var failed = Assert.Single(await wallet.TopUps.RunDueAsync());

            Assert.Equal(TopUpStatus.RetryLater, failed.Status);
            Assert.Equal(10, wallet.GetBalance().TokensReserved);
            reserved = wallet.Read(s => s.Tokens.Values.Where(t => t.ReservedFor is not null).Select(t => Convert.ToHexString(t.Token)).Order().ToArray());
        }

        // Reopened (as after a restart): the reservation survived, and the same ten tokens are paid.
        await using var reopened = UserWallet.Open(path, TestWallets.Passphrase, TestWallets.Careful(clock, relays: relays));
        Assert.Equal(10, reopened.GetBalance().TokensReserved);
        var pending = Assert.Single(reopened.TopUps.Pending);
        Assert.Equal(10, pending.ReservedTokens);
        clock.Advance(pending.DueAt - clock.GetUtcNow());
        var before = reopened.Read(s => s.Tokens.Values.Select(t => Convert.ToHexString(t.Token)).ToHashSet());

        var outcome = Assert.Single(await reopened.TopUps.RunDueAsync());

        Assert.Equal((TopUpStatus.Done, 10), (outcome.Status, outcome.TokensPaid));
        var after = reopened.Read(s => s.Tokens.Values.Select(t => Convert.ToHexString(t.Token)).ToHashSet());
        Assert.Equal(reserved, before.Except(after).Order());
        Assert.Equal(89, reopened.AvailableTokens);
    }

    [Fact]
    public async Task The_scheduler_loop_runs_a_top_up_when_the_clock_reaches_it()
    {
        var clock = TestWallets.Clock();
        await using var wallet = await FundedWalletAsync(clock);
        var done = new TaskCompletionSource<TopUpOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        wallet.TopUps.Completed += o => done.TrySetResult(o);
        using var stop = new CancellationTokenSource();
        var loop = Task.Run(() => wallet.TopUps.RunAsync(stop.Token));

        await wallet.CreateQueueAsync(network.Relay.Address, "inbox");
        var due = Assert.Single(wallet.TopUps.Pending).DueAt;
        Assert.False(done.Task.IsCompleted);
        clock.Advance(due - clock.GetUtcNow());

        var outcome = await done.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(TopUpStatus.Done, outcome.Status);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => loop);
    }

    [Fact]
    public async Task A_careless_wallet_fetches_one_token_and_pays_the_moment_it_is_asked()
    {
        var clock = TestWallets.Clock();
        using var issuer = network.IssuerSession();
        var relays = new RecordingConnector(new SharedRelayConnections());
        await using var wallet = TestWallets.Create(_dir.File("careless.sxlw"), new WalletOptions { Time = clock, Spending = SpendingPolicy.Careless, Issuer = issuer, Relays = relays });
        var code = (await network.Issuer.CreateCardsAsync(100))[0];
        await wallet.RedeemCardAsync(code, issuer);
        Assert.Equal(100, await network.Issuer.RemainingAsync(code));

        var queue = await wallet.CreateQueueAsync(network.Relay.Address, "inbox");
        // Created (one token fetched then), found at 0 credit, topped up at once with one more token fetched then.
        Assert.Equal(Credit, queue.Balance);
        Assert.Equal(98, await network.Issuer.RemainingAsync(code));
        Assert.Empty(wallet.TopUps.Pending);

        Assert.Equal(SendStatus.Sent, (await wallet.SendAsync(queue.SenderLink!, "1"u8.ToArray())).Status);
        Assert.Equal(SendStatus.Sent, (await wallet.SendAsync(queue.SenderLink!, "2"u8.ToArray())).Status);
        Assert.Equal(SendStatus.Sent, (await wallet.SendAsync(queue.SenderLink!, "3"u8.ToArray())).Status);
        Assert.Equal(97, await network.Issuer.RemainingAsync(code));
        Assert.Equal(0, wallet.AvailableTokens);
    }

    public void Dispose() => _dir.Dispose();
}
