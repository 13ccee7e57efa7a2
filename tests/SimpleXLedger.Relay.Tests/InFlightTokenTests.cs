using Microsoft.Extensions.DependencyInjection;
using SimpleXLedger.Protos.Relay;
using SimpleXLedger.Relay.Client;
using SimpleXLedger.Relay.Hosting;
using SimpleXLedger.Relay.Metering.Tokens;
using SimpleXLedger.Relay.Tests.Support;
using SimpleXLedger.Testing;

namespace SimpleXLedger.Relay.Tests;

/// <summary>
/// A token whose redemption is still under way is not "spent": a second payment with it is asked to try again. Said
/// "spent", a wallet drops the token — and if the first payment then credits nothing (the relay gave up waiting for the
/// clearing house while the house still recorded it), the user has paid for nothing. The audit's fault section found
/// this with the clearing house killed for longer than the relay waits.
/// </summary>
public sealed class InFlightTokenTests(TokenFixture tokens) : IClassFixture<TokenFixture>
{
    [Fact]
    public async Task A_token_in_redemption_is_answered_try_again_and_after_a_timed_out_payment_its_retry_is_credited_once()
    {
        using var dir = new TempDirectory();
        var redeemer = new GatedRedeemer();
        var options = Relays.Options(dir.Path, "tokens") with { MeteringSettings = tokens.Settings(), MeteringTimeout = TimeSpan.FromMilliseconds(500) };
        await using var relay = await Relays.StartAsync(options, services: s => s.AddSingleton<ITokenRedeemer>(redeemer));
        await using var client = await RelayClient.ConnectAsync(relay.Address);
        using var key = RelayProtocol.NewKey();
        var q = await client.CreateQueueAsync(key);
        var token = tokens.Mint();

        // The clearing house does not answer: the relay gives up waiting (its metering timeout) and credits nothing.
        var first = await Assert.ThrowsAsync<RelayException>(() => client.TopUpAsync(q.RecipientId.Memory, key, token));
        Assert.NotEqual(ErrorCode.PaymentRefused, first.Code);
        await redeemer.Started.WaitAsync(TimeSpan.FromSeconds(30));

        // Tried again while that redemption is still under way: not "spent", try again.
        var second = await Assert.ThrowsAsync<RelayException>(() => client.TopUpAsync(q.RecipientId.Memory, key, token));
        Assert.Equal(ErrorCode.Unavailable, second.Code);
        Assert.DoesNotContain("spent", second.Message, StringComparison.OrdinalIgnoreCase);

        // The house answers the abandoned redemption (accepted); the relay had given up, so nothing was credited.
        redeemer.Release();
        await redeemer.Finished.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, (await client.InfoAsync(q.RecipientId.Memory, key)).Balance.Amount);

        // The wallet's next retry (once the abandoned payment has let go of the token) redeems it again (the house
        // answers "accepted earlier" to the same relay), and it is credited once.
        Assert.Equal(1_000_000, (await RetryWhileInFlightAsync(() => client.TopUpAsync(q.RecipientId.Memory, key, token))).Amount);
        Assert.Equal(ErrorCode.PaymentRefused, (await Assert.ThrowsAsync<RelayException>(() => client.TopUpAsync(q.RecipientId.Memory, key, token))).Code);
        Assert.Equal(1_000_000, (await client.InfoAsync(q.RecipientId.Memory, key)).Balance.Amount);
    }

    private static async Task<T> RetryWhileInFlightAsync<T>(Func<Task<T>> call)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            try
            {
                return await call();
            }
            catch (RelayException e) when (e.Code == ErrorCode.Unavailable && !deadline.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), deadline.Token);
            }
        }
    }

    /// <summary>A redeemer whose first call waits until released; every call accepts (as the clearing house does for the same relay).</summary>
    private sealed class GatedRedeemer : ITokenRedeemer
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _calls;

        public Task Started => _started.Task;

        public Task Finished => _finished.Task;

        public void Release() => _gate.TrySetResult();

        public async ValueTask<IReadOnlyList<RedemptionOutcome>> RedeemAsync(IReadOnlyList<ReadOnlyMemory<byte>> tokens, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _calls) == 1)
            {
                _started.TrySetResult();
                await _gate.Task;
                _finished.TrySetResult();
            }

            return [.. tokens.Select(_ => RedemptionOutcome.Accepted)];
        }
    }
}
