using System.Text;
using SimpleXLedger.Protos.Relay;
using SimpleXLedger.Relay.Client;
using SimpleXLedger.Relay.Tests.Support;
using SimpleXLedger.Testing;

namespace SimpleXLedger.Relay.Tests;

/// <summary>The queue quota (with its notice to the recipient) and message expiry (on a clock the test moves).</summary>
public sealed class LimitsTests
{
    [Fact]
    public async Task A_full_queue_refuses_the_sender_and_leaves_the_recipient_a_quota_notice()
    {
        using var dir = new TempDirectory();
        await using var relay = await Relays.StartAsync(Relays.Options(dir.Path));
        await using var client = await RelayClient.ConnectAsync(relay.Address);
        using var recipientKey = RelayProtocol.NewKey();
        using var senderKey = RelayProtocol.NewKey();
        var q = await client.CreateQueueAsync(recipientKey);
        await client.SecureAsync(q.RecipientId.Memory, recipientKey, senderKey.PublicKey);
        Assert.Equal(128u, client.Limits.QueueQuota);

        await Task.WhenAll(Enumerable.Range(0, 128).Select(i => client.SendAsync(q.SenderId.Memory, senderKey, Encoding.UTF8.GetBytes($"m{i}"))));
        var refused = await Assert.ThrowsAsync<RelayException>(() => client.SendAsync(q.SenderId.Memory, senderKey, "one too many"u8.ToArray()));
        Assert.Equal(ErrorCode.Quota, refused.Code);
        await Assert.ThrowsAsync<RelayException>(() => client.SendAsync(q.SenderId.Memory, senderKey, "and another"u8.ToArray()));
        Assert.Equal(128u, (await client.InfoAsync(q.RecipientId.Memory, recipientKey)).PendingMessages);

        var bodies = new List<string>();
        var notices = 0;
        while (await client.GetAsync(q.RecipientId.Memory, recipientKey) is { } m)
        {
            if (m.QuotaNotice)
            {
                notices++;
                Assert.True(m.Body.IsEmpty);
            }
            else
            {
                bodies.Add(Encoding.UTF8.GetString(m.Body.Span));
            }

            await client.AckAsync(q.RecipientId.Memory, recipientKey, m.MessageId.Memory);
        }

        Assert.Equal(128, bodies.Count);
        Assert.Equal(Enumerable.Range(0, 128).Select(i => $"m{i}").ToHashSet(), bodies.ToHashSet());
        Assert.Equal(1, notices);

        // Drained: the sender may send again.
        await client.SendAsync(q.SenderId.Memory, senderKey, "room again"u8.ToArray());
    }

    [Fact]
    public async Task Undelivered_messages_expire_after_21_days()
    {
        using var dir = new TempDirectory();
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var relay = await Relays.StartAsync(Relays.Options(dir.Path), clock);
        await using var client = await RelayClient.ConnectAsync(relay.Address);
        using var recipientKey = RelayProtocol.NewKey();
        var q = await client.CreateQueueAsync(recipientKey);
        Assert.Equal((ulong)TimeSpan.FromDays(21).TotalSeconds, client.Limits.MessageTtlSeconds);

        await client.SendAsync(q.SenderId.Memory, null, "old"u8.ToArray());
        clock.Advance(TimeSpan.FromDays(20));
        await client.SendAsync(q.SenderId.Memory, null, "young"u8.ToArray());
        await relay.SweepAsync();
        Assert.Equal(2u, (await client.InfoAsync(q.RecipientId.Memory, recipientKey)).PendingMessages);

        clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromSeconds(1));
        await relay.SweepAsync();
        Assert.Equal(1u, (await client.InfoAsync(q.RecipientId.Memory, recipientKey)).PendingMessages);
        var left = await client.GetAsync(q.RecipientId.Memory, recipientKey);
        Assert.Equal("young", Encoding.UTF8.GetString(left!.Body.Span));
    }
}
