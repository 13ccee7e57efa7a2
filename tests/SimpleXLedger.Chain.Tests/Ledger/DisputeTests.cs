using System.Numerics;
using SimpleXLedger.Chain.Contracts;
using SimpleXLedger.Chain.Devnet;
using SimpleXLedger.Chain.Services;
using SimpleXLedger.Chain.Tests.Fixtures;
using SimpleXLedger.Testing.Chain;

namespace SimpleXLedger.Chain.Tests.Ledger;

[Collection(AnvilCollection.Name)]
public sealed class DisputeTests(AnvilFixture anvil)
{
    private static string A => DevAccounts.OperatorA.Address;

    private static string B => DevAccounts.OperatorB.Address;

    private static string House => DevAccounts.ClearingHouse.Address;

    [Fact]
    public async Task Receipts_signed_in_CSharp_verify_by_the_contracts_own_EIP712_check()
    {
        using var s = await LedgerScenario.CreateAsync(anvil);
        var receipt = s.Receipt(A, 7, 1234);
        Assert.Equal(s.Clearing.Receipts.Digest(receipt.Receipt), await s.Clearing.ReceiptDigestOnChainAsync(receipt.Receipt));
        Assert.Equal(House, await s.Clearing.ReceiptSignerOnChainAsync(receipt), ignoreCase: true);
        Assert.True(await s.Clearing.IsValidReceiptOnChainAsync(receipt));
        Assert.True(s.Clearing.Receipts.Verify(receipt, House));

        var forged = s.Receipt(A, 7, 1234, signer: DevAccounts.OperatorA);
        Assert.False(await s.Clearing.IsValidReceiptOnChainAsync(forged));
        Assert.False(s.Clearing.Receipts.Verify(forged, House));
        var altered = receipt with { Receipt = receipt.Receipt with { AcceptedInEpoch = 1235 } };
        Assert.False(await s.Clearing.IsValidReceiptOnChainAsync(altered));
        Assert.False(s.Clearing.Receipts.Verify(altered, House));
    }

    [Fact]
    public async Task An_underpaying_leaf_proves_the_dispute_freezes_the_epoch_and_the_bond_pays_shortfall_and_penalty()
    {
        using var s = await LedgerScenario.CreateAsync(anvil);
        await s.FundAndIssueAsync(credits: 1_000, issued: 500);
        var tree = s.Payouts(1, (A, 200), (B, 100)); // A accepted 300 tokens but is paid for 200
        var post = s.PostOf(tree, 1);
        await s.StepAsync(() => s.Clearing.PostEpochAsync(post));
        var receipt = s.Receipt(A, 1, 300);
        var owed = 300 * s.Rate;
        var leaf = tree.LeafOf(A);

        await s.RefusedAsync("NotUnderpaid", () => s.OperatorB.DisputeUnderpaidAsync(s.Receipt(B, 1, 100), tree.LeafOf(B).Amount, tree.ProofOf(B)));
        await s.RefusedAsync("NotSignedByClearingHouse", () => s.OperatorA.DisputeUnderpaidAsync(s.Receipt(A, 1, 300, signer: DevAccounts.OperatorA), leaf.Amount, tree.ProofOf(A)));
        await s.RefusedAsync("InvalidProof", () => s.OperatorA.DisputeUnderpaidAsync(receipt, leaf.Amount - 1, tree.ProofOf(A)));
        await s.RefusedAsync("NotSignedByClearingHouse", () => s.Stranger.DisputeUnderpaidAsync(receipt, leaf.Amount, tree.ProofOf(A))); // not the payee

        var wallet = await s.OperatorA.TokenBalanceAsync(A);
        var bond = await s.Clearing.BondOfAsync(House);
        var unallocated = (await s.Clearing.GetAccountsAsync()).Unallocated;
        var tx = await s.StepAsync(() => s.OperatorA.DisputeUnderpaidAsync(receipt, leaf.Amount, tree.ProofOf(A)));

        var paid = owed - leaf.Amount + s.Parameters.DisputePenalty;
        Assert.Equal(wallet + paid, await s.OperatorA.TokenBalanceAsync(A));
        Assert.Equal(bond - paid, await s.Clearing.BondOfAsync(House));
        var epoch = await s.Clearing.GetEpochAsync(1);
        Assert.True(epoch.Frozen);
        Assert.Equal(unallocated + post.Total, (await s.Clearing.GetAccountsAsync()).Unallocated);
        Assert.Single((await s.Clearing.GetEventsAsync<UnderpaymentProvenEvent>(tx.BlockNumber)).Events);
        Assert.Single((await s.Clearing.GetEventsAsync<EpochFrozenEvent>(tx.BlockNumber)).Events);
        Assert.Equal(DisputeStatus.Proven, (await s.Clearing.GetDisputeAsync(1, A)).Status);

        // A frozen epoch pays nothing and takes no more disputes; it may be posted again, correctly.
        await s.AdvanceAsync(s.Parameters.DisputeWindow);
        await s.RefusedAsync("EpochIsFrozen", () => s.OperatorB.ClaimAsync(1, B, tree.LeafOf(B).Amount, tree.ProofOf(B)));
        var fixedTree = s.Payouts(1, (A, 300), (B, 100));
        await s.StepAsync(() => s.Clearing.DepositBondAsync(paid)); // back to the minimum bond
        var repost = await s.StepAsync(() => s.Clearing.PostEpochAsync(s.PostOf(fixedTree, 1)));
        Assert.Equal(2, repost.Epoch.Round);
        await s.RefusedAsync("DisputeWindowOpen", () => s.OperatorA.ClaimAsync(1, A, owed, fixedTree.ProofOf(A)));
        await s.AdvanceAsync(s.Parameters.DisputeWindow);
        foreach (var l in fixedTree.Leaves)
        {
            await s.StepAsync(() => s.Stranger.ClaimAsync(1, l.Payee, l.Amount, fixedTree.ProofOf(l.Payee)));
        }

        Assert.Equal(wallet + paid + owed, await s.OperatorA.TokenBalanceAsync(A));
        Assert.Equal(BigInteger.Zero, (await s.Clearing.GetAccountsAsync()).AllocatedUnclaimed);
    }

