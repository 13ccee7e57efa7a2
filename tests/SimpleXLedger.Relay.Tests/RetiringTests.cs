using SimpleXLedger.Protos.Relay;
using SimpleXLedger.Relay.Client;
using SimpleXLedger.Relay.Tests.Support;
using SimpleXLedger.Testing;

namespace SimpleXLedger.Relay.Tests;

/// <summary>A relay being retired (<c>NoNewQueues</c>): its queues keep working, a new queue is refused with NO_NEW_QUEUES.</summary>
public sealed class RetiringTests
{
    [Fact]
    public async Task Existing_queues_keep_working_and_creating_one_is_refused_with_a_typed_error()
    {
        using var dir = new TempDirectory();
        using var recipientKey = RelayProtocol.NewKey();
        using var senderKey = RelayProtocol.NewKey();
        QueueCreated q;
        await using (var relay = await Relays.StartAsync(Relays.Options(dir.Path)))
        {
            await using var client = await RelayClient.ConnectAsync(relay.Address);
            q = await client.CreateQueueAsync(recipientKey);
            await client.SecureAsync(q.RecipientId.Memory, recipientKey, senderKey.PublicKey);
        }

        await using (var retiring = await Relays.StartAsync(Relays.Options(dir.Path) with { NoNewQueues = true }))
        {
            await using var client = await RelayClient.ConnectAsync(retiring.Address);
            await client.SendAsync(q.SenderId.Memory, senderKey, "still here"u8.ToArray());
            var message = await client.GetAsync(q.RecipientId.Memory, recipientKey);
            Assert.Equal("still here", System.Text.Encoding.UTF8.GetString(message!.Body.Span));
            await client.AckAsync(q.RecipientId.Memory, recipientKey, message.MessageId.Memory);

            using var newKey = RelayProtocol.NewKey();
            var refused = await Assert.ThrowsAsync<RelayException>(() => client.CreateQueueAsync(newKey));
            Assert.Equal(ErrorCode.NoNewQueues, refused.Code);
            Assert.Equal(1, retiring.Engine.QueueCount);
        }
    }
}
