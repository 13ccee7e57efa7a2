using SimpleXLedger.Cards;
using SimpleXLedger.Chain.Devnet;
using SimpleXLedger.Chain.Services;
using SimpleXLedger.Wallet.Issuance;
using SimpleXLedger.Wallet.Storage;
using SimpleXLedger.Wallet.Tests.Support;

namespace SimpleXLedger.Wallet.Tests.Chain;

/// <summary>Buying a card on a real ledger (approve + buyCard from the buyer's account), then redeeming it once the issuer activates it.</summary>
[Collection(ChainCollection.Name)]
public sealed class BuyCardTests(ChainFixture chain) : IDisposable
{
    private readonly TempDir _dir = new();

    [Fact]
    public async Task A_bought_card_is_redeemed_once_a_ledger_issuer_sees_the_purchase_on_chain()
    {
        var deployment = await DevnetLedger.DeployAsync(chain.RpcUrl);
        await using var issuer = await LedgerIssuer.StartAsync(chain.RpcUrl, deployment.Ledger);

        // The issuer anchored its key itself; move the chain's clock past the key's usable delay.
        using var connection = await ChainConnection.ConnectAsync(chain.RpcUrl, DevAccounts.Users[2].Key);
        var buyer = await LedgerClient.AttachAsync(connection, deployment.Ledger);
        var anchored = Assert.Single(await buyer.GetKeysAsync());
        await connection.RpcAsync<object>("evm_increaseTime", (long)(anchored.UsableFrom - await buyer.LatestBlockTimeAsync() + 1));
        await connection.RpcAsync<object>("evm_mine");
        await issuer.WaitUntilIssuingAsync(TimeSpan.FromSeconds(90));
        using var registry = await RegistryKeySource.ConnectAsync(chain.RpcUrl, deployment.Ledger);
        using var session = new IssuerSession(issuer.Endpoint, registry);
        await using var wallet = TestWallets.Create(_dir.File("w.sxlw"));
        var before = await buyer.TokenBalanceAsync(connection.Address);

        var bought = await wallet.BuyCardAsync(buyer, DevAccounts.Vendor.Address, 200, session, TimeSpan.FromSeconds(60));

        Assert.Equal(200, bought.Redemption!.TokensAdded);
        Assert.Equal(200, wallet.AvailableTokens);
        Assert.Equal(before - (deployment.Parameters.CreditPrice * 200), await buyer.TokenBalanceAsync(connection.Address));
        var card = wallet.Read(s => s.Cards.Values.Single());
        Assert.Equal(CardState.Redeemed, card.State);
        Assert.Null(card.Code);
        Assert.Equal(bought.Transaction, card.PurchaseTransaction);
        Assert.Equal(anchored.KeyId, Convert.FromHexString(wallet.Read(s => s.Tokens.Values.First().KeyId)));
    }

    [Fact]
    public async Task A_bought_card_is_paid_from_the_buyer_and_kept_while_the_issuer_has_not_activated_it()
    {
        var deployment = await chain.DeployAsync(chain.Issuer.Key);
        using var connection = await ChainConnection.ConnectAsync(chain.RpcUrl, DevAccounts.Users[0].Key);
        var buyer = await LedgerClient.AttachAsync(connection, deployment.Ledger);
        using var registry = await RegistryKeySource.ConnectAsync(chain.RpcUrl, deployment.Ledger);
        using var session = new IssuerSession(chain.Issuer.Endpoint, registry);
        await using var wallet = TestWallets.Create(_dir.File("w.sxlw"));
        var before = await buyer.TokenBalanceAsync(connection.Address);

        // The development issuer never reads the chain: the bounded wait for activation runs out, nothing is lost.
        var timedOut = await Assert.ThrowsAsync<WalletException>(() => wallet.BuyCardAsync(buyer, DevAccounts.Vendor.Address, 200, session, TimeSpan.FromSeconds(2)));

        Assert.Equal(WalletError.TimedOut, timedOut.Error);
        Assert.Equal(before - (deployment.Parameters.CreditPrice * 200), await buyer.TokenBalanceAsync(connection.Address));
        var card = wallet.Read(s => s.Cards.Values.Single());
        Assert.Equal(CardState.AwaitingActivation, card.State);
        Assert.NotNull(card.Code);
        Assert.NotNull(card.PurchaseTransaction);
        var hash = CardHash.Parse(card.Hash);
        Assert.Equal(CardCode.Parse(card.Code).ComputeHash(), hash);
        var (vendor, credits) = await buyer.GetCardAsync(hash.ToArray());
        Assert.Equal((DevAccounts.Vendor.Address.ToUpperInvariant(), 200UL), (vendor.ToUpperInvariant(), credits));

        // Still not active (this development issuer never reads the chain): a resume leaves it waiting, code kept.
        var resumed = await wallet.ResumeAsync(session);
        Assert.Equal((1, 0), (resumed.CardsAwaitingActivation, resumed.TokensAdded));
        Assert.NotNull(wallet.Read(s => s.Cards.Values.Single().Code));
    }

    [Fact]
    public async Task A_purchase_the_ledger_refuses_pays_nothing_and_keeps_no_card()
    {
        var deployment = await chain.DeployAsync(chain.Issuer.Key);
        using var connection = await ChainConnection.ConnectAsync(chain.RpcUrl, DevAccounts.Users[1].Key);
        var buyer = await LedgerClient.AttachAsync(connection, deployment.Ledger);
        using var registry = await RegistryKeySource.ConnectAsync(chain.RpcUrl, deployment.Ledger);
        using var session = new IssuerSession(chain.Issuer.Endpoint, registry);
        await using var wallet = TestWallets.Create(_dir.File("w.sxlw"));
        var before = await buyer.TokenBalanceAsync(connection.Address);

        // Not a registered vendor.
        var refused = await Assert.ThrowsAsync<WalletException>(() => wallet.BuyCardAsync(buyer, DevAccounts.Users[2].Address, 100, session, TimeSpan.FromSeconds(1)));
        Assert.Equal(WalletError.ChainRefused, refused.Error);
        Assert.Empty(wallet.GetBalance().Cards);
        Assert.Equal(before, await buyer.TokenBalanceAsync(connection.Address));

        Assert.Equal(WalletError.InvalidInput, (await Assert.ThrowsAsync<WalletException>(() => wallet.BuyCardAsync(buyer, DevAccounts.Vendor.Address, 150, session, TimeSpan.FromSeconds(1)))).Error);
    }

    public void Dispose() => _dir.Dispose();
}