    [Fact]
    public async Task A_missing_leaf_dispute_answered_in_time_loses_its_deposit_to_the_bond()
    {
        using var s = await LedgerScenario.CreateAsync(anvil);
        await s.FundAndIssueAsync(credits: 1_000, issued: 500);
        var tree = s.Payouts(1, (A, 300), (B, 100));
        await s.StepAsync(() => s.Clearing.PostEpochAsync(s.PostOf(tree, 1)));

        // Frivolous: B has its leaf, claims it is missing.
        var walletB = await s.OperatorB.TokenBalanceAsync(B);
        var bond = await s.Clearing.BondOfAsync(House);
        var opened = await s.StepAsync(() => s.OperatorB.DisputeMissingAsync(s.Receipt(B, 1, 100)));
        Assert.Equal(walletB - s.Parameters.DisputeDeposit, await s.OperatorB.TokenBalanceAsync(B));
        Assert.Equal(s.Parameters.DisputeDeposit, (await s.Clearing.GetAccountsAsync()).DepositsHeld);
        var dispute = await s.Clearing.GetDisputeAsync(1, B);
        Assert.Equal(DisputeStatus.Open, dispute.Status);
        Assert.Single((await s.Clearing.GetEventsAsync<DisputeOpenedEvent>(opened.BlockNumber)).Events);
        await s.RefusedAsync("DisputeExists", () => s.OperatorB.DisputeMissingAsync(s.Receipt(B, 1, 100)));

        // A receipt that counts nothing (the house signs one for a batch that accepted no token) owes nothing and
        // cannot dispute: an unanswerable missing-leaf dispute would freeze the epoch and take the penalty from the bond.
        await s.RefusedAsync("NothingOwed", () => s.OperatorA.DisputeMissingAsync(s.Receipt(A, 1, 0)));
        await s.RefusedAsync("NothingOwed", () => s.OperatorA.DisputeUnderpaidAsync(s.Receipt(A, 1, 0), tree.LeafOf(A).Amount, tree.ProofOf(A)));

        await s.RefusedAsync("AnswerTooLow", () => s.Clearing.AnswerDisputeAsync(1, B, tree.LeafOf(B).Amount - 1, tree.ProofOf(B)));
        await s.RefusedAsync("InvalidProof", () => s.Clearing.AnswerDisputeAsync(1, B, tree.LeafOf(A).Amount, tree.ProofOf(A)));
        await s.RefusedAsync("InvalidProof", () => s.Clearing.AnswerDisputeAsync(1, B, tree.LeafOf(B).Amount + 1, tree.ProofOf(B)));
        await s.RefusedAsync("AnswerWindowOpen", () => s.Stranger.SettleDisputeAsync(1, B));
        await s.StepAsync(() => s.Clearing.AnswerDisputeAsync(1, B, tree.LeafOf(B).Amount, tree.ProofOf(B)));

        Assert.Equal(DisputeStatus.Answered, (await s.Clearing.GetDisputeAsync(1, B)).Status);
        Assert.Equal(bond + s.Parameters.DisputeDeposit, await s.Clearing.BondOfAsync(House));
        Assert.Equal(walletB - s.Parameters.DisputeDeposit, await s.OperatorB.TokenBalanceAsync(B));
        Assert.False((await s.Clearing.GetEpochAsync(1)).Frozen);
        await s.RefusedAsync("NoOpenDispute", () => s.Stranger.SettleDisputeAsync(1, B));

        // The window then closes normally and everyone claims.
        await s.AdvanceAsync(s.Parameters.DisputeWindow);
        await s.RefusedAsync("DisputeWindowClosed", () => s.OperatorA.DisputeMissingAsync(s.Receipt(A, 1, 300)));
        await s.StepAsync(() => s.OperatorB.ClaimAsync(1, B, tree.LeafOf(B).Amount, tree.ProofOf(B)));
    }

