using System.Numerics;
using System.Security.Cryptography;
using Nethereum.Util;
using SimpleXLedger.Chain.Contracts;
using SimpleXLedger.Chain.Devnet;
using SimpleXLedger.Chain.Merkle;
using SimpleXLedger.Chain.Services;
using SimpleXLedger.Chain.Tests.Fixtures;
using SimpleXLedger.Testing.Chain;

namespace SimpleXLedger.Chain.Tests.Ledger;

[Collection(AnvilCollection.Name)]
public sealed class EpochAndClaimTests(AnvilFixture anvil, ITestOutputHelper output)
{
    private const ulong GasBudget = 130_000;

    [Fact]
    public async Task Epochs_are_consecutive_posted_only_by_the_bonded_clearing_house_within_their_bounds()
    {
        using var s = await LedgerScenario.CreateAsync(anvil);
        await s.FundAndIssueAsync(credits: 1_000, issued: 100);
        var a = DevAccounts.OperatorA.Address;
        var tree = s.Payouts(1, (a, 100));
        var post = s.PostOf(tree, 1);

        await s.RefusedAsync("NotClearingHouse", () => s.Stranger.PostEpochAsync(post));
        await s.RefusedAsync("EpochNotPostable", () => s.Clearing.PostEpochAsync(post with { Epoch = 2 }));
        await s.RefusedAsync("OperatorTotalAboveTotal", () => s.Clearing.PostEpochAsync(post with { OperatorTotal = post.Total + 1 }));
        // Operator payouts are bounded by the tokens the issuer anchored as issued (100 here).
        var tooMuch = s.Payouts(1, (a, 101));
        await s.RefusedAsync("OperatorTotalExceedsIssued", () => s.Clearing.PostEpochAsync(s.PostOf(tooMuch, 1)));
        await s.RefusedAsync("FeeTotalExceedsIssued", () => s.Clearing.PostEpochAsync(post with { Total = post.Total + 1 }));

        var result = await s.StepAsync(() => s.Clearing.PostEpochAsync(post));
        Assert.False(result.AlreadyPosted);
        Assert.Equal(2UL, await s.Clearing.NextEpochAsync());
        var posted = Assert.Single((await s.Clearing.GetEventsAsync<EpochPostedEvent>(result.Transaction!.BlockNumber)).Events).Event;
        Assert.Equal(post.LeavesHash, posted.LeavesHash);
        Assert.Equal(post.Root, posted.Root);
        var accounts = await s.Clearing.GetAccountsAsync();
        Assert.Equal(post.Total, accounts.AllocatedUnclaimed);
        Assert.Equal(post.Total, (await s.Clearing.GetEpochAsync(1)).Unclaimed);

        // The clearing house must hold its bond: without it, no post.
        var keyId = (await s.Issuer.GetKeysAsync())[0].KeyId;
        await s.StepAsync(() => s.Issuer.AnchorIssuedAsync(keyId, 1_000));
        var next = s.PostOf(s.Payouts(2, (a, 10)), 2);
        var bond = await s.Clearing.BondOfAsync(DevAccounts.ClearingHouse.Address);
        await s.RefusedAsync("BondTooSmall", () => s.Clearing.WithdrawBondAsync(1));
        await s.StepAsync(() => s.Governance.ProposeRoleChangeAsync(LedgerRole.ClearingHouse, DevAccounts.Users[2].Address));
        await s.AdvanceAsync(s.Parameters.RoleChangeDelay);
        await s.StepAsync(() => s.Governance.ExecuteRoleChangeAsync(LedgerRole.ClearingHouse));
        var newHouse = await s.ClientAsync(DevAccounts.Users[2]);
        await s.RefusedAsync("BondTooSmall", () => newHouse.PostEpochAsync(next));
        await s.StepAsync(() => newHouse.DepositBondAsync(bond));
        await s.StepAsync(() => newHouse.PostEpochAsync(next));
    }

