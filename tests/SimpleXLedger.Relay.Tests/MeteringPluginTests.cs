using SimpleXLedger.Protos.Relay;
using SimpleXLedger.Relay.Client;
using SimpleXLedger.Relay.Plugins;
using SimpleXLedger.Relay.Tests.Support;
using SimpleXLedger.Testing;

namespace SimpleXLedger.Relay.Tests;

/// <summary>The metering seam: plugins from a directory, their decisions, and their failures kept away from the relay.</summary>
public sealed class MeteringPluginTests
{
    [Fact]
    public async Task A_plugin_built_only_by_the_tests_loads_from_its_directory_and_meters()
    {
        Assert.False(File.Exists(Path.Combine(AppContext.BaseDirectory, "SimpleXLedger.Relay.Tests.Plugin.dll")), "the test plugin must not be referenced");
        using var dir = new TempDirectory();
        await using var relay = await Relays.StartAsync(Relays.Options(dir.Path, "testmeter"));
        Assert.Equal("testmeter", relay.MeteringId);
        await using var client = await RelayClient.ConnectAsync(relay.Address);
        using var key = RelayProtocol.NewKey();
        var q = await client.CreateQueueAsync(key);
        Assert.Equal(3, q.Balance.Amount);
        Assert.Equal("test-units", q.Balance.Unit);

        for (var i = 0; i < 3; i++)
        {
            await client.SendAsync(q.SenderId.Memory, null, new byte[10 + i]);
        }

        var broke = await Assert.ThrowsAsync<RelayException>(() => client.SendAsync(q.SenderId.Memory, null, new byte[1]));
        Assert.Equal(ErrorCode.PaymentRequired, broke.Code);
        Assert.StartsWith("PrivateToken challenge=", broke.WwwAuthenticate, StringComparison.Ordinal);

        var balance = await client.TopUpAsync(q.RecipientId.Memory, key, new byte[5]);
        Assert.Equal(5, balance.Amount);
        await client.SendAsync(q.SenderId.Memory, null, new byte[1]);
        var m = await client.GetAsync(q.RecipientId.Memory, key);
        Assert.Equal(10, m!.Body.Length);
        Assert.Equal(4, (await client.InfoAsync(q.RecipientId.Memory, key)).Balance.Amount);

        var usage = await File.ReadAllLinesAsync(Path.Combine(dir.Path, "metering", "testmeter", "usage.log"));
        Assert.Equal("QueueCreated 0 0", usage[0]);
        Assert.Equal(["MessageAccepted 10 1", "MessageAccepted 11 1", "MessageAccepted 12 1", "MessageAccepted 1 1"], usage.Where(l => l.StartsWith("MessageAccepted", StringComparison.Ordinal)));
        Assert.Contains("MessageDelivered 10 0", usage);
    }

