using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using SimpleXLedger.Cards;
using SimpleXLedger.Chain.Devnet;
using SimpleXLedger.Chain.Services;
using SimpleXLedger.Issuer.Cards;
using SimpleXLedger.Issuer.Issuance;
using SimpleXLedger.Issuer.Keys;
using SimpleXLedger.Issuer.Ledger;
using SimpleXLedger.Issuer.Maintenance;
using SimpleXLedger.Issuer.Storage;
using SimpleXLedger.Tokens;

namespace SimpleXLedger.Issuer.Tests.Ledger;

/// <summary>The issuer bound to the real ledger contracts on a local Anvil chain (the Chain project's devnet helper).</summary>
public class ChainLedgerTests
{
    [Fact]
    public async Task A_key_is_anchored_even_when_the_chains_next_block_is_well_ahead_of_its_last_block_and_of_this_clock()
    {
        await using var chain = await DevnetChain.StartAsync();
        using var issuerAccount = await ChainConnection.ConnectAsync(chain.RpcUrl, DevAccounts.Issuer.Key);
        var ledger = new ChainLedger(await LedgerClient.AttachAsync(issuerAccount, chain.Deployment.Ledger));
        await using var issuer = await TestIssuer.StartAsync(_ => ledger, seedKey: false, time: new ManualTime(DateTimeOffset.UtcNow));

        // The chain's clock moves on two minutes without a block (as after other users moved it): a window planned
        // from the last block or from this clock starts too soon for the contract.
        var lastBlock = await ledger.LatestBlockTimeAsync(default);
        await issuerAccount.RpcAsync<object>("evm_increaseTime", 120L);

        var rotated = await issuer.Send(new RotateKeys());

        Assert.Equal(1, rotated.Anchored);
        var row = await issuer.Db(db => db.TokenKeys.AsNoTracking().SingleAsync());
        Assert.Equal(KeyAnchoring.Anchored, row.Anchoring);
        Assert.True(row.UsableFrom > lastBlock + 120, $"usable from {row.UsableFrom}, last block {lastBlock}");
        var onChain = await ledger.GetAnchoredKeyAsync(row.Id, default);
        Assert.Equal((row.UsableFrom, row.IssueUntil, row.RedeemUntil), (onChain!.UsableFrom, onChain.IssueUntil, onChain.RedeemUntil));
        Assert.Single(Directory.GetFiles(Path.Combine(issuer.Settings.DataDirectory, "keys")));
    }