    [Fact]
    public async Task Total_cannot_exceed_unallocated_escrow()
    {
        using var s = await LedgerScenario.CreateAsync(anvil, p => p with { FeeBps = 0, VendorShareBps = 0 });
        await s.FundAndIssueAsync(credits: 10, issued: 10);
        var unallocated = (await s.Clearing.GetAccountsAsync()).Unallocated;
        Assert.Equal(10 * s.Parameters.CreditPrice, unallocated);
        var tree = s.Payouts(1, (DevAccounts.OperatorA.Address, 10));
        await s.StepAsync(() => s.Clearing.PostEpochAsync(s.PostOf(tree, 1)));
        // Everything issued is allocated; nothing is left for another epoch, whatever the issued total says.
        await s.FundBatchAsync(1);
        var keyId = (await s.Issuer.GetKeysAsync())[0].KeyId;
        await s.StepAsync(() => s.Issuer.AnchorIssuedAsync(keyId, 11));
        var more = s.Payouts(2, (DevAccounts.OperatorA.Address, 1));
        var post = s.PostOf(more, 2);
        await s.StepAsync(() => s.Clearing.PostEpochAsync(post));
        await s.RefusedAsync("TotalExceedsUnallocated", () => s.Clearing.PostEpochAsync(s.PostOf(s.Payouts(3, (DevAccounts.OperatorA.Address, 0)), 3) with { Total = 1 }));
    }

    [Fact]
    public async Task Posting_an_epoch_again_after_a_crash_is_reported_as_done_not_sent_twice()
    {
        using var s = await LedgerScenario.CreateAsync(anvil);
        await s.FundAndIssueAsync(credits: 1_000, issued: 500);
        var post = s.PostOf(s.Payouts(1, (DevAccounts.OperatorA.Address, 300), (DevAccounts.OperatorB.Address, 200)), 1);

        var first = await s.StepAsync(() => s.Clearing.PostEpochAsync(post));
        Assert.False(first.AlreadyPosted);
        var block = await s.Clearing.Connection.BlockNumberAsync();

        // A restarted clearing house (new connection, no memory of the first send) posts again.
        var restarted = await s.ClientAsync(DevAccounts.ClearingHouse);
        var again = await s.StepAsync(() => restarted.PostEpochAsync(post));
        Assert.True(again.AlreadyPosted);
        Assert.Equal(block, await s.Clearing.Connection.BlockNumberAsync()); // no transaction at all
        Assert.Equal(2UL, await s.Clearing.NextEpochAsync());
        Assert.Single((await s.Clearing.GetEventsAsync<EpochPostedEvent>(0)).Events);

        // A different post of the same epoch is a conflict, never an overwrite.
        await Assert.ThrowsAsync<EpochConflictException>(() => restarted.PostEpochAsync(post with { Root = RandomNumberGenerator.GetBytes(32) }));
    }

    [Fact]
    public async Task A_post_still_pending_from_before_a_crash_is_waited_for_and_not_sent_again()
    {
        using var s = await LedgerScenario.CreateAsync(anvil);
        await s.FundAndIssueAsync(credits: 1_000, issued: 500);
        var post = s.PostOf(s.Payouts(1, (DevAccounts.OperatorA.Address, 300)), 1);
        var rpc = s.Governance.Connection;
        await rpc.RpcAsync<object>("evm_setAutomine", false);
        try
        {
            // The crashed run: signed and sent, never saw a receipt; the transaction sits in the pool.
            var handler = s.Clearing.Connection.Web3.Eth.GetContractTransactionHandler<PostEpochFunction>();
            var message = new PostEpochFunction { Epoch = 1, Root = post.Root, Total = post.Total, OperatorTotal = post.OperatorTotal, LeavesHash = post.LeavesHash, Gas = 200_000 };
            var signed = await handler.SignTransactionAsync(s.Deployment.Ledger, message);
            await s.Clearing.Connection.Web3.Eth.Transactions.SendRawTransaction.SendRequestAsync(signed);

            // The restarted run posts the same epoch; the pending one is mined meanwhile.
            var restarted = await s.ClientAsync(DevAccounts.ClearingHouse);
            var posting = restarted.PostEpochAsync(post);
            for (var i = 0; i < 200 && !posting.IsCompleted; i++)
            {
                await rpc.RpcAsync<object>("evm_mine");
                await Task.WhenAny(posting, Task.Delay(20));
            }

            var result = await posting;
            Assert.True(result.AlreadyPosted);
        }
        finally
        {
            await rpc.RpcAsync<object>("evm_setAutomine", true);
        }

        Assert.Single((await s.Clearing.GetEventsAsync<EpochPostedEvent>(0)).Events);
        Assert.Equal(2UL, await s.Clearing.NextEpochAsync());
        await s.AssertInvariantAsync();
    }

