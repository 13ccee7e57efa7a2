using System.Numerics;
using SimpleXLedger.Chain.Devnet;
using SimpleXLedger.Chain.Services;
using SimpleXLedger.Chain.Tests.Fixtures;
using SimpleXLedger.Testing;
using SimpleXLedger.Testing.Chain;

namespace SimpleXLedger.Chain.Tests.Services;

[Collection(AnvilCollection.Name)]
public sealed class ChainConnectionTests(AnvilFixture anvil)
{
    [Fact]
    public async Task Concurrent_sends_from_one_account_each_get_their_own_nonce_and_all_land()
    {
        using var s = await LedgerScenario.CreateAsync(anvil);
        var recipients = Enumerable.Range(0, 12).Select(i => $"0x{(0x1000 + i).ToString("x40", System.Globalization.CultureInfo.InvariantCulture)}").ToList();
        var sends = recipients.Select((r, i) => s.Buyer.TransferTokenAsync(r, 1_000 + i)).ToList();
        var mined = await Task.WhenAll(sends);
        Assert.Equal(recipients.Count, mined.Select(t => t.Hash).Distinct().Count());
        for (var i = 0; i < recipients.Count; i++)
        {
            Assert.Equal(new BigInteger(1_000 + i), await s.Buyer.TokenBalanceAsync(recipients[i]));
        }
    }

    [Fact]
    public async Task A_refused_send_does_not_burn_a_nonce_for_the_next_one()
    {
        using var s = await LedgerScenario.CreateAsync(anvil);
        await Assert.ThrowsAsync<SimpleXLedger.Chain.Contracts.LedgerRevertException>(() => s.Stranger.WithdrawVendorBalanceAsync());
        var tx = await s.Stranger.TransferTokenAsync(DevAccounts.Users[2].Address, 5);
        Assert.True(tx.GasUsed > 0);
    }
}

public sealed class ChainRetryTests
{
    [Fact]
    public async Task A_node_that_is_not_up_yet_is_retried_until_it_answers()
    {
        var port = FreePort.Next();
        var connecting = ChainConnection.ConnectAsync($"http://127.0.0.1:{port}", retry: new ChainRetryPolicy(8, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(50)));
        await Task.WhenAny(connecting, Task.Delay(300));
        Assert.False(connecting.IsCompleted); // refused connections are being retried
        await using var node = await AnvilNode.StartAsync(new AnvilOptions { Port = port });
        using var connection = await connecting;
        Assert.Equal(new BigInteger(31337), connection.ChainId);
    }

    [Fact]
    public async Task A_node_that_never_answers_fails_after_the_last_attempt()
    {
        var port = FreePort.Next();
        await Assert.ThrowsAnyAsync<Exception>(() => ChainConnection.ConnectAsync($"http://127.0.0.1:{port}", retry: new ChainRetryPolicy(3, TimeSpan.FromMilliseconds(20), TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(20))));
    }
}
