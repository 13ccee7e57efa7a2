using System.Numerics;
using System.Security.Cryptography;
using SimpleXLedger.Chain.Contracts;
using SimpleXLedger.Chain.Devnet;
using SimpleXLedger.Chain.Tests.Fixtures;
using SimpleXLedger.Testing.Chain;

namespace SimpleXLedger.Chain.Tests.Ledger;

[Collection(AnvilCollection.Name)]
public sealed class FundingTests(AnvilFixture anvil)
{
    [Fact]
    public async Task Governance_registers_vendors_and_nobody_else_can()
    {
        using var s = await LedgerScenario.CreateAsync(anvil);
        var newVendor = DevAccounts.Users[2].Address;
        await s.RefusedAsync("NotGovernance", () => s.Stranger.RegisterVendorAsync(newVendor));
        Assert.False(await s.Governance.IsVendorAsync(newVendor));

        await s.StepAsync(() => s.Governance.RegisterVendorAsync(newVendor));
        Assert.True(await s.Governance.IsVendorAsync(newVendor));
        var registered = await s.Governance.GetEventsAsync<VendorRegisteredEvent>(0);
        Assert.Contains(registered.Events, e => string.Equals(e.Event.Vendor, newVendor, StringComparison.OrdinalIgnoreCase));

        await s.StepAsync(() => s.Governance.RemoveVendorAsync(newVendor));
        Assert.False(await s.Governance.IsVendorAsync(newVendor));
    }

    [Fact]
    public async Task A_funded_batch_pays_the_vendor_share_at_once_and_the_rest_into_unallocated_escrow()
    {
        using var s = await LedgerScenario.CreateAsync(anvil);
        var vendor = DevAccounts.Vendor.Address;
        var before = await s.Vendor.TokenBalanceAsync(vendor);
        var batchId = RandomNumberGenerator.GetBytes(32);
        var root = RandomNumberGenerator.GetBytes(32);
        const ulong credits = 1_000;

        var tx = await s.StepAsync(() => s.Vendor.FundBatchAsync(batchId, root, credits));

        var amount = credits * s.Parameters.CreditPrice;
        var share = amount * s.Parameters.VendorShareBps / 10_000;
        Assert.Equal(before - amount, await s.Vendor.TokenBalanceAsync(vendor));
        Assert.Equal(share, await s.Vendor.VendorBalanceAsync(vendor));
        var accounts = await s.Vendor.GetAccountsAsync();
        Assert.Equal(amount, accounts.EscrowReceived);
        Assert.Equal(share, accounts.VendorBalances);
        Assert.Equal(amount - share, accounts.Unallocated);
        Assert.Equal(credits, await s.Vendor.CreditsFundedAsync());

        // What the issuer needs to activate the cards: vendor, batch id, root, credits, with confirmations.
        var funded = Assert.Single((await s.Vendor.GetEventsAsync<BatchFundedEvent>(tx.BlockNumber, confirmations: 1)).Events);
        Assert.Equal(vendor, funded.Event.Vendor, ignoreCase: true);
        Assert.Equal(batchId, funded.Event.BatchId);
        Assert.Equal(root, funded.Event.Root);
        Assert.Equal(credits, funded.Event.Credits);
        Assert.Equal(share, funded.Event.VendorShare);
        Assert.Equal(tx.BlockNumber, funded.BlockNumber);
        Assert.Empty((await s.Vendor.GetEventsAsync<BatchFundedEvent>(tx.BlockNumber, confirmations: 2)).Events);
        await s.AdvanceAsync(1);
        Assert.Single((await s.Vendor.GetEventsAsync<BatchFundedEvent>(tx.BlockNumber, confirmations: 2)).Events);
        var batch = await s.Vendor.GetBatchAsync(batchId);
        Assert.Equal(vendor, batch.Vendor, ignoreCase: true);
        Assert.Equal(credits, batch.Credits);
        Assert.Equal(root, batch.Root);
    }