    [Fact]
    public async Task Claims_pay_each_leaf_once_after_the_window_and_refuse_bad_proofs()
    {
        using var s = await LedgerScenario.CreateAsync(anvil);
        await s.FundAndIssueAsync(credits: 1_000, issued: 500);
        var a = DevAccounts.OperatorA.Address;
        var b = DevAccounts.OperatorB.Address;
        var tree = s.Payouts(1, (a, 300), (b, 200));
        await s.StepAsync(() => s.Clearing.PostEpochAsync(s.PostOf(tree, 1)));
        var leafA = tree.LeafOf(a);

        await s.RefusedAsync("DisputeWindowOpen", () => s.OperatorA.ClaimAsync(1, a, leafA.Amount, tree.ProofOf(a)));
        await s.AdvanceAsync(s.Parameters.DisputeWindow);
        await s.RefusedAsync("InvalidProof", () => s.OperatorA.ClaimAsync(1, a, leafA.Amount, tree.ProofOf(b)));
        await s.RefusedAsync("InvalidProof", () => s.OperatorA.ClaimAsync(1, a, leafA.Amount + 1, tree.ProofOf(a)));
        await s.RefusedAsync("InvalidProof", () => s.OperatorA.ClaimAsync(1, b, leafA.Amount, tree.ProofOf(a)));
        await s.RefusedAsync("EpochNotPosted", () => s.OperatorA.ClaimAsync(2, a, leafA.Amount, tree.ProofOf(a)));

        var before = await s.OperatorA.TokenBalanceAsync(a);
        var claim = await s.StepAsync(() => s.Stranger.ClaimAsync(1, a, leafA.Amount, tree.ProofOf(a))); // anyone may submit; the payee is paid
        Assert.NotNull(claim);
        Assert.Equal(before + leafA.Amount, await s.OperatorA.TokenBalanceAsync(a));
        Assert.Null(await s.OperatorA.ClaimAsync(1, a, leafA.Amount, tree.ProofOf(a))); // already claimed: nothing sent
        var raw = await Assert.ThrowsAsync<LedgerRevertException>(() => s.OperatorA.Connection.SendAsync(s.Deployment.Ledger, new ClaimFunction { Epoch = 1, Payee = a, Amount = leafA.Amount, Proof = tree.ProofOf(a).ToList() }));
        Assert.Equal("AlreadyClaimed", raw.ErrorName);

        foreach (var leaf in tree.Leaves.Where(l => l.Payee != a))
        {
            await s.StepAsync(() => s.Stranger.ClaimAsync(1, leaf.Payee, leaf.Amount, tree.ProofOf(leaf.Payee)));
        }

        var accounts = await s.Clearing.GetAccountsAsync();
        Assert.Equal(tree.Total, accounts.ClaimsPaid);
        Assert.Equal(BigInteger.Zero, accounts.AllocatedUnclaimed);
        Assert.Equal(BigInteger.Zero, (await s.Clearing.GetEpochAsync(1)).Unclaimed);
    }

    [Fact]
    public async Task A_tree_adding_up_to_more_than_its_posted_total_never_pays_out_more_than_the_total()
    {
        using var s = await LedgerScenario.CreateAsync(anvil);
        await s.FundAndIssueAsync(credits: 1_000, issued: 500);
        var a = DevAccounts.OperatorA.Address;
        var b = DevAccounts.OperatorB.Address;
        var tree = s.Payouts(1, (a, 300), (b, 200));
        var onlyA = tree.LeafOf(a).Amount;
        await s.StepAsync(() => s.Clearing.PostEpochAsync(s.PostOf(tree, 1) with { Total = onlyA, OperatorTotal = onlyA }));
        await s.AdvanceAsync(s.Parameters.DisputeWindow);
        await s.StepAsync(() => s.Stranger.ClaimAsync(1, a, onlyA, tree.ProofOf(a)));
        await s.RefusedAsync("ClaimsExceedTotal", () => s.Stranger.ClaimAsync(1, b, tree.LeafOf(b).Amount, tree.ProofOf(b)));
        Assert.Equal(onlyA, (await s.Clearing.GetAccountsAsync()).ClaimsPaid);
    }