    [Fact]
    public async Task A_plugin_that_throws_fails_closed_without_crashing_or_leaking()
    {
        using var dir = new TempDirectory();
        var log = new CapturingLoggerProvider();
        var options = Relays.Options(dir.Path, "testmeter") with { MeteringSettings = new Dictionary<string, string> { ["throwIn"] = "AuthorizeSendAsync" } };
        await using var relay = await Relays.StartAsync(options, log: log);
        await using var client = await RelayClient.ConnectAsync(relay.Address);
        using var key = RelayProtocol.NewKey();
        var q = await client.CreateQueueAsync(key);

        var e = await Assert.ThrowsAsync<RelayException>(() => client.SendAsync(q.SenderId.Memory, null, "x"u8.ToArray()));
        Assert.Equal(ErrorCode.Unavailable, e.Code);
        Assert.Equal(0u, (await client.InfoAsync(q.RecipientId.Memory, key)).PendingMessages);
        Assert.Equal(1, relay.MeteringFailures);
        Assert.Contains(log.Lines, l => l.Contains("failed in AuthorizeSendAsync with InvalidOperationException; failing closed", StringComparison.Ordinal));
        Assert.DoesNotContain("SECRET-PAYLOAD-7f3a", log.All, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToHexString(q.RecipientId.Span), log.All, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Convert.ToBase64String(q.RecipientId.Span), log.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_plugin_that_throws_can_fail_open_and_usage_hooks_never_break_work()
    {
        using var dir = new TempDirectory();
        var options = Relays.Options(dir.Path, "testmeter") with
        {
            MeteringFailOpen = true,
            MeteringSettings = new Dictionary<string, string> { ["throwIn"] = "all" },
        };
        await using var relay = await Relays.StartAsync(options);
        await using var client = await RelayClient.ConnectAsync(relay.Address);
        using var key = RelayProtocol.NewKey();
        var q = await client.CreateQueueAsync(key);
        await client.SendAsync(q.SenderId.Memory, null, "free while metering is down"u8.ToArray());
        Assert.Equal(1u, (await client.InfoAsync(q.RecipientId.Memory, key)).PendingMessages);

        // A top-up never fails open: that would create credit from nothing.
        var topUp = await Assert.ThrowsAsync<RelayException>(() => client.TopUpAsync(q.RecipientId.Memory, key, new byte[5]));
        Assert.Equal(ErrorCode.Unavailable, topUp.Code);
        Assert.True(relay.MeteringFailures >= 3);
    }

    [Fact]
    public async Task A_plugin_that_never_answers_times_out_and_the_work_is_refused()
    {
        using var dir = new TempDirectory();
        var options = Relays.Options(dir.Path, "testmeter") with
        {
            MeteringTimeout = TimeSpan.FromMilliseconds(300),
            MeteringSettings = new Dictionary<string, string> { ["throwIn"] = "hang" },
        };
        await using var relay = await Relays.StartAsync(options);
        await using var client = await RelayClient.ConnectAsync(relay.Address);
        using var key = RelayProtocol.NewKey();
        var q = await client.CreateQueueAsync(key);
        var e = await Assert.ThrowsAsync<RelayException>(() => client.SendAsync(q.SenderId.Memory, null, "x"u8.ToArray()));
        Assert.Equal(ErrorCode.Unavailable, e.Code);
        Assert.Equal(0u, (await client.InfoAsync(q.RecipientId.Memory, key)).PendingMessages);
    }

    [Fact]
    public async Task A_missing_plugin_stops_the_relay_from_starting_with_a_clear_error()
    {
        using var dir = new TempDirectory();
        var e = await Assert.ThrowsAsync<PluginLoadException>(() => Relays.StartAsync(Relays.Options(dir.Path, "nosuch")));
        Assert.Contains("no metering plugin 'nosuch'", e.Message, StringComparison.Ordinal);
        Assert.Contains("free", e.Message, StringComparison.Ordinal);
        Assert.Contains("none", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_free_plugin_gives_each_queue_an_allowance()
    {
        using var dir = new TempDirectory();
        var options = Relays.Options(dir.Path, "free") with { MeteringSettings = new Dictionary<string, string> { ["allowance"] = "2" } };
        await using var relay = await Relays.StartAsync(options);
        await using var client = await RelayClient.ConnectAsync(relay.Address);
        using var key = RelayProtocol.NewKey();
        var q = await client.CreateQueueAsync(key);
        Assert.Equal(2, q.Balance.Amount);
        Assert.Equal("messages", q.Balance.Unit);
        await client.SendAsync(q.SenderId.Memory, null, "1"u8.ToArray());
        await client.SendAsync(q.SenderId.Memory, null, "2"u8.ToArray());
        Assert.Equal(ErrorCode.Quota, (await Assert.ThrowsAsync<RelayException>(() => client.SendAsync(q.SenderId.Memory, null, "3"u8.ToArray()))).Code);
        Assert.Equal(ErrorCode.PaymentRefused, (await Assert.ThrowsAsync<RelayException>(() => client.TopUpAsync(q.RecipientId.Memory, key, new byte[3]))).Code);
    }
}
