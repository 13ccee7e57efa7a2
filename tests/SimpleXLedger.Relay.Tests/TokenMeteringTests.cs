using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SimpleXLedger.Hosting.Startup;
using SimpleXLedger.Protos.Relay;
using SimpleXLedger.Relay.Client;
using SimpleXLedger.Relay.Hosting;
using SimpleXLedger.Relay.Metering.Tokens;
using SimpleXLedger.Relay.Tests.Support;
using SimpleXLedger.Testing;
using SimpleXLedger.Testing.Observability;
using SimpleXLedger.Tokens;

namespace SimpleXLedger.Relay.Tests;

/// <summary>The shipped tokens plugin, loaded from sxl's plugins directory, paid with real blind-signed tokens.</summary>
public sealed class TokenMeteringTests(TokenFixture tokens) : IClassFixture<TokenFixture>
{
    private async Task<(RelayServer Relay, TestRedeemer Redeemer)> StartAsync(TempDirectory dir, Dictionary<string, string>? settings = null, CapturingLoggerProvider? log = null, TimeProvider? clock = null, ITokenKeySource? keySource = null, ServiceObservability? observability = null)
    {
        var redeemer = new TestRedeemer();
        var options = Relays.Options(dir.Path, "tokens") with { MeteringSettings = settings ?? tokens.Settings(), Observability = observability ?? ServiceObservability.None };
        var relay = await Relays.StartAsync(options, clock, log, services =>
        {
            services.AddSingleton<ITokenRedeemer>(redeemer);
            if (keySource is not null)
            {
                services.AddSingleton(keySource);
            }
        });
        return (relay, redeemer);
    }