    [Fact]
    public async Task Duplicate_batches_and_unregistered_vendors_are_refused()
    {
        using var s = await LedgerScenario.CreateAsync(anvil);
        var batchId = RandomNumberGenerator.GetBytes(32);
        await s.StepAsync(() => s.Vendor.FundBatchAsync(batchId, RandomNumberGenerator.GetBytes(32), 10));
        await s.RefusedAsync("BatchAlreadyFunded", () => s.Vendor.FundBatchAsync(batchId, RandomNumberGenerator.GetBytes(32), 10));
        await s.RefusedAsync("NotRegisteredVendor", () => s.Stranger.FundBatchAsync(RandomNumberGenerator.GetBytes(32), RandomNumberGenerator.GetBytes(32), 10));
        await s.RefusedAsync("ZeroCredits", () => s.Vendor.FundBatchAsync(RandomNumberGenerator.GetBytes(32), RandomNumberGenerator.GetBytes(32), 0));
        await s.RefusedAsync("ZeroHash", () => s.Vendor.FundBatchAsync(new byte[32], RandomNumberGenerator.GetBytes(32), 10));
    }

    [Fact]
    public async Task A_user_buys_one_card_naming_a_registered_vendor_and_a_card_hash_is_taken_once()
    {
        using var s = await LedgerScenario.CreateAsync(anvil);
        var cardHash = SHA256.HashData(RandomNumberGenerator.GetBytes(16));
        var vendor = DevAccounts.Vendor.Address;
        var tx = await s.StepAsync(() => s.Buyer.BuyCardAsync(cardHash, 500, vendor));

        var share = 500 * s.Parameters.CreditPrice * s.Parameters.VendorShareBps / 10_000;
        Assert.Equal(share, await s.Buyer.VendorBalanceAsync(vendor));
        var bought = Assert.Single((await s.Buyer.GetEventsAsync<CardBoughtEvent>(tx.BlockNumber)).Events).Event;
        Assert.Equal(cardHash, bought.CardHash);
        Assert.Equal(500UL, bought.Credits);
        Assert.Equal(vendor, bought.Vendor, ignoreCase: true);
        Assert.Equal(DevAccounts.Users[0].Address, bought.Buyer, ignoreCase: true);
        Assert.Equal(500UL, (await s.Buyer.GetCardAsync(cardHash)).Credits);

        await s.RefusedAsync("CardAlreadyBought", () => s.Stranger.BuyCardAsync(cardHash, 500, vendor));
        await s.RefusedAsync("NotRegisteredVendor", () => s.Buyer.BuyCardAsync(SHA256.HashData(RandomNumberGenerator.GetBytes(16)), 500, DevAccounts.Users[2].Address));
    }

    [Fact]
    public async Task A_vendor_withdraws_its_balance_and_only_its_own()
    {
        using var s = await LedgerScenario.CreateAsync(anvil);
        await s.FundBatchAsync(2_000);
        await s.StepAsync(() => s.Buyer.BuyCardAsync(RandomNumberGenerator.GetBytes(32), 100, DevAccounts.Vendor.Address));
        var vendor = DevAccounts.Vendor.Address;
        var owed = await s.Vendor.VendorBalanceAsync(vendor);
        var wallet = await s.Vendor.TokenBalanceAsync(vendor);

        await s.RefusedAsync("NothingToWithdraw", () => s.Stranger.WithdrawVendorBalanceAsync());
        await s.StepAsync(() => s.Vendor.WithdrawVendorBalanceAsync());

        Assert.Equal(wallet + owed, await s.Vendor.TokenBalanceAsync(vendor));
        Assert.Equal(BigInteger.Zero, await s.Vendor.VendorBalanceAsync(vendor));
        var accounts = await s.Vendor.GetAccountsAsync();
        Assert.Equal(owed, accounts.VendorWithdrawn);
        Assert.Equal(BigInteger.Zero, accounts.VendorBalances);
        await s.RefusedAsync("NothingToWithdraw", () => s.Vendor.WithdrawVendorBalanceAsync());
    }
}