    [Fact]
    public async Task Claims_wait_while_a_dispute_is_open()
    {
        using var s = await LedgerScenario.CreateAsync(anvil);
        await s.FundAndIssueAsync(credits: 1_000, issued: 500);
        var a = DevAccounts.OperatorA.Address;
        var tree = s.Payouts(1, (a, 300));
        await s.StepAsync(() => s.Clearing.PostEpochAsync(s.PostOf(tree, 1)));
        await s.StepAsync(() => s.OperatorB.DisputeMissingAsync(s.Receipt(DevAccounts.OperatorB.Address, 1, 1)));
        await s.AdvanceAsync(s.Parameters.DisputeWindow);
        await s.RefusedAsync("DisputesOpen", () => s.OperatorA.ClaimAsync(1, a, tree.LeafOf(a).Amount, tree.ProofOf(a)));
    }

    [Fact]
    public async Task Gas_posting_an_epoch_stays_under_budget_whatever_the_payee_count_and_so_does_a_claim()
    {
        using var s = await LedgerScenario.CreateAsync(anvil);
        const int manyPayees = 10_000;
        await s.FundAndIssueAsync(credits: 30_000, issued: 30_000);

        var first = await s.StepAsync(() => s.Clearing.PostEpochAsync(s.PostOf(s.Payouts(1, (DevAccounts.OperatorA.Address, 5)), 1)));
        var two = s.Payouts(2, (DevAccounts.OperatorA.Address, 7), (DevAccounts.OperatorB.Address, 3));
        var small = await s.StepAsync(() => s.Clearing.PostEpochAsync(s.PostOf(two, 2)));
        var payees = Enumerable.Range(0, manyPayees).Select(Payee).ToList();
        var big = PayoutTree.Build(payees.Select((p, i) => new PayoutLeaf(3, p, (1 + (i % 3)) * s.Rate)));
        Assert.Equal(manyPayees, big.Leaves.Count);
        var large = await s.StepAsync(() => s.Clearing.PostEpochAsync(new EpochPost(3, big.Root, big.Total, big.Total, RandomNumberGenerator.GetBytes(32))));

        output.WriteLine($"postEpoch gas: first post {first.Transaction!.GasUsed}, steady state with 2 leaves {small.Transaction!.GasUsed}, with {manyPayees} leaves {large.Transaction!.GasUsed}");
        Assert.True(small.Transaction.GasUsed <= GasBudget, $"steady-state post used {small.Transaction.GasUsed} gas");
        Assert.True(large.Transaction.GasUsed <= GasBudget, $"steady-state post used {large.Transaction.GasUsed} gas");
        // Independent of the payees: only the calldata bytes of the amounts differ (16 gas a non-zero byte).
        Assert.InRange((long)large.Transaction.GasUsed - (long)small.Transaction.GasUsed, -16 * 32, 16 * 32);

        await s.AdvanceAsync(s.Parameters.DisputeWindow);
        var payee = payees[manyPayees / 2];
        var leaf = big.LeafOf(payee);
        var proof = big.ProofOf(payee);
        Assert.Equal(0, (await s.Stranger.TokenBalanceAsync(payee)).Sign); // fresh account: the dearest transfer
        var claim = await s.StepAsync(() => s.Stranger.ClaimAsync(3, payee, leaf.Amount, proof));
        var smallClaim = await s.StepAsync(() => s.Stranger.ClaimAsync(2, DevAccounts.OperatorB.Address, two.LeafOf(DevAccounts.OperatorB.Address).Amount, two.ProofOf(DevAccounts.OperatorB.Address)));
        output.WriteLine($"claim gas: {claim!.GasUsed} with a {proof.Count}-hash proof to a fresh payee, {smallClaim!.GasUsed} with a {two.ProofOf(DevAccounts.OperatorB.Address).Count}-hash proof to a funded payee");
        Assert.True(claim.GasUsed <= GasBudget, $"claim used {claim.GasUsed} gas");
        Assert.True(smallClaim.GasUsed <= GasBudget, $"claim used {smallClaim.GasUsed} gas");
        Assert.Equal(leaf.Amount, await s.Stranger.TokenBalanceAsync(payee));
    }

    private static string Payee(int i)
    {
        var hash = Sha3Keccack.Current.CalculateHash(System.Text.Encoding.UTF8.GetBytes($"gas-payee-{i}"));
        return new AddressUtil().ConvertToChecksumAddress(Convert.ToHexString(hash, 0, 20));
    }
}