    [Fact]
    public async Task Out_of_credit_asks_for_payment_with_the_network_challenge_then_a_top_up_pays()
    {
        using var dir = new TempDirectory();
        var log = new CapturingLoggerProvider();
        var (relay, _) = await StartAsync(dir, log: log);
        await using var _relay = relay;
        await using var client = await RelayClient.ConnectAsync(relay.Address);
        using var key = RelayProtocol.NewKey();
        var q = await client.CreateQueueAsync(key);
        Assert.Equal(0, q.Balance.Amount);
        Assert.Equal("microcredits", q.Balance.Unit);

        var required = await Assert.ThrowsAsync<RelayException>(() => client.SendAsync(q.SenderId.Memory, null, "hi"u8.ToArray()));
        Assert.Equal(ErrorCode.PaymentRequired, required.Code);
        Assert.True(PrivateTokenHeaders.TryParseChallenges(required.WwwAuthenticate, out var challenges));
        Assert.Equal(tokens.Challenge, challenges[0].Challenge);
        Assert.Equal(tokens.IssuerKey.PublicKey, challenges[0].TokenKey);

        var token = tokens.Mint();
        var balance = await client.TopUpAsync(q.RecipientId.Memory, key, token);
        Assert.Equal(1_000_000, balance.Amount);
        await client.SendAsync(q.SenderId.Memory, null, "one"u8.ToArray());
        await client.SendAsync(q.SenderId.Memory, null, "two"u8.ToArray());
        Assert.Equal(0, (await client.InfoAsync(q.RecipientId.Memory, key)).Balance.Amount);
        Assert.Equal(ErrorCode.PaymentRequired, (await Assert.ThrowsAsync<RelayException>(() => client.SendAsync(q.SenderId.Memory, null, "three"u8.ToArray()))).Code);

        // A token can also ride on the send itself.
        await client.SendAsync(q.SenderId.Memory, null, "three"u8.ToArray(), tokens.Mint());
        Assert.Equal(500_000, (await client.InfoAsync(q.RecipientId.Memory, key)).Balance.Amount);
        Assert.Equal(3u, (await client.InfoAsync(q.RecipientId.Memory, key)).PendingMessages);

        // Logs hold neither the token nor the queue's ids.
        Assert.DoesNotContain(Base64Url(token), log.All, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToHexString(token[2..34]), log.All, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Base64Url(q.RecipientId.ToByteArray()), log.All, StringComparison.Ordinal);
        Assert.DoesNotContain(Base64Url(q.SenderId.ToByteArray()), log.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_attached_as_authorization_header_pays_for_a_queue()
    {
        using var dir = new TempDirectory();
        var settings = tokens.Settings();
        settings["creditsPerQueue"] = "0.25";
        var (relay, _) = await StartAsync(dir, settings);
        await using var _relay = relay;
        await using var client = await RelayClient.ConnectAsync(relay.Address);
        using var key = RelayProtocol.NewKey();
        Assert.Equal(ErrorCode.PaymentRequired, (await Assert.ThrowsAsync<RelayException>(() => client.CreateQueueAsync(key))).Code);

        var create = new Command { Create = new CreateQueue { RecipientKey = Google.Protobuf.ByteString.CopyFrom(RelayProtocol.PublicKeyBytes(key)) } };
        var reply = await client.ExecuteAsync(create, key, authorizationToken: tokens.Mint());
        Assert.Equal(750_000, reply.Created.Balance.Amount);
    }

    [Fact]
    public async Task A_token_spent_once_is_refused_the_second_time_even_after_a_restart()
    {
        using var dir = new TempDirectory();
        using var key = RelayProtocol.NewKey();
        var token = tokens.Mint();
        byte[] rid2;
        var (relay, redeemer) = await StartAsync(dir);
        await using (relay)
        {
            await using var client = await RelayClient.ConnectAsync(relay.Address);
            var q1 = await client.CreateQueueAsync(key);
            var q2 = await client.CreateQueueAsync(key);
            rid2 = q2.RecipientId.ToByteArray();
            Assert.Equal(1_000_000, (await client.TopUpAsync(q1.RecipientId.Memory, key, token)).Amount);

            var again = await Assert.ThrowsAsync<RelayException>(() => client.TopUpAsync(q2.RecipientId.Memory, key, token));
            Assert.Equal(ErrorCode.PaymentRefused, again.Code);
            Assert.Contains("already spent", again.Message, StringComparison.Ordinal);
            Assert.Equal(0, (await client.InfoAsync(q2.RecipientId.Memory, key)).Balance.Amount);
            Assert.Single(redeemer.Accepted);

            // Concurrent double spends: exactly one wins.
            var twice = tokens.Mint();
            var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
            {
                try
                {
                    await client.TopUpAsync(q2.RecipientId.Memory, key, twice);
                    return true;
                }
                catch (RelayException e) when (e.Code is ErrorCode.PaymentRefused or ErrorCode.Unavailable)
                {
                    // Refused as spent, or, while the winner is still being redeemed, asked to try again.
                    return false;
                }
            }));
            Assert.Equal(1, results.Count(r => r));
            Assert.Equal(1_000_000, (await client.InfoAsync(q2.RecipientId.Memory, key)).Balance.Amount);
            Assert.Equal(ErrorCode.PaymentRefused, (await Assert.ThrowsAsync<RelayException>(() => client.TopUpAsync(q2.RecipientId.Memory, key, twice))).Code);
        }

        // A fresh redeemer would accept it: only the relay's durable spent-set can refuse it now.
        (relay, _) = await StartAsync(dir);
        await using (relay)
        {
            await using var client = await RelayClient.ConnectAsync(relay.Address);
            Assert.Equal(ErrorCode.PaymentRefused, (await Assert.ThrowsAsync<RelayException>(() => client.TopUpAsync(rid2, key, token))).Code);
            Assert.Equal(1_000_000, (await client.InfoAsync(rid2, key)).Balance.Amount);
        }
    }

