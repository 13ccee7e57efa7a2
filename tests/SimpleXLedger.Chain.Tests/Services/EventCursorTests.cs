using System.Numerics;
using SimpleXLedger.Chain.Contracts;
using SimpleXLedger.Chain.Devnet;
using SimpleXLedger.Chain.Services;
using SimpleXLedger.Chain.Tests.Fixtures;
using SimpleXLedger.Testing.Chain;

namespace SimpleXLedger.Chain.Tests.Services;

/// <summary>Incremental event reads at the shared confirmation depth, and a reorg deeper than it on a real Anvil.</summary>
[Collection(AnvilCollection.Name)]
public sealed class EventCursorTests(AnvilFixture anvil)
{
    [Fact]
    public async Task A_reorg_deeper_than_the_confirmation_depth_is_reported_and_read_again_not_followed_silently()
    {
        using var s = await LedgerScenario.CreateAsync(anvil);
        using var reader = await ChainConnection.ConnectAsync(anvil.RpcUrl);
        var reorgs = new List<ulong>();
        reader.ReorgDetected += reorgs.Add;
        var start = await reader.BlockNumberAsync() + 1;
        var cursor = new EventCursor<Erc20TransferEvent>(reader, s.Deployment.Token, start);
        var snapshot = await reader.RpcAsync<string>("evm_snapshot");

        // A transfer on the chain that will be dropped: read once.
        var dropped = await s.Buyer.TransferTokenAsync("0x0000000000000000000000000000000000005005", 111);
        var first = await cursor.NextAsync();
        Assert.False(first.StartedOver);
        Assert.Equal([new BigInteger(111)], first.Events.Select(e => e.Event.Value));
        Assert.Empty((await cursor.NextAsync()).Events);

        // The chain is replaced from before it (as a reorg does), growing past the block read, with another transfer.
        Assert.True(await reader.RpcAsync<bool>("evm_revert", snapshot));
        await reader.RpcAsync<object>("evm_mine");
        using var buyerAgain = await ChainConnection.ConnectAsync(anvil.RpcUrl, DevAccounts.Users[0].Key);
        var ledger = await LedgerClient.AttachAsync(buyerAgain, s.Deployment.Ledger);
        var kept = await ledger.TransferTokenAsync("0x0000000000000000000000000000000000006006", 222);
        await reader.RpcAsync<object>("evm_mine");
        Assert.True(kept.BlockNumber >= dropped.BlockNumber);

        var after = await cursor.NextAsync();
        Assert.True(after.StartedOver);
        Assert.Equal([dropped.BlockNumber], reorgs);
        Assert.Equal(1, reader.ReorgsDetected);
        Assert.Equal([(new BigInteger(222), kept.Hash)], after.Events.Select(e => (e.Event.Value, e.TransactionHash)));

        // Quiet again: nothing new, no further reorg.
        var quiet = await cursor.NextAsync();
        Assert.False(quiet.StartedOver);
        Assert.Empty(quiet.Events);
        Assert.Equal(1, reader.ReorgsDetected);
    }

    [Fact]
    public async Task Events_wait_for_the_connections_confirmation_depth()
    {
        using var s = await LedgerScenario.CreateAsync(anvil);
        using var reader = (await ChainConnection.ConnectAsync(anvil.RpcUrl)).WithConfirmations(3);
        var cursor = new EventCursor<Erc20TransferEvent>(reader, s.Deployment.Token, await reader.BlockNumberAsync() + 1);
        await s.Buyer.TransferTokenAsync("0x0000000000000000000000000000000000005005", 333);
        Assert.Empty((await cursor.NextAsync()).Events);
        await reader.RpcAsync<object>("evm_mine");
        Assert.Empty((await cursor.NextAsync()).Events);
        await reader.RpcAsync<object>("evm_mine");
        Assert.Equal([new BigInteger(333)], (await cursor.NextAsync()).Events.Select(e => e.Event.Value));
        Assert.Throws<ArgumentOutOfRangeException>(() => reader.WithConfirmations(0));
    }
}