    [Fact]
    public async Task An_unanswered_missing_leaf_dispute_freezes_the_epoch_pays_from_the_bond_and_the_epoch_is_posted_again()
    {
        using var s = await LedgerScenario.CreateAsync(anvil);
        await s.FundAndIssueAsync(credits: 1_000, issued: 500);
        var tree = s.Payouts(1, (A, 300)); // B accepted 100 tokens and was left out
        var post = s.PostOf(tree, 1);
        await s.StepAsync(() => s.Clearing.PostEpochAsync(post));
        await s.StepAsync(() => s.OperatorB.DisputeMissingAsync(s.Receipt(B, 1, 100)));
        // Neither the client (a different live post is a conflict) nor the contract lets a live epoch be replaced.
        var replacement = s.PostOf(s.Payouts(1, (A, 300), (B, 100)), 1);
        await Assert.ThrowsAsync<EpochConflictException>(() => s.Clearing.PostEpochAsync(replacement));
        await s.RefusedAsync("EpochNotPostable", () => s.Clearing.Connection.SendAsync(s.Deployment.Ledger, new PostEpochFunction
        {
            Epoch = 1,
            Root = replacement.Root,
            Total = replacement.Total,
            OperatorTotal = replacement.OperatorTotal,
            LeavesHash = replacement.LeavesHash,
        }));

        await s.AdvanceAsync(s.Parameters.AnswerWindow + 1);
        await s.RefusedAsync("AnswerWindowClosed", () => s.Clearing.AnswerDisputeAsync(1, B, tree.LeafOf(A).Amount, tree.ProofOf(A)));
        var walletB = await s.OperatorB.TokenBalanceAsync(B);
        var bond = await s.Clearing.BondOfAsync(House);
        var unallocated = (await s.Clearing.GetAccountsAsync()).Unallocated;
        var settled = await s.StepAsync(() => s.Stranger.SettleDisputeAsync(1, B));

        var owed = 100 * s.Rate;
        Assert.Equal(walletB + s.Parameters.DisputeDeposit + owed + s.Parameters.DisputePenalty, await s.OperatorB.TokenBalanceAsync(B));
        Assert.Equal(bond - owed - s.Parameters.DisputePenalty, await s.Clearing.BondOfAsync(House));
        Assert.Equal(unallocated + post.Total, (await s.Clearing.GetAccountsAsync()).Unallocated);
        Assert.True((await s.Clearing.GetEpochAsync(1)).Frozen);
        Assert.Equal(DisputeStatus.Upheld, (await s.Clearing.GetDisputeAsync(1, B)).Status);
        Assert.Single((await s.Clearing.GetEventsAsync<DisputeUpheldEvent>(settled.BlockNumber)).Events);

        // The bond is now below the minimum: no post until it is topped up.
        var fixedTree = s.Payouts(1, (A, 300), (B, 100));
        await s.RefusedAsync("BondTooSmall", () => s.Clearing.PostEpochAsync(s.PostOf(fixedTree, 1)));
        await s.StepAsync(() => s.Clearing.DepositBondAsync(owed + s.Parameters.DisputePenalty));
        var repost = await s.StepAsync(() => s.Clearing.PostEpochAsync(s.PostOf(fixedTree, 1)));
        Assert.Equal(2, repost.Epoch.Round);
        Assert.Equal(2UL, await s.Clearing.NextEpochAsync());
        await s.AdvanceAsync(s.Parameters.DisputeWindow);
        await s.StepAsync(() => s.OperatorB.ClaimAsync(1, B, fixedTree.LeafOf(B).Amount, fixedTree.ProofOf(B)));
    }