    [Fact]
    public async Task Tokens_refused_offline_or_by_the_redeemer_credit_nothing()
    {
        using var dir = new TempDirectory();
        using var otherIssuer = TokenPrivateKey.Generate();
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var settings = tokens.Settings(tokenKeys: $"{tokens.IssuerKey.PublicKey.ToBase64Url()},{otherIssuer.PublicKey.ToBase64Url()}:{now - 1000}:{now - 10}");
        var (relay, redeemer) = await StartAsync(dir, settings);
        await using var _relay = relay;
        await using var client = await RelayClient.ConnectAsync(relay.Address);
        using var key = RelayProtocol.NewKey();
        var q = await client.CreateQueueAsync(key);

        using var unknownIssuer = TokenPrivateKey.Generate();
        var forged = tokens.Mint();
        forged[^1] ^= 1;
        var spentElsewhere = tokens.Mint();
        redeemer.SpendElsewhere(spentElsewhere);
        var cases = new (byte[] Token, string Why)[]
        {
            (tokens.Mint(unknownIssuer), "not one this relay trusts"),
            (tokens.Mint(otherIssuer), "past its redeem-until"),
            (tokens.Mint(challenge: TokenChallenge.ForNetwork("another.network")), "this network's challenge"),
            (forged, "does not verify"),
            ([1, 2, 3], "not a valid token"),
            (spentElsewhere, "already spent"),
        };
        foreach (var (token, why) in cases)
        {
            var e = await Assert.ThrowsAsync<RelayException>(() => client.TopUpAsync(q.RecipientId.Memory, key, token));
            Assert.Equal(ErrorCode.PaymentRefused, e.Code);
            Assert.Contains(why, e.Message, StringComparison.Ordinal);
        }

        Assert.Equal(0, (await client.InfoAsync(q.RecipientId.Memory, key)).Balance.Amount);
        Assert.Empty(redeemer.Accepted);
    }

    [Fact]
    public async Task While_the_redeemer_is_down_tokens_credit_within_the_risk_budget_and_are_redeemed_later()
    {
        using var dir = new TempDirectory();
        var (relay, redeemer) = await StartAsync(dir, tokens.Settings(riskBudget: 1));
        await using var _relay = relay;
        await using var client = await RelayClient.ConnectAsync(relay.Address);
        using var key = RelayProtocol.NewKey();
        var q = await client.CreateQueueAsync(key);
        redeemer.Unavailable = true;

        var first = tokens.Mint();
        Assert.Equal(1_000_000, (await client.TopUpAsync(q.RecipientId.Memory, key, first)).Amount);
        var overBudget = await Assert.ThrowsAsync<RelayException>(() => client.TopUpAsync(q.RecipientId.Memory, key, tokens.Mint()));
        Assert.Equal(ErrorCode.Unavailable, overBudget.Code);
        Assert.Equal(1_000_000, (await client.InfoAsync(q.RecipientId.Memory, key)).Balance.Amount);

        redeemer.Unavailable = false;
        await redeemer.WaitForAcceptedAsync(1, TimeSpan.FromSeconds(30));
        Assert.Equal(first, redeemer.Accepted.Single());

        // The budget is free again once the outbox drained.
        await WaitUntilAsync(async () =>
        {
            try
            {
                redeemer.Unavailable = true;
                await client.TopUpAsync(q.RecipientId.Memory, key, tokens.Mint());
                return true;
            }
            catch (RelayException e) when (e.Code == ErrorCode.Unavailable)
            {
                return false;
            }
        });
        Assert.Equal(2_000_000, (await client.InfoAsync(q.RecipientId.Memory, key)).Balance.Amount);
    }

