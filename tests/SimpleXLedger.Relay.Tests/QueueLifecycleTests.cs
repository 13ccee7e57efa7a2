using System.Text;
using SimpleXLedger.Protos.Relay;
using SimpleXLedger.Relay.Client;
using SimpleXLedger.Relay.Tests.Support;
using SimpleXLedger.Testing;

namespace SimpleXLedger.Relay.Tests;

/// <summary>The SMP queue life cycle end to end, over real gRPC on HTTP/2 with TLS on loopback.</summary>
public sealed class QueueLifecycleTests
{
    [Fact]
    public async Task A_queue_goes_through_its_whole_life_cycle()
    {
        using var dir = new TempDirectory();
        await using var relay = await Relays.StartAsync(Relays.Options(dir.Path));
        await using var recipient = await RelayClient.ConnectAsync(relay.Address);
        await using var sender = await RelayClient.ConnectAsync(relay.Address);
        using var recipientKey = RelayProtocol.NewKey();
        using var senderKey = RelayProtocol.NewKey();

        var created = await recipient.CreateQueueAsync(recipientKey);
        Assert.Equal(24, created.RecipientId.Length);
        Assert.Equal(24, created.SenderId.Length);
        Assert.NotEqual(created.RecipientId, created.SenderId);
        var rid = created.RecipientId.Memory;
        var sid = created.SenderId.Memory;

        // Before it is secured, the queue takes one unsigned confirmation and refuses signed sends.
        await sender.SendAsync(sid, null, "hello, here is my key"u8.ToArray());
        var signedTooEarly = await Assert.ThrowsAsync<RelayException>(() => sender.SendAsync(sid, senderKey, "x"u8.ToArray()));
        Assert.Equal(ErrorCode.Auth, signedTooEarly.Code);

        await recipient.SecureAsync(rid, recipientKey, senderKey.PublicKey);
        await recipient.SecureAsync(rid, recipientKey, senderKey.PublicKey); // an idempotent retry
        using var otherKey = RelayProtocol.NewKey();
        Assert.Equal(ErrorCode.Auth, (await Assert.ThrowsAsync<RelayException>(() => recipient.SecureAsync(rid, recipientKey, otherKey.PublicKey))).Code);
        Assert.Equal(ErrorCode.Auth, (await Assert.ThrowsAsync<RelayException>(() => sender.SendAsync(sid, null, "unsigned now"u8.ToArray()))).Code);

        await sender.SendAsync(sid, senderKey, "first"u8.ToArray());
        await sender.SendAsync(sid, senderKey, "second"u8.ToArray());

        var info = await recipient.InfoAsync(rid, recipientKey);
        Assert.True(info.Secured);
        Assert.Equal(3u, info.PendingMessages);

        // Subscribe: one message at a time, the next after the ack.
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var received = new List<string>();
        await foreach (var delivery in recipient.SubscribeAsync(rid, recipientKey, cts.Token))
        {
            received.Add(Encoding.UTF8.GetString(delivery.Body.Span));
            await recipient.AckAsync(rid, recipientKey, delivery.MessageId.Memory);
            if (received.Count == 3)
            {
                break;
            }
        }

        Assert.Equal(["hello, here is my key", "first", "second"], received);
        Assert.Null(await recipient.GetAsync(rid, recipientKey));

        // Get, then ack; a second ack of the same message is refused.
        await sender.SendAsync(sid, senderKey, "by get"u8.ToArray());
        var got = await recipient.GetAsync(rid, recipientKey);
        Assert.Equal("by get", Encoding.UTF8.GetString(got!.Body.Span));
        await recipient.AckAsync(rid, recipientKey, got.MessageId.Memory);
        Assert.Equal(ErrorCode.NoMessage, (await Assert.ThrowsAsync<RelayException>(() => recipient.AckAsync(rid, recipientKey, got.MessageId.Memory))).Code);

        // Suspended: senders are refused, the recipient still reads.
        await sender.SendAsync(sid, senderKey, "before suspend"u8.ToArray());
        await recipient.SuspendAsync(rid, recipientKey);
        Assert.Equal(ErrorCode.Auth, (await Assert.ThrowsAsync<RelayException>(() => sender.SendAsync(sid, senderKey, "after"u8.ToArray()))).Code);
        info = await recipient.InfoAsync(rid, recipientKey);
        Assert.True(info.Suspended);
        Assert.Equal(1u, info.PendingMessages);

        // Deleted: every command now fails as for a queue that never existed.
        await recipient.DeleteAsync(rid, recipientKey);
        Assert.Equal(ErrorCode.Auth, (await Assert.ThrowsAsync<RelayException>(() => recipient.InfoAsync(rid, recipientKey))).Code);
        Assert.Equal(ErrorCode.Auth, (await Assert.ThrowsAsync<RelayException>(() => sender.SendAsync(sid, senderKey, "gone"u8.ToArray()))).Code);
    }

    [Fact]
    public async Task The_session_stream_carries_commands_replies_and_deliveries()
    {
        using var dir = new TempDirectory();
        await using var relay = await Relays.StartAsync(Relays.Options(dir.Path));
        await using var client = await RelayClient.ConnectAsync(relay.Address);
        using var recipientKey = RelayProtocol.NewKey();
        using var senderKey = RelayProtocol.NewKey();
        var created = await client.CreateQueueAsync(recipientKey);
        await client.SecureAsync(created.RecipientId.Memory, recipientKey, senderKey.PublicKey);

        await using var session = client.OpenSession();
        await session.SubscribeAsync(created.RecipientId.Memory, recipientKey);
        var sends = Enumerable.Range(0, 20).Select(i => session.SendAsync(created.SenderId.Memory, senderKey, Encoding.UTF8.GetBytes($"m{i}"))).ToList();
        await Task.WhenAll(sends);

        var bodies = new HashSet<string>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (bodies.Count < 20)
        {
            var delivery = await session.Deliveries.ReadAsync(cts.Token);
            Assert.Equal(created.RecipientId, delivery.RecipientId);
            bodies.Add(Encoding.UTF8.GetString(delivery.Body.Span));
            await session.AckAsync(created.RecipientId.Memory, recipientKey, delivery.MessageId);
        }

        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"m{i}").ToHashSet(), bodies);
        var info = await client.InfoAsync(created.RecipientId.Memory, recipientKey);
        Assert.Equal(0u, info.PendingMessages);
    }

    [Fact]
    public async Task A_new_subscription_takes_over_and_gets_the_unacknowledged_message_again()
    {
        using var dir = new TempDirectory();
        await using var relay = await Relays.StartAsync(Relays.Options(dir.Path));
        await using var first = await RelayClient.ConnectAsync(relay.Address);
        await using var second = await RelayClient.ConnectAsync(relay.Address);
        using var recipientKey = RelayProtocol.NewKey();
        var created = await first.CreateQueueAsync(recipientKey);
        await first.SendAsync(created.SenderId.Memory, null, "once"u8.ToArray());

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var firstStream = first.SubscribeAsync(created.RecipientId.Memory, recipientKey, cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.True(await firstStream.MoveNextAsync());
        Assert.Equal("once", Encoding.UTF8.GetString(firstStream.Current.Body.Span));

        await using var secondStream = second.SubscribeAsync(created.RecipientId.Memory, recipientKey, cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.True(await secondStream.MoveNextAsync());
        Assert.Equal("once", Encoding.UTF8.GetString(secondStream.Current.Body.Span));

        // The first stream ends: the queue delivers to one subscriber only.
        Assert.False(await firstStream.MoveNextAsync());
    }
}
