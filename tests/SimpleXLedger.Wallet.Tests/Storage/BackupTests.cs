using SimpleXLedger.Wallet.Storage;
using SimpleXLedger.Wallet.Tests.Support;

namespace SimpleXLedger.Wallet.Tests.Storage;

/// <summary>Backups and restores with real tokens and queues: nothing merged twice, spent tokens never return.</summary>
[Collection(NetworkCollection.Name)]
public sealed class BackupTests(NetworkFixture network) : IDisposable
{
    private readonly TempDir _dir = new();

    [Fact]
    public async Task A_backup_restores_into_a_new_wallet_and_restoring_it_again_adds_nothing()
    {
        var clock = TestWallets.Clock();
        var backup = _dir.File("backup.sxlw");
        string link;
        await using (var wallet = TestWallets.Create(_dir.File("w.sxlw"), TestWallets.Careful(clock)))
        {
            using var issuer = network.IssuerSession();
            await wallet.RedeemCardAsync((await network.Issuer.CreateCardsAsync(100))[0], issuer);
            link = (await wallet.CreateQueueAsync(network.Relay.Address, "inbox")).SenderLink!.ToString();
            wallet.Backup(backup);
            Assert.Equal(WalletError.AlreadyExists, Assert.Throws<WalletException>(() => wallet.Backup(backup)).Error);
        }

        await using var restored = TestWallets.Create(_dir.File("new.sxlw"), TestWallets.Careful(clock));
        var first = restored.Restore(backup, TestWallets.Passphrase);
        Assert.Equal((1, 0, 99, 0, 1), (first.CardsAdded, first.BatchesAdded, first.TokensAdded, first.TokensSkipped, first.QueuesAdded));
        Assert.Equal(99, restored.AvailableTokens);
        Assert.Equal(link, restored.Queues.Single().SenderLink!.ToString());

        var second = restored.Restore(backup, TestWallets.Passphrase);
        Assert.Equal((0, 0, 0, 99, 0), (second.CardsAdded, second.BatchesAdded, second.TokensAdded, second.TokensSkipped, second.QueuesAdded));
        Assert.Equal(99, restored.AvailableTokens);
        Assert.Single(restored.Queues);

        // The restored queue is really usable: its keys came back.
        Assert.Equal(SendStatus.PaymentRequired, (await restored.SendAsync("inbox", "x"u8.ToArray())).Status);
    }

    [Fact]
    public async Task Tokens_spent_after_the_backup_do_not_come_back_when_it_is_restored()
    {
        var clock = TestWallets.Clock();
        var backup = _dir.File("backup.sxlw");
        await using var wallet = TestWallets.Create(_dir.File("w.sxlw"), TestWallets.Careful(clock));
        using var issuer = network.IssuerSession();
        await wallet.RedeemCardAsync((await network.Issuer.CreateCardsAsync(100))[0], issuer);
        wallet.Backup(backup);
        await wallet.CreateQueueAsync(network.Relay.Address, "inbox");
        clock.Advance(TimeSpan.FromMinutes(5));
        await wallet.TopUps.RunDueAsync();
        Assert.Equal(89, wallet.AvailableTokens);

        var result = wallet.Restore(backup, TestWallets.Passphrase);

        Assert.Equal(0, result.TokensAdded);
        Assert.Equal(100, result.TokensSkipped);
        Assert.Equal(89, wallet.AvailableTokens);
        Assert.Equal(11, wallet.GetBalance().TokensSpent);
    }

    [Fact]
    public async Task A_seized_wallet_remembers_its_spent_tokens_only_by_random_ids_never_by_anything_of_the_token()
    {
        var clock = TestWallets.Clock();
        await using var wallet = TestWallets.Create(_dir.File("w.sxlw"), TestWallets.Careful(clock));
        using var issuer = network.IssuerSession();
        await wallet.RedeemCardAsync((await network.Issuer.CreateCardsAsync(100))[0], issuer);
        var before = wallet.Read(s => s.Tokens.Values.ToDictionary(t => t.Id, t => t.Token));
        await wallet.CreateQueueAsync(network.Relay.Address, "inbox");
        clock.Advance(TimeSpan.FromMinutes(5));
        await wallet.TopUps.RunDueAsync();

        // Ledger v2 publishes each spent token's nonce and payee: nothing the wallet keeps may be computed from them.
        var (marks, held) = wallet.Read(s => (s.Spent.ToList(), s.Tokens.Keys.ToHashSet()));
        var left = before.Keys.Where(id => !held.Contains(id)).ToHashSet();
        Assert.Equal(11, wallet.GetBalance().TokensSpent);
        Assert.Equal(left.Order(), marks.Order());
        foreach (var mark in marks)
        {
            var token = SimpleXLedger.Tokens.Token.Parse(before[mark]);
            Assert.DoesNotContain(Convert.ToHexStringLower(token.Nonce), mark, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Withdrawn_tokens_leave_the_wallet_spend_by_hand_and_never_come_back()
    {
        var backup = _dir.File("backup.sxlw");
        await using var wallet = TestWallets.Create(_dir.File("w.sxlw"));
        using var issuer = network.IssuerSession();
        await wallet.RedeemCardAsync((await network.Issuer.CreateCardsAsync(100))[0], issuer);
        wallet.Backup(backup);

        var taken = wallet.WithdrawTokens(2);

        Assert.Equal(98, wallet.AvailableTokens);
        Assert.Equal(2, wallet.GetBalance().TokensWithdrawn);
        Assert.Equal(WalletError.InsufficientTokens, Assert.Throws<WalletException>(() => wallet.WithdrawTokens(99)).Error);
        Assert.Equal(98, wallet.AvailableTokens);
        Assert.Equal(0, wallet.Restore(backup, TestWallets.Passphrase).TokensAdded);

        // Spent by hand with the relay client: a real token the relay credits.
        await using var client = await SimpleXLedger.Relay.Client.RelayClient.ConnectAsync(network.Relay.Address);
        using var key = SimpleXLedger.Relay.Client.RelayProtocol.NewKey();
        var created = await client.CreateQueueAsync(key, paymentToken: taken[0].ToArray());
        Assert.Equal(TestRelay.MicrosPerCredit, (await client.TopUpAsync(created.RecipientId.Memory, key, taken[1].ToArray())).Amount);
    }

    [Fact]
    public async Task A_backup_under_another_passphrase_or_altered_is_refused_and_nothing_changes()
    {
        var backup = _dir.File("other.sxlw");
        await using (var other = UserWallet.Create(backup, "a different passphrase", KdfParameters.WeakForTests))
        {
            WalletFileTests.AddTokens(other, 5);
        }

        await using var wallet = TestWallets.Create(_dir.File("w.sxlw"));
        var wrong = Assert.Throws<WalletException>(() => wallet.Restore(backup, TestWallets.Passphrase));
        Assert.Equal(WalletError.WrongPassphrase, wrong.Error);
        Assert.Equal(0, wallet.AvailableTokens);

        var sealedRecord = WalletFileTests.Column(backup, "SELECT sealed FROM records LIMIT 1");
        WalletFileTests.FlipInFile(backup, sealedRecord[..128], 100);
        var altered = Assert.Throws<WalletException>(() => wallet.Restore(backup, "a different passphrase"));
        Assert.Equal(WalletError.Tampered, altered.Error);
        Assert.Equal(0, wallet.AvailableTokens);
    }

    public void Dispose() => _dir.Dispose();
}