    [Fact]
    public async Task Metrics_show_the_outbox_against_the_risk_budget_and_refusals_by_reason()
    {
        using var dir = new TempDirectory();
        var metrics = new IPEndPoint(IPAddress.Loopback, FreePort.Next());
        var (relay, redeemer) = await StartAsync(dir, tokens.Settings(riskBudget: 2), observability: new ServiceObservability { Metrics = metrics });
        await using var _relay = relay;
        await using var client = await RelayClient.ConnectAsync(relay.Address);
        using var key = RelayProtocol.NewKey();
        var q = await client.CreateQueueAsync(key);

        var idle = await Scrape.MetricsAsync(relay.MetricsUrl!);
        Assert.Equal((0, 2), (idle.Sum("sxl_relay_outbox_tokens"), idle.Sum("sxl_relay_risk_budget_tokens")));
        Assert.Equal(0, idle.Sum("sxl_relay_metering_refusals_total"));

        // Unpaid work is refused as payment required; a spent token as payment refused.
        await Assert.ThrowsAsync<RelayException>(() => client.SendAsync(q.SenderId.Memory, null, "hi"u8.ToArray()));
        var paid = tokens.Mint();
        await client.TopUpAsync(q.RecipientId.Memory, key, paid);
        await Assert.ThrowsAsync<RelayException>(() => client.TopUpAsync(q.RecipientId.Memory, key, paid));

        // The clearing house goes away: two tokens are credited on risk, the third is over the budget.
        redeemer.Unavailable = true;
        await client.TopUpAsync(q.RecipientId.Memory, key, tokens.Mint());
        await client.TopUpAsync(q.RecipientId.Memory, key, tokens.Mint());
        var over = await Assert.ThrowsAsync<RelayException>(() => client.TopUpAsync(q.RecipientId.Memory, key, tokens.Mint()));
        Assert.Equal(ErrorCode.Unavailable, over.Code);

        var down = await Scrape.MetricsAsync(relay.MetricsUrl!);
        Assert.Equal((2, 2), (down.Sum("sxl_relay_outbox_tokens"), down.Sum("sxl_relay_risk_budget_tokens")));
        Assert.Equal(
            (1, 1, 1, 0),
            (down.Sum("sxl_relay_metering_refusals_total", ("reason", "payment_required")), down.Sum("sxl_relay_metering_refusals_total", ("reason", "payment_refused")),
                down.Sum("sxl_relay_metering_refusals_total", ("reason", "unavailable")), down.Sum("sxl_relay_metering_refusals_total", ("reason", "quota_exceeded"))));
        Assert.Equal(("gauge", "counter"), (down.Types["sxl_relay_outbox_tokens"], down.Types["sxl_relay_metering_refusals_total"]));

        // It comes back: the outbox drains, and the gauge follows.
        redeemer.Unavailable = false;
        await redeemer.WaitForAcceptedAsync(3, TimeSpan.FromSeconds(30));
        await WaitUntilAsync(async () => (await Scrape.MetricsAsync(relay.MetricsUrl!)).Sum("sxl_relay_outbox_tokens") == 0);
    }

    [Fact]
    public async Task Stored_messages_are_charged_per_megabyte_day_and_never_below_zero()
    {
        using var dir = new TempDirectory();
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var settings = tokens.Settings();
        settings["creditsPerMbDay"] = "10";
        var (relay, _) = await StartAsync(dir, settings, clock: clock);
        await using var _relay = relay;
        await using var client = await RelayClient.ConnectAsync(relay.Address);
        using var key = RelayProtocol.NewKey();
        var q = await client.CreateQueueAsync(key);
        await client.TopUpAsync(q.RecipientId.Memory, key, tokens.Mint());
        await client.SendAsync(q.SenderId.Memory, null, new byte[16_000]);
        Assert.Equal(500_000, (await client.InfoAsync(q.RecipientId.Memory, key)).Balance.Amount);

        // 16,000 bytes for a day at 10 credits per MB-day: 0.16 credits.
        clock.Advance(TimeSpan.FromDays(1));
        await relay.SweepAsync();
        Assert.Equal(340_000, (await client.InfoAsync(q.RecipientId.Memory, key)).Balance.Amount);

        // Ten more days would cost 1.6 credits: the balance stops at zero and the message stays.
        clock.Advance(TimeSpan.FromDays(10));
        await relay.SweepAsync();
        var info = await client.InfoAsync(q.RecipientId.Memory, key);
        Assert.Equal(0, info.Balance.Amount);
        Assert.Equal(1u, info.PendingMessages);
    }

    private sealed class TestKeySource : ITokenKeySource
    {
        public volatile TrustedKeySet Keys = new([], DateTimeOffset.UnixEpoch);

        public volatile bool Unavailable;

        public ValueTask<TrustedKeySet> GetKeysAsync(CancellationToken cancellationToken) =>
            Unavailable ? throw new TokenKeysUnavailableException("down for the test") : ValueTask.FromResult(Keys);

        public void At(DateTimeOffset now) => Keys = Keys with { Now = now };
    }

