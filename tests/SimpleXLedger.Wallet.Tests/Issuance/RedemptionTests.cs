using SimpleXLedger.Tokens;
using SimpleXLedger.Wallet.Issuance;
using SimpleXLedger.Wallet.Spending;
using SimpleXLedger.Wallet.Storage;
using SimpleXLedger.Wallet.Tests.Support;

namespace SimpleXLedger.Wallet.Tests.Issuance;

/// <summary>Cards into tokens against a real issuer over gRPC/TLS: fixed batches, persistent request ids, typed refusals.</summary>
[Collection(NetworkCollection.Name)]
public sealed class RedemptionTests(NetworkFixture network) : IDisposable
{
    private readonly TempDir _dir = new();

    [Fact]
    public async Task A_card_is_redeemed_whole_in_fixed_batches_of_100_into_tokens_that_verify()
    {
        var code = (await network.Issuer.CreateCardsAsync(300))[0];
        using var issuer = network.IssuerSession();
        using var wallet = TestWallets.Create(_dir.File("w.sxlw"));

        var result = await wallet.RedeemCardAsync(code, issuer);

        Assert.Equal((300, 3, 0, 0L), (result.TokensAdded, result.Batches, result.Replayed, result.CreditsLeft));
        Assert.Equal(0, await network.Issuer.RemainingAsync(code));
        var balance = wallet.GetBalance();
        Assert.Equal(300, balance.TokensAvailable);
        Assert.Equal(300, balance.TokensRedeemed);
        Assert.Equal(0, balance.PendingBatches);
        var card = Assert.Single(balance.Cards);
        Assert.Equal((CardState.Redeemed, 300L, false), (card.State, card.Redeemed, card.CodeKept));

        // Real tokens for the network challenge under the issuer's key, all different.
        var challenge = TokenChallenge.ForNetwork(TestIssuer.Name);
        var tokens = wallet.Read(s => s.Tokens.Values.Select(t => Token.Parse(t.Token)).ToList());
        Assert.All(tokens, t => Assert.True(TokenVerifier.Verify(network.Issuer.Key, t, challenge)));
        Assert.Equal(300, tokens.Select(t => Convert.ToHexString(t.Nonce)).Distinct().Count());
        Assert.Equal(TestIssuer.Name, wallet.IssuerName);
    }

    [Fact]
    public async Task Credits_below_one_batch_stay_on_the_card_and_the_code_is_forgotten()
    {
        var code = (await network.Issuer.CreateCardsAsync(250))[0];
        using var issuer = network.IssuerSession();
        using var wallet = TestWallets.Create(_dir.File("w.sxlw"));

        var result = await wallet.RedeemCardAsync(code, issuer);

        Assert.Equal((200, 2, 50L), (result.TokensAdded, result.Batches, result.CreditsLeft));
        Assert.Equal(50, await network.Issuer.RemainingAsync(code));
        Assert.Null(wallet.Read(s => s.Cards.Values.Single().Code));

        // The same card again: nothing more to fetch, nothing debited.
        var again = await wallet.RedeemCardAsync(code.ToLowerInvariant(), issuer);
        Assert.Equal(0, again.TokensAdded);
        Assert.Equal(200, wallet.AvailableTokens);
        Assert.Equal(50, await network.Issuer.RemainingAsync(code));
    }

    [Fact]
    public async Task Malformed_and_unknown_codes_are_typed_errors_that_store_nothing()
    {
        using var issuer = network.IssuerSession();
        using var wallet = TestWallets.Create(_dir.File("w.sxlw"));
        var real = (await network.Issuer.CreateCardsAsync(100))[0];
        var typo = real[..^1] + (real[^1] == '0' ? '1' : '0');

        var malformed = await Assert.ThrowsAsync<WalletException>(() => wallet.RedeemCardAsync(typo, issuer));
        Assert.Equal(WalletError.InvalidInput, malformed.Error);
        Assert.DoesNotContain(typo, malformed.Message, StringComparison.Ordinal);

        var unknown = SimpleXLedger.Cards.CardCode.Generate().Reveal();
        var refused = await Assert.ThrowsAsync<IssuerRefusedException>(() => wallet.RedeemCardAsync(unknown, issuer));
        Assert.Equal("UnknownCard", refused.Reason);
        Assert.DoesNotContain(unknown, refused.Message, StringComparison.Ordinal);
        Assert.Empty(wallet.GetBalance().Cards);
        Assert.Equal(0, wallet.GetBalance().PendingBatches);
    }

    [Fact]
    public async Task A_batch_whose_reply_was_lost_is_resent_under_its_request_id_same_tokens_one_debit()
    {
        var code = (await network.Issuer.CreateCardsAsync(200))[0];
        using var issuer = network.IssuerSession();
        using var wallet = TestWallets.Create(_dir.File("w.sxlw"), new WalletOptions { Spending = SpendingPolicy.Careful with { PrefetchTokens = false } });
        Assert.True((await wallet.RedeemCardAsync(code, issuer)).Deferred);

        // A batch is stored, sent, and debited by the issuer, but its reply never reaches the wallet.
        var verified = await wallet.VerifyIssuerAsync(issuer, default);
        var cardId = wallet.Read(s => s.Cards.Keys.Single());
        var batch = wallet.PrepareBatch(cardId, verified, 100);
        var requests = batch.States.Select(export =>
        {
            Assert.True(TokenRequestState.TryImportSecret(verified.Key, export, out var state, out _));
            using (state)
            {
                return (Request: state.Request.Encoded.ToArray(), Nonce: state.Nonce.ToArray());
            }
        }).ToList();
        _ = await issuer.RedeemAsync(code, batch.RequestId, requests.Select(r => r.Request), default);
        Assert.Equal(100, await network.Issuer.RemainingAsync(code));
        Assert.Equal(1, wallet.GetBalance().PendingBatches);

        var resumed = await wallet.ResumeAsync(issuer);

        Assert.Equal((100, 1, 1), (resumed.TokensAdded, resumed.Batches, resumed.Replayed));
        Assert.Equal(100, await network.Issuer.RemainingAsync(code));
        Assert.Equal(0, wallet.GetBalance().PendingBatches);
        var nonces = wallet.Read(s => s.Tokens.Values.Select(t => Convert.ToHexString(Token.Parse(t.Token).Nonce)).Order().ToList());
        Assert.Equal(requests.Select(r => Convert.ToHexString(r.Nonce)).Order(), nonces);
    }

    [Fact]
    public async Task A_wallet_that_does_not_prefetch_keeps_the_card_and_fetches_tokens_only_when_paying()
    {
        var code = (await network.Issuer.CreateCardsAsync(100))[0];
        using var issuer = network.IssuerSession();
        using var wallet = TestWallets.Create(_dir.File("w.sxlw"), new WalletOptions { Spending = SpendingPolicy.Careless, Issuer = issuer });

        var result = await wallet.RedeemCardAsync(code, issuer);

        Assert.True(result.Deferred);
        Assert.Equal(0, result.TokensAdded);
        Assert.Equal(100, await network.Issuer.RemainingAsync(code));
        Assert.True(wallet.Read(s => s.Cards.Values.Single().Code is not null));
        Assert.Equal(1, await wallet.FetchJustInTimeAsync(1, default));
        Assert.Equal(99, await network.Issuer.RemainingAsync(code));
    }

    public void Dispose() => _dir.Dispose();
}
