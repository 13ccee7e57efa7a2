using Microsoft.Extensions.DependencyInjection;
using SimpleXLedger.Protos.Relay;
using SimpleXLedger.Relay.Client;
using SimpleXLedger.Relay.Hosting;
using SimpleXLedger.Relay.Metering.Tokens;
using SimpleXLedger.Relay.Tests.Support;
using SimpleXLedger.Testing;

namespace SimpleXLedger.Relay.Tests;

/// <summary>
/// A token issued since its issuer last anchored its issued totals (once per period) is answered "retry later" by the
/// clearing house. It is an honest token: the payment is denied as unavailable and the token is not spent, so the
/// wallet's later retry (here or at another relay) is credited; a token the relay credited from its risk budget stays
/// in the outbox and is redeemed once the clearing house accepts it, instead of being written off.
/// </summary>
public sealed class NotYetAnchoredTokenTests(TokenFixture tokens) : IClassFixture<TokenFixture>
{
    [Fact]
    public async Task A_token_not_yet_anchored_is_answered_try_again_later_stays_unspent_and_a_later_retry_is_credited()
    {
        using var dirA = new TempDirectory();
        using var dirB = new TempDirectory();
        var redeemer = new TestRedeemer { Later = true };
        Action<IServiceCollection> services = s => s.AddSingleton<ITokenRedeemer>(redeemer);
        await using var relayA = await Relays.StartAsync(Relays.Options(dirA.Path, "tokens") with { MeteringSettings = tokens.Settings(riskBudget: 5) }, services: services);
        await using var relayB = await Relays.StartAsync(Relays.Options(dirB.Path, "tokens") with { MeteringSettings = tokens.Settings() }, services: s => s.AddSingleton<ITokenRedeemer>(redeemer));
        await using var clientA = await RelayClient.ConnectAsync(relayA.Address);
        await using var clientB = await RelayClient.ConnectAsync(relayB.Address);
        using var keyA = RelayProtocol.NewKey();
        using var keyB = RelayProtocol.NewKey();
        var qA = await clientA.CreateQueueAsync(keyA);
        var qB = await clientB.CreateQueueAsync(keyB);
        var token = tokens.Mint();

        // Not yet anchored: "try again later", never refused or spent, and not credited on the risk budget either.
        var first = await Assert.ThrowsAsync<RelayException>(() => clientA.TopUpAsync(qA.RecipientId.Memory, keyA, token));
        Assert.Equal(ErrorCode.Unavailable, first.Code);
        Assert.Contains("try again later", first.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("spent", first.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, (await clientA.InfoAsync(qA.RecipientId.Memory, keyA)).Balance.Amount);

        // The relay kept nothing of it: asked again, it redeems it again (not "already spent").
        var again = await Assert.ThrowsAsync<RelayException>(() => clientA.TopUpAsync(qA.RecipientId.Memory, keyA, token));
        Assert.Equal(ErrorCode.Unavailable, again.Code);
        Assert.Equal(2, redeemer.LaterAnswers);
        Assert.Empty(redeemer.Accepted);

        // Once anchored, the same token pays at the same relay, once.
        redeemer.Later = false;
        Assert.Equal(1_000_000, (await clientA.TopUpAsync(qA.RecipientId.Memory, keyA, token)).Amount);
        Assert.Equal(token, redeemer.Accepted.Single());
        var twice = await Assert.ThrowsAsync<RelayException>(() => clientA.TopUpAsync(qA.RecipientId.Memory, keyA, token));
        Assert.Equal(ErrorCode.PaymentRefused, twice.Code);

        // Another token answered "later" at one relay is just as spendable at another.
        var other = tokens.Mint();
        redeemer.Later = true;
        Assert.Equal(ErrorCode.Unavailable, (await Assert.ThrowsAsync<RelayException>(() => clientA.TopUpAsync(qA.RecipientId.Memory, keyA, other))).Code);
        redeemer.Later = false;
        Assert.Equal(1_000_000, (await clientB.TopUpAsync(qB.RecipientId.Memory, keyB, other)).Amount);
        var spentElsewhere = await Assert.ThrowsAsync<RelayException>(() => clientA.TopUpAsync(qA.RecipientId.Memory, keyA, other));
        Assert.Equal(ErrorCode.PaymentRefused, spentElsewhere.Code);
        Assert.Contains("already spent", spentElsewhere.Message, StringComparison.Ordinal);
        Assert.Equal(1_000_000, (await clientA.InfoAsync(qA.RecipientId.Memory, keyA)).Balance.Amount);
    }

    [Fact]
    public async Task A_token_from_the_outbox_not_yet_anchored_stays_queued_and_is_redeemed_once_accepted()
    {
        using var dir = new TempDirectory();
        var log = new CapturingLoggerProvider();
        var redeemer = new TestRedeemer { Unavailable = true };
        var options = Relays.Options(dir.Path, "tokens") with { MeteringSettings = tokens.Settings(riskBudget: 1) };
        await using var relay = await Relays.StartAsync(options, log: log, services: s => s.AddSingleton<ITokenRedeemer>(redeemer));
        await using var client = await RelayClient.ConnectAsync(relay.Address);
        using var key = RelayProtocol.NewKey();
        var q = await client.CreateQueueAsync(key);

        // Credited on the risk budget while the clearing house is down: the token waits in the outbox.
        var token = tokens.Mint();
        Assert.Equal(1_000_000, (await client.TopUpAsync(q.RecipientId.Memory, key, token)).Amount);

        // The house is back but the issuer has not anchored the token yet: twice "later", kept both times.
        redeemer.Later = true;
        redeemer.Unavailable = false;
        await redeemer.WaitForLaterAnswersAsync(2, TimeSpan.FromSeconds(60));
        Assert.Empty(redeemer.Accepted);

        // Still on the risk budget (budget 1): the outbox holds it, so a second offline credit is refused.
        redeemer.Unavailable = true;
        Assert.Equal(ErrorCode.Unavailable, (await Assert.ThrowsAsync<RelayException>(() => client.TopUpAsync(q.RecipientId.Memory, key, tokens.Mint()))).Code);

        // Anchored: the next round redeems it, and it is not written off.
        redeemer.Later = false;
        redeemer.Unavailable = false;
        await redeemer.WaitForAcceptedAsync(1, TimeSpan.FromSeconds(60));
        Assert.Equal(token, redeemer.Accepted.Single());
        Assert.DoesNotContain(log.Lines, l => l.Contains("operator's loss", StringComparison.Ordinal));
        Assert.Equal(1_000_000, (await client.InfoAsync(q.RecipientId.Memory, key)).Balance.Amount);
    }

    [Fact]
    public async Task An_outbox_token_still_not_anchored_when_its_key_is_past_redeem_until_is_written_off()
    {
        using var dir = new TempDirectory();
        var log = new CapturingLoggerProvider();
        var chainTime = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var source = new TestKeySource
        {
            Keys = new TrustedKeySet([new TrustedTokenKey(tokens.IssuerKey.PublicKey.ExportSpki(), chainTime.AddHours(-1), chainTime.AddDays(1))], chainTime),
        };
        var settings = tokens.Settings(riskBudget: 1);
        settings.Remove("tokenKeys");
        var redeemer = new TestRedeemer { Unavailable = true };
        var options = Relays.Options(dir.Path, "tokens") with { MeteringSettings = settings };
        await using var relay = await Relays.StartAsync(options, log: log, services: s => s.AddSingleton<ITokenRedeemer>(redeemer).AddSingleton<ITokenKeySource>(source));
        await using var client = await RelayClient.ConnectAsync(relay.Address);
        using var key = RelayProtocol.NewKey();
        var q = await client.CreateQueueAsync(key);
        Assert.Equal(1_000_000, (await client.TopUpAsync(q.RecipientId.Memory, key, tokens.Mint())).Amount);

        redeemer.Later = true;
        redeemer.Unavailable = false;
        await redeemer.WaitForLaterAnswersAsync(1, TimeSpan.FromSeconds(60));
        Assert.DoesNotContain(log.Lines, l => l.Contains("operator's loss", StringComparison.Ordinal));

        // The key's window closes with the token still not anchored: it can never be redeemed, so it leaves the outbox.
        // Waited for by the write-off itself, not by one more "later" answer: the round answered just before the clock
        // moved may be the one that writes it off, and then no round follows (failed once in CI that way).
        source.At(chainTime.AddDays(1));
        await WaitForAsync(() => log.Lines.Any(l => l.Contains("1 of 1 tokens credited while the redeemer was down were refused (the operator's loss)", StringComparison.Ordinal)));
        Assert.Empty(redeemer.Accepted);
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!condition())
        {
            // The log has no event to wait on; the line follows the redeemer's answer within one outbox round.
            await Task.Delay(TimeSpan.FromMilliseconds(20), deadline.Token);
        }
    }

    private sealed class TestKeySource : ITokenKeySource
    {
        public volatile TrustedKeySet Keys = new([], DateTimeOffset.UnixEpoch);

        public ValueTask<TrustedKeySet> GetKeysAsync(CancellationToken cancellationToken) => ValueTask.FromResult(Keys);

        public void At(DateTimeOffset now) => Keys = Keys with { Now = now };
    }
}