    [Fact]
    public async Task Keys_and_windows_come_from_the_hosts_key_source_judged_at_its_time()
    {
        using var dir = new TempDirectory();
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var chainTime = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var spki = tokens.IssuerKey.PublicKey.ExportSpki();
        var source = new TestKeySource
        {
            // Usable an hour after the chain's time: not yet.
            Keys = new TrustedKeySet([new TrustedTokenKey(spki, chainTime.AddHours(1), chainTime.AddDays(90))], chainTime),
        };
        var settings = tokens.Settings();
        settings.Remove("tokenKeys");
        var (relay, _) = await StartAsync(dir, settings, clock: clock, keySource: source);
        await using var _relay = relay;
        await using var client = await RelayClient.ConnectAsync(relay.Address);
        using var key = RelayProtocol.NewKey();
        var q = await client.CreateQueueAsync(key);

        // The relay's own clock does not matter while the source answers: its time does.
        clock.Advance(TimeSpan.FromHours(2));
        var early = await Assert.ThrowsAsync<RelayException>(() => client.TopUpAsync(q.RecipientId.Memory, key, tokens.Mint()));
        Assert.Contains("not usable yet", early.Message, StringComparison.Ordinal);

        source.At(chainTime.AddHours(1)); // the first second of the window
        Assert.Equal(1_000_000, (await client.TopUpAsync(q.RecipientId.Memory, key, tokens.Mint())).Amount);

        // A lagging reading (another node behind) never moves the relay's time back.
        source.At(chainTime.AddMinutes(30));
        Assert.Equal(2_000_000, (await client.TopUpAsync(q.RecipientId.Memory, key, tokens.Mint())).Amount);

        // The last second before redeemUntil still pays; at redeemUntil the key is closed (the registry's half-open window).
        source.At(chainTime.AddDays(90).AddSeconds(-1));
        Assert.Equal(3_000_000, (await client.TopUpAsync(q.RecipientId.Memory, key, tokens.Mint())).Amount);
        source.At(chainTime.AddDays(90));
        var late = await Assert.ThrowsAsync<RelayException>(() => client.TopUpAsync(q.RecipientId.Memory, key, tokens.Mint()));
        Assert.Contains("past its redeem-until", late.Message, StringComparison.Ordinal);

        // Keys the source does not hold are refused, whatever the configuration says.
        using var stranger = TokenPrivateKey.Generate();
        var unknown = await Assert.ThrowsAsync<RelayException>(() => client.TopUpAsync(q.RecipientId.Memory, key, tokens.Mint(stranger)));
        Assert.Contains("not one this relay trusts", unknown.Message, StringComparison.Ordinal);
        Assert.Equal(3_000_000, (await client.InfoAsync(q.RecipientId.Memory, key)).Balance.Amount);
    }

    [Fact]
    public async Task While_the_key_source_cannot_be_read_its_last_time_moves_on_with_the_relay_clock()
    {
        using var dir = new TempDirectory();
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var chainTime = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var source = new TestKeySource
        {
            Keys = new TrustedKeySet([new TrustedTokenKey(tokens.IssuerKey.PublicKey.ExportSpki(), chainTime, chainTime.AddDays(1))], chainTime.AddHours(23)),
        };
        var settings = tokens.Settings();
        settings.Remove("tokenKeys");
        var (relay, _) = await StartAsync(dir, settings, clock: clock, keySource: source);
        await using var _relay = relay;
        await using var client = await RelayClient.ConnectAsync(relay.Address);
        using var key = RelayProtocol.NewKey();
        var q = await client.CreateQueueAsync(key);
        Assert.Equal(1_000_000, (await client.TopUpAsync(q.RecipientId.Memory, key, tokens.Mint())).Amount);

        source.Unavailable = true;
        Assert.Equal(2_000_000, (await client.TopUpAsync(q.RecipientId.Memory, key, tokens.Mint())).Amount);
        clock.Advance(TimeSpan.FromHours(2)); // the last reading (23 h) + 2 h is past redeemUntil (24 h)
        var late = await Assert.ThrowsAsync<RelayException>(() => client.TopUpAsync(q.RecipientId.Memory, key, tokens.Mint()));
        Assert.Contains("past its redeem-until", late.Message, StringComparison.Ordinal);
        Assert.Equal(2_000_000, (await client.InfoAsync(q.RecipientId.Memory, key)).Balance.Amount);
    }

