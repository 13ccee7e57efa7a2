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
    public async Task A_bought_card_is_paid_from_the_buyer_kept_while_the_issuer_is_slow_and_redeemed_once_active()
    {
        var deployment = await chain.DeployAsync(chain.Issuer.Key);
        using var connection = await ChainConnection.ConnectAsync(chain.RpcUrl, DevAccounts.Users[0].Key);
        var buyer = await LedgerClient.AttachAsync(connection, deployment.Ledger);
        using var registry = await RegistryKeySource.ConnectAsync(chain.RpcUrl, deployment.Ledger);
        using var session = new IssuerSession(chain.Issuer.Endpoint, registry);
        await using var wallet = TestWallets.Create(_dir.File("w.sxlw"));
        var before = await buyer.TokenBalanceAsync(connection.Address);

        // The development issuer never reads the chain: the bounded wait for activation runs out.
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

        // Still not active: a resume leaves it waiting.
        Assert.Equal(1, (await wallet.ResumeAsync(session)).CardsAwaitingActivation);

        // The issuer registers the purchase (what a ledger-connected issuer does when it sees it on-chain): redeemed.
        await chain.Issuer.ImportAsync(hash, 200);
        var resumed = await wallet.ResumeAsync(session);
        Assert.Equal(200, resumed.TokensAdded);
        Assert.Equal(200, wallet.AvailableTokens);
        Assert.Null(wallet.Read(s => s.Cards.Values.Single().Code));
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
