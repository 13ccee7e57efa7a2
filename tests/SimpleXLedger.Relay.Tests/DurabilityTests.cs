using System.Text;
using SimpleXLedger.Net;
using SimpleXLedger.Relay.Client;
using SimpleXLedger.Relay.Tests.Support;
using SimpleXLedger.Testing;

namespace SimpleXLedger.Relay.Tests;

/// <summary>What the relay keeps on disk: pragmas, group commit, and a restart that restores everything.</summary>
public sealed class DurabilityTests
{
    [Fact]
    public async Task The_store_runs_in_WAL_mode_with_synchronous_FULL()
    {
        using var dir = new TempDirectory();
        await using var relay = await Relays.StartAsync(Relays.Options(dir.Path));
        var (journal, synchronous) = await relay.Engine.ReadPragmasAsync();
        Assert.Equal("wal", journal);
        Assert.Equal("2", synchronous); // 2 = FULL
    }

    [Fact]
    public async Task Concurrent_sends_share_commits()
    {
        using var dir = new TempDirectory();
        await using var relay = await Relays.StartAsync(Relays.Options(dir.Path));
        await using var client = await RelayClient.ConnectAsync(relay.Address);
        var queues = new List<(byte[] Sid, byte[] Rid, NSec.Cryptography.Key Key)>();
        for (var i = 0; i < 4; i++)
        {
            var key = RelayProtocol.NewKey();
            var q = await client.CreateQueueAsync(key);
            queues.Add((q.SenderId.ToByteArray(), q.RecipientId.ToByteArray(), key));
        }

        var batchesBefore = relay.Engine.Writer.Batches;
        var unitsBefore = relay.Engine.Writer.Units;
        await Task.WhenAll(Enumerable.Range(0, 400).Select(i => client.SendAsync(queues[i % 4].Sid, null, Encoding.UTF8.GetBytes($"m{i}"))));
        var batches = relay.Engine.Writer.Batches - batchesBefore;
        var units = relay.Engine.Writer.Units - unitsBefore;
        Assert.Equal(400, units);
        Assert.True(batches <= units / 2, $"{units} sends took {batches} commits");
        foreach (var q in queues)
        {
            Assert.Equal(100u, (await client.InfoAsync(q.Rid, q.Key)).PendingMessages);
            q.Key.Dispose();
        }
    }

    [Fact]
    public async Task A_restart_restores_queues_messages_balances_and_the_address()
    {
        using var dir = new TempDirectory();
        var options = Relays.Options(dir.Path, "testmeter");
        using var recipientKey = RelayProtocol.NewKey();
        using var senderKey = RelayProtocol.NewKey();
        byte[] rid, sid;
        PinnedAddress firstAddress;
        await using (var relay = await Relays.StartAsync(options))
        {
            firstAddress = relay.Address;
            await using var client = await RelayClient.ConnectAsync(relay.Address);
            var q = await client.CreateQueueAsync(recipientKey);
            rid = q.RecipientId.ToByteArray();
            sid = q.SenderId.ToByteArray();
            await client.SecureAsync(rid, recipientKey, senderKey.PublicKey);
            await client.SendAsync(sid, senderKey, "a"u8.ToArray());
            await client.SendAsync(sid, senderKey, "b"u8.ToArray());
            var first = await client.GetAsync(rid, recipientKey);
            await client.AckAsync(rid, recipientKey, first!.MessageId.Memory);
            Assert.Equal(1, (await client.InfoAsync(rid, recipientKey)).Balance.Amount);
        }

        await using (var relay = await Relays.StartAsync(options with { Listen = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, firstAddress.Port) }))
        {
            Assert.Equal(firstAddress.ToString(), relay.Address.ToString());
            await using var client = await RelayClient.ConnectAsync(relay.Address);
            var info = await client.InfoAsync(rid, recipientKey);
            Assert.True(info.Secured);
            Assert.Equal(1u, info.PendingMessages);
            Assert.Equal(1, info.Balance.Amount);
            var left = await client.GetAsync(rid, recipientKey);
            Assert.Equal("b", Encoding.UTF8.GetString(left!.Body.Span));
            await client.SendAsync(sid, senderKey, "c"u8.ToArray());
            Assert.Equal(0, (await client.InfoAsync(rid, recipientKey)).Balance.Amount);
        }
    }
}