    [Fact]
    public async Task Receipts_of_an_epoch_not_posted_in_time_are_paid_from_the_bond_once()
    {
        using var s = await LedgerScenario.CreateAsync(anvil);
        await s.FundAndIssueAsync(credits: 1_000, issued: 500);
        var receipt = s.Receipt(A, 1, 40);
        await s.RefusedAsync("EpochNotLate", () => s.OperatorA.ClaimLateAsync(receipt));
        await s.AdvanceAsync(s.Parameters.PostDeadline + 1);

        await s.RefusedAsync("NotSignedByClearingHouse", () => s.OperatorA.ClaimLateAsync(s.Receipt(A, 1, 40, signer: DevAccounts.OperatorB)));
        var wallet = await s.OperatorA.TokenBalanceAsync(A);
        var bond = await s.Clearing.BondOfAsync(House);
        var tx = await s.StepAsync(() => s.OperatorA.ClaimLateAsync(receipt));
        var owed = 40 * s.Rate;
        Assert.Equal(wallet + owed + s.Parameters.DisputePenalty, await s.OperatorA.TokenBalanceAsync(A));
        Assert.Equal(bond - owed - s.Parameters.DisputePenalty, await s.Clearing.BondOfAsync(House));
        Assert.Single((await s.Clearing.GetEventsAsync<LateEpochPaidEvent>(tx.BlockNumber)).Events);
        await s.RefusedAsync("LateAlreadyPaid", () => s.OperatorA.ClaimLateAsync(s.Receipt(A, 1, 50)));
        // Escrow was not touched: the late payout is the clearing house's own money.
        Assert.Equal(BigInteger.Zero, (await s.Clearing.GetAccountsAsync()).ClaimsPaid);
    }

    [Fact]
    public async Task Receipts_of_a_frozen_epoch_not_posted_again_in_time_are_paid_from_the_bond()
    {
        using var s = await LedgerScenario.CreateAsync(anvil);
        await s.FundAndIssueAsync(credits: 1_000, issued: 500);
        var tree = s.Payouts(1, (A, 200), (B, 100));
        await s.StepAsync(() => s.Clearing.PostEpochAsync(s.PostOf(tree, 1)));
        await s.StepAsync(() => s.OperatorA.DisputeUnderpaidAsync(s.Receipt(A, 1, 300), tree.LeafOf(A).Amount, tree.ProofOf(A)));
        var receiptB = s.Receipt(B, 1, 100);
        await s.RefusedAsync("EpochNotLate", () => s.OperatorB.ClaimLateAsync(receiptB));
        await s.AdvanceAsync(s.Parameters.PostDeadline + 1);
        var wallet = await s.OperatorB.TokenBalanceAsync(B);
        await s.StepAsync(() => s.OperatorB.ClaimLateAsync(receiptB));
        Assert.Equal(wallet + (100 * s.Rate) + s.Parameters.DisputePenalty, await s.OperatorB.TokenBalanceAsync(B));
    }

    [Fact]
    public async Task A_bond_smaller_than_the_payout_pays_what_it_has_and_never_touches_escrow()
    {
        using var s = await LedgerScenario.CreateAsync(anvil);
        await s.FundAndIssueAsync(credits: 100_000, issued: 100_000);
        await s.AdvanceAsync(s.Parameters.PostDeadline + 1);
        var bond = await s.Clearing.BondOfAsync(House);
        var escrow = await s.Clearing.GetAccountsAsync();
        var accepted = (ulong)(bond / s.Rate) + 1_000; // owed exceeds the whole bond
        var wallet = await s.OperatorA.TokenBalanceAsync(A);
        await s.StepAsync(() => s.OperatorA.ClaimLateAsync(s.Receipt(A, 1, accepted)));
        Assert.Equal(wallet + bond, await s.OperatorA.TokenBalanceAsync(A));
        Assert.Equal(BigInteger.Zero, await s.Clearing.BondOfAsync(House));
        var after = await s.Clearing.GetAccountsAsync();
        Assert.Equal(escrow with { BondsHeld = 0, TokenBalance = escrow.TokenBalance - bond }, after);
    }
}