    [Fact]
    public async Task Spent_tokens_are_dropped_once_their_key_is_past_redeem_until_and_stay_refused()
    {
        using var dir = new TempDirectory();
        using var laterKey = TokenPrivateKey.Generate();
        var chainTime = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var closesFirst = chainTime.AddDays(1);
        var source = new TestKeySource
        {
            Keys = new TrustedKeySet(
                [
                    new TrustedTokenKey(tokens.IssuerKey.PublicKey.ExportSpki(), chainTime, closesFirst),
                    new TrustedTokenKey(laterKey.PublicKey.ExportSpki(), chainTime, chainTime.AddDays(2)),
                ],
                chainTime),
        };
        var settings = tokens.Settings();
        settings.Remove("tokenKeys");
        settings["spentPruneSeconds"] = "1";
        var (relay, _) = await StartAsync(dir, settings, keySource: source);
        await using var _relay = relay;
        await using var client = await RelayClient.ConnectAsync(relay.Address);
        using var key = RelayProtocol.NewKey();
        var q = await client.CreateQueueAsync(key);
        var first = tokens.Mint();
        var later = tokens.Mint(laterKey);
        await client.TopUpAsync(q.RecipientId.Memory, key, first);
        await client.TopUpAsync(q.RecipientId.Memory, key, later);
        Assert.Equal(2, SpentEntries(dir.Path));

        // Pruning runs every second, but the source's time is still inside both windows: nothing is dropped.
        source.At(closesFirst.AddSeconds(-1));
        var stillSpent = await Assert.ThrowsAsync<RelayException>(() => client.TopUpAsync(q.RecipientId.Memory, key, first));
        Assert.Contains("already spent", stillSpent.Message, StringComparison.Ordinal);

        // The first key's window closes: its spent token goes, the other key's stays; the token stays refused.
        source.At(closesFirst);
        await WaitUntilAsync(() => Task.FromResult(SpentEntries(dir.Path) == 1));
        var again = await Assert.ThrowsAsync<RelayException>(() => client.TopUpAsync(q.RecipientId.Memory, key, first));
        Assert.Contains("past its redeem-until", again.Message, StringComparison.Ordinal);
        Assert.Contains("already spent", (await Assert.ThrowsAsync<RelayException>(() => client.TopUpAsync(q.RecipientId.Memory, key, later))).Message, StringComparison.Ordinal);
        Assert.Equal(1, SpentEntries(dir.Path));
        Assert.Equal(2_000_000, (await client.InfoAsync(q.RecipientId.Memory, key)).Balance.Amount);
    }

    /// <summary>The tokens plugin's spent-set rows in the relay's SQLite file (read-only, beside the running relay).</summary>
    internal static long SpentEntries(string dataDirectory)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(dataDirectory, "relay.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM metering_store WHERE plugin = 'tokens' AND key LIKE 'spent:%';";
        return (long)command.ExecuteScalar()!;
    }

    [Fact]
    public async Task On_a_devnet_the_keys_come_from_the_issuer_directory()
    {
        var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        await using var issuer = builder.Build();
        var directory = IssuerDirectory.Create("https://issuer.sxl.test/token-request", (tokens.IssuerKey.PublicKey, (DateTimeOffset?)DateTimeOffset.UtcNow.AddMinutes(-1)));
        issuer.MapGet(IssuerDirectory.WellKnownPath, () => Microsoft.AspNetCore.Http.Results.Text(directory.ToJson(), IssuerDirectory.MediaType));
        await issuer.StartAsync();
        var url = issuer.Urls.First();

        using var dir = new TempDirectory();
        var settings = tokens.Settings();
        settings.Remove("tokenKeys");
        var options = Relays.Options(dir.Path, "tokens") with { MeteringSettings = settings, Devnet = true, Issuer = url };
        await using var relay = await Relays.StartAsync(options);
        await using var client = await RelayClient.ConnectAsync(relay.Address);
        using var key = RelayProtocol.NewKey();
        var q = await client.CreateQueueAsync(key);
        Assert.Equal(1_000_000, (await client.TopUpAsync(q.RecipientId.Memory, key, tokens.Mint())).Amount);

        // Without --devnet the directory is not a key source: the plugin refuses to start with no keys.
        using var dir2 = new TempDirectory();
        var e = await Assert.ThrowsAsync<SimpleXLedger.Relay.Plugins.PluginLoadException>(() => Relays.StartAsync(options with { DataDirectory = dir2.Path, Devnet = false }));
        Assert.Contains("trusts no token keys", e.Message, StringComparison.Ordinal);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            await Task.Delay(50, cts.Token);
        }
    }

    private static string Base64Url(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);
}