    [Fact]
    public async Task On_a_real_chain_keys_are_anchored_funding_activates_cards_purchases_register_and_issued_totals_are_anchored()
    {
        await using var chain = await DevnetChain.StartAsync();
        using var issuerAccount = await ChainConnection.ConnectAsync(chain.RpcUrl, DevAccounts.Issuer.Key);
        var ledger = new ChainLedger(await LedgerClient.AttachAsync(issuerAccount, chain.Deployment.Ledger));
        await using var issuer = await TestIssuer.StartAsync(_ => ledger, seedKey: false, time: new ManualTime(DateTimeOffset.UtcNow));

        // A key: made, anchored with the contract's own checks (SPKI hash, delay, window lengths, no overlap).
        var rotated = await issuer.Send(new RotateKeys());
        Assert.Equal(1, rotated.Anchored);
        var row = await issuer.Db(db => db.TokenKeys.AsNoTracking().SingleAsync());
        Assert.Equal(KeyAnchoring.Anchored, row.Anchoring);
        var onChain = await ledger.GetAnchoredKeyAsync(row.Id, default);
        Assert.Equal((row.UsableFrom, row.IssueUntil, row.RedeemUntil), (onChain!.UsableFrom, onChain.IssueUntil, onChain.RedeemUntil));
        var key = TokenPublicKey.FromSpki(await ledger.GetAnchoredSpkiAsync(row.Id, chain));

        // A vendor batch waits for its funding, then activates.
        var vendor = DevAccounts.Vendor.Address;
        var (codes, batch) = CardMint.Generate(vendor, 100, 2, 100);
        Assert.False((await issuer.Send(new ImportCards(batch))).Active);
        Assert.Equal(0, (await issuer.Send(new SyncFunding())).BatchesActivated);
        using (var vendorAccount = await ChainConnection.ConnectAsync(chain.RpcUrl, DevAccounts.Vendor.Key))
        {
            var vendorClient = await LedgerClient.AttachAsync(vendorAccount, chain.Deployment.Ledger);
            await vendorClient.FundBatchAsync(batch.BatchId, batch.Root, batch.TotalCredits);
        }

        Assert.Equal(1, (await issuer.Send(new SyncFunding())).BatchesActivated);
        Assert.Equal(CardState.Active, (await issuer.Send(new GetCardInfo(codes[0].ComputeHash())))!.State);

        // A user buys a single card on-chain with a code of their own.
        var bought = CardCode.Generate();
        using (var userAccount = await ChainConnection.ConnectAsync(chain.RpcUrl, DevAccounts.Users[0].Key))
        {
            var userClient = await LedgerClient.AttachAsync(userAccount, chain.Deployment.Ledger);
            await userClient.BuyCardAsync(bought.ComputeHash().ToArray(), 100, vendor);
        }

        Assert.Equal(1, (await issuer.Send(new SyncFunding())).CardsPurchased);
        Assert.Equal(100, (await issuer.Send(new GetCardInfo(bought.ComputeHash())))!.Remaining);

        // Issuance starts when the chain's clock reaches the key's usableFrom (Anvil mines on demand: ask for blocks).
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (await ledger.LatestBlockTimeAsync(deadline.Token) < row.UsableFrom)
        {
            var early = await issuer.Send(new RedeemGiftCard(codes[0], RandomNumberGenerator.GetBytes(16), Requests(key, 1)));
            Assert.Equal(RedeemStatus.NoIssuingKey, early.Status);
            await Task.Delay(500, deadline.Token);
            await issuerAccount.RpcAsync<string>("evm_mine");
        }

        var states = Enumerable.Range(0, 3).Select(_ => TokenClient.CreateRequest(key, TokenChallenge.ForNetwork(TestIssuer.IssuerName))).ToList();
        var outcome = await issuer.Send(new RedeemGiftCard(codes[0], RandomNumberGenerator.GetBytes(16), [.. states.Select(s => s.Request.ToArray())]));
        Assert.Equal(RedeemStatus.Issued, outcome.Status);
        Assert.True(TokenVerifier.Verify(key, TokenClient.Finalize(states[0], TokenResponse.Parse(outcome.Responses[0])), TokenChallenge.ForNetwork(TestIssuer.IssuerName)));
        Assert.Equal(RedeemStatus.Issued, (await issuer.Send(new RedeemGiftCard(bought, RandomNumberGenerator.GetBytes(16), Requests(key, 2)))).Status);

        // The epoch's issued total goes on-chain.
        Assert.Equal(1, await issuer.Send(new AnchorIssued()));
        Assert.Equal(5UL, (await ledger.GetAnchoredKeyAsync(row.Id, default))!.AnchoredIssued);
    }

    private static List<byte[]> Requests(TokenPublicKey key, int n) =>
        [.. Enumerable.Range(0, n).Select(_ => TokenClient.CreateRequest(key, TokenChallenge.ForNetwork(TestIssuer.IssuerName)).Request.ToArray())];
}

internal static class ChainLedgerTestExtensions
{
    /// <summary>The SPKI as the registry stores it (what wallets and relays will trust).</summary>
    public static async Task<byte[]> GetAnchoredSpkiAsync(this ChainLedger ledger, string keyId, DevnetChain chain)
    {
        _ = ledger;
        using var reader = await ChainConnection.ConnectAsync(chain.RpcUrl);
        var client = await LedgerClient.AttachAsync(reader, chain.Deployment.Ledger);
        return await client.GetKeySpkiAsync(Convert.FromHexString(keyId[2..]));
    }
}
