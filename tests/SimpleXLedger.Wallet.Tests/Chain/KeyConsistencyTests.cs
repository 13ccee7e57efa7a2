using SimpleXLedger.Tokens;
using SimpleXLedger.Wallet.Issuance;
using SimpleXLedger.Wallet.Tests.Support;

namespace SimpleXLedger.Wallet.Tests.Chain;

/// <summary>
/// Key consistency against a real registry on Anvil: the wallet redeems only under the registry's current issuing
/// key, read through its own RPC endpoint, and refuses an issuer whose directory offers any other key.
/// </summary>
[Collection(ChainCollection.Name)]
public sealed class KeyConsistencyTests(ChainFixture chain) : IDisposable
{
    private readonly TempDir _dir = new();

    [Fact]
    public async Task An_issuer_serving_a_key_the_registry_does_not_name_is_refused_and_nothing_is_sent_or_stored()
    {
        // The registry names another key as the current issuing key (the issuer's own key is unanchored).
        using var other = TokenPrivateKey.Generate();
        var deployment = await chain.DeployAsync(other.PublicKey);
        var code = (await chain.Issuer.CreateCardsAsync(100))[0];
        using var registry = await RegistryKeySource.ConnectAsync(chain.RpcUrl, deployment.Ledger);
        using var session = new IssuerSession(chain.Issuer.Endpoint, registry);
        await using var wallet = TestWallets.Create(_dir.File("w.sxlw"));

        var refused = await Assert.ThrowsAsync<KeyConsistencyException>(() => wallet.RedeemCardAsync(code, session));

        Assert.Equal(KeyConsistencyFailure.DirectoryOffersOtherKey, refused.Failure);
        Assert.Equal(WalletError.KeyInconsistent, refused.Error);
        Assert.Equal(100, await chain.Issuer.RemainingAsync(code));
        Assert.Empty(wallet.GetBalance().Cards);
        Assert.Equal(0, wallet.AvailableTokens);
        Assert.Null(wallet.IssuerName);

        // The same through the CLI: a typed message and a non-zero exit, nothing redeemed.
        var path = _dir.File("cli.sxlw");
        Assert.Equal(0, (await Sxl.RunAsync(["wallet", "init", "--wallet", path, "--kdf-memory", "64", "--kdf-passes", "2"])).Status);
        var (status, output, _) = await Sxl.RunAsync(
            ["wallet", "redeem", "-", "--wallet", path, "--issuer", chain.Issuer.GrpcUrl, "--directory", chain.Issuer.HttpUrl,
             "--issuer-fingerprint", chain.Issuer.FingerprintText, "--rpc", chain.RpcUrl, "--ledger", deployment.Ledger],
            standardInput: code + "\n");
        Assert.Equal(1, status);
        Assert.Contains("registry's current issuing key", output, StringComparison.Ordinal);
        Assert.Contains("refusing", output, StringComparison.Ordinal);
        Assert.DoesNotContain(code, output, StringComparison.Ordinal);
        Assert.Equal(100, await chain.Issuer.RemainingAsync(code));
    }

    [Fact]
    public async Task A_registry_with_no_key_issuing_now_is_a_refusal_too()
    {
        var deployment = await chain.DeployAsync(null);
        using var registry = await RegistryKeySource.ConnectAsync(chain.RpcUrl, deployment.Ledger);
        using var session = new IssuerSession(chain.Issuer.Endpoint, registry);
        await using var wallet = TestWallets.Create(_dir.File("w.sxlw"));
        var code = (await chain.Issuer.CreateCardsAsync(100))[0];

        var refused = await Assert.ThrowsAsync<KeyConsistencyException>(() => wallet.RedeemCardAsync(code, session));
        Assert.Equal(KeyConsistencyFailure.NoAnchoredIssuingKey, refused.Failure);
    }

    [Fact]
    public async Task Under_the_anchored_key_the_card_is_redeemed_and_tokens_carry_the_registry_window()
    {
        var deployment = await chain.DeployAsync(chain.Issuer.Key);
        var code = (await chain.Issuer.CreateCardsAsync(100))[0];
        using var registry = await RegistryKeySource.ConnectAsync(chain.RpcUrl, deployment.Ledger);
        var anchored = await registry.GetCurrentIssuingKeyAsync(default);
        using var session = new IssuerSession(chain.Issuer.Endpoint, registry);
        await using var wallet = TestWallets.Create(_dir.File("w.sxlw"));

        var result = await wallet.RedeemCardAsync(code, session);

        Assert.Equal(100, result.TokensAdded);
        Assert.Equal(0, await chain.Issuer.RemainingAsync(code));
        Assert.All(wallet.Read(s => s.Tokens.Values.ToList()), t =>
        {
            Assert.Equal(anchored!.RedeemUntil, t.RedeemUntil);
            Assert.Equal(chain.Issuer.Key.KeyIdHex, t.KeyId);
        });
    }

    [Fact]
    public async Task Unreachable_or_wrong_chain_endpoints_are_typed_errors()
    {
        var unreachable = await Assert.ThrowsAsync<WalletException>(() => RegistryKeySource.ConnectAsync($"http://127.0.0.1:{SimpleXLedger.Testing.FreePort.Next()}", "0x0000000000000000000000000000000000000001"));
        Assert.Equal(WalletError.Unreachable, unreachable.Error);
        var noContract = await Assert.ThrowsAsync<WalletException>(() => RegistryKeySource.ConnectAsync(chain.RpcUrl, "0x0000000000000000000000000000000000000001"));
        Assert.Equal(WalletError.InvalidInput, noContract.Error);
    }

    public void Dispose() => _dir.Dispose();
}
