using Microsoft.Extensions.DependencyInjection;
using SimpleXLedger.Net;
using SimpleXLedger.Protos.Relay;
using SimpleXLedger.Relay.Client;
using SimpleXLedger.Relay.Hosting;
using SimpleXLedger.Relay.Metering.Tokens;
using SimpleXLedger.Relay.Tests.Support;
using SimpleXLedger.Testing;

namespace SimpleXLedger.Relay.Tests;

/// <summary>
/// A paid create whose answer was lost (the relay crashed after committing it, the connection dropped) comes again
/// with the same recipient key and the same, now spent, token: the signer gets back the queue its token paid for —
/// also after a restart — and pays nothing again, so a wallet's retry never buys a second queue or loses its token.
/// The audit's fault section kills the relay at <c>relay.create.after-commit</c> for the same case.
/// </summary>
public sealed class CreateRetryTests(TokenFixture tokens) : IClassFixture<TokenFixture>
{
    [Fact]
    public async Task A_create_retried_with_its_spent_token_gets_the_queue_it_paid_for_even_after_a_restart()
    {
        using var dir = new TempDirectory();
        var redeemer = new TestRedeemer();
        var options = Relays.Options(dir.Path, "tokens") with { MeteringSettings = tokens.Settings() };
        using var key = RelayProtocol.NewKey();
        var payment = tokens.Mint();
        QueueCreated first;
        PinnedAddress address;
        await using (var relay = await Relays.StartAsync(options, services: s => s.AddSingleton<ITokenRedeemer>(redeemer)))
        {
            address = relay.Address;
            await using var client = await RelayClient.ConnectAsync(relay.Address);
            first = await client.CreateQueueAsync(key, paymentToken: payment);
            var credit = await client.TopUpAsync(first.RecipientId.Memory, key, tokens.Mint());

            var again = await client.CreateQueueAsync(key, paymentToken: payment);
            Assert.Equal(first.RecipientId, again.RecipientId);
            Assert.Equal(first.SenderId, again.SenderId);
            Assert.Equal(credit.Amount, again.Balance.Amount);
            Assert.Equal(credit.Amount, (await client.InfoAsync(first.RecipientId.Memory, key)).Balance.Amount);
            Assert.Equal(2, redeemer.Accepted.Count);
        }

        await using (var relay = await Relays.StartAsync(options with { Listen = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, address.Port) }, services: s => s.AddSingleton<ITokenRedeemer>(redeemer)))
        {
            await using var client = await RelayClient.ConnectAsync(relay.Address);
            var afterRestart = await client.CreateQueueAsync(key, paymentToken: payment);
            Assert.Equal(first.RecipientId, afterRestart.RecipientId);
            Assert.Equal(2, redeemer.Accepted.Count);

            // The spent token buys nothing for a key that made no queue.
            using var stranger = RelayProtocol.NewKey();
            var refused = await Assert.ThrowsAsync<RelayException>(() => client.CreateQueueAsync(stranger, paymentToken: payment));
            Assert.Equal(ErrorCode.PaymentRefused, refused.Code);

            // A fresh payment with the same key makes another queue, paid again (keys may be reused, as before).
            var other = await client.CreateQueueAsync(key, paymentToken: tokens.Mint());
            Assert.NotEqual(first.RecipientId, other.RecipientId);
            Assert.Equal(3, redeemer.Accepted.Count);
        }
    }

    [Fact]
    public async Task A_deleted_queue_is_not_given_back_to_a_retried_create()
    {
        using var dir = new TempDirectory();
        var redeemer = new TestRedeemer();
        var options = Relays.Options(dir.Path, "tokens") with { MeteringSettings = tokens.Settings() };
        await using var relay = await Relays.StartAsync(options, services: s => s.AddSingleton<ITokenRedeemer>(redeemer));
        await using var client = await RelayClient.ConnectAsync(relay.Address);
        using var key = RelayProtocol.NewKey();
        var payment = tokens.Mint();
        var first = await client.CreateQueueAsync(key, paymentToken: payment);
        await client.DeleteAsync(first.RecipientId.Memory, key);

        var refused = await Assert.ThrowsAsync<RelayException>(() => client.CreateQueueAsync(key, paymentToken: payment));
        Assert.Equal(ErrorCode.PaymentRefused, refused.Code);
        Assert.Single(redeemer.Accepted);
    }
}
