using System.Security.Cryptography;
using SimpleXLedger.Chain.Contracts;
using SimpleXLedger.Chain.Devnet;
using SimpleXLedger.Chain.Tests.Fixtures;
using SimpleXLedger.Testing.Chain;

namespace SimpleXLedger.Chain.Tests.Ledger;

[Collection(AnvilCollection.Name)]
public sealed class GovernanceTests(AnvilFixture anvil)
{
    private static string A => DevAccounts.OperatorA.Address;

    [Fact]
    public async Task Role_changes_wait_for_the_timelock_and_can_be_cancelled()
    {
        using var s = await LedgerScenario.CreateAsync(anvil);
        var newIssuer = DevAccounts.Users[2];
        await s.RefusedAsync("NotGovernance", () => s.Stranger.ProposeRoleChangeAsync(LedgerRole.Issuer, newIssuer.Address));
        await s.RefusedAsync("NoRoleChangePending", () => s.Stranger.ExecuteRoleChangeAsync(LedgerRole.Issuer));

        var proposed = await s.StepAsync(() => s.Governance.ProposeRoleChangeAsync(LedgerRole.Issuer, newIssuer.Address));
        var pending = await s.Governance.PendingRoleChangeAsync(LedgerRole.Issuer);
        Assert.Equal(newIssuer.Address, pending.Account, ignoreCase: true);
        Assert.Single((await s.Governance.GetEventsAsync<RoleChangeProposedEvent>(proposed.BlockNumber)).Events);
        await s.RefusedAsync("RoleChangeNotReady", () => s.Stranger.ExecuteRoleChangeAsync(LedgerRole.Issuer));
        await s.AdvanceAsync(s.Parameters.RoleChangeDelay / 2);
        await s.RefusedAsync("RoleChangeNotReady", () => s.Stranger.ExecuteRoleChangeAsync(LedgerRole.Issuer));
        Assert.Equal(DevAccounts.Issuer.Address, await s.Governance.RoleHolderAsync(LedgerRole.Issuer), ignoreCase: true);

        await s.AdvanceAsync(s.Parameters.RoleChangeDelay / 2);
        var executed = await s.StepAsync(() => s.Stranger.ExecuteRoleChangeAsync(LedgerRole.Issuer)); // anyone, once due
        Assert.Equal(newIssuer.Address, await s.Governance.RoleHolderAsync(LedgerRole.Issuer), ignoreCase: true);
        var changed = Assert.Single((await s.Governance.GetEventsAsync<RoleChangedEvent>(executed.BlockNumber)).Events).Event;
        Assert.Equal(DevAccounts.Issuer.Address, changed.Previous, ignoreCase: true);
        var from = await s.NowAsync() + s.Parameters.MinKeyDelay + 5;
        await s.RefusedAsync("NotIssuer", () => s.Issuer.AnchorKeyAsync(LedgerScenario.RandomSpki(), from, from + s.Parameters.MinIssueWindow, from + s.Parameters.MinIssueWindow + s.Parameters.MinRedeemWindow));
        var issuer = await s.ClientAsync(newIssuer);
        await s.StepAsync(() => issuer.AnchorKeyAsync(LedgerScenario.RandomSpki(), from, from + s.Parameters.MinIssueWindow, from + s.Parameters.MinIssueWindow + s.Parameters.MinRedeemWindow));

        // Governance itself moves through the same timelock; a cancelled proposal never executes.
        await s.StepAsync(() => s.Governance.ProposeRoleChangeAsync(LedgerRole.Governance, DevAccounts.Users[1].Address));
        await s.StepAsync(() => s.Governance.CancelRoleChangeAsync(LedgerRole.Governance));
        await s.AdvanceAsync(s.Parameters.RoleChangeDelay);
        await s.RefusedAsync("NoRoleChangePending", () => s.Stranger.ExecuteRoleChangeAsync(LedgerRole.Governance));
        Assert.Equal(DevAccounts.Governance.Address, await s.Governance.RoleHolderAsync(LedgerRole.Governance), ignoreCase: true);
    }

    [Fact]
    public async Task A_pause_stops_money_moves_lapses_by_itself_and_cannot_be_renewed_during_the_cooldown()
    {
        using var s = await LedgerScenario.CreateAsync(anvil);
        await s.FundAndIssueAsync(credits: 1_000, issued: 500);
        var tree = s.Payouts(1, (A, 300));
        await s.StepAsync(() => s.Clearing.PostEpochAsync(s.PostOf(tree, 1)));
        await s.AdvanceAsync(s.Parameters.DisputeWindow);

        await s.RefusedAsync("NotGovernance", () => s.Stranger.PauseAsync());
        var paused = await s.StepAsync(() => s.Governance.PauseAsync());
        Assert.Single((await s.Governance.GetEventsAsync<PausedEvent>(paused.BlockNumber)).Events);
        Assert.True((await s.Governance.GetPauseAsync()).Paused);
        await s.RefusedAsync("ContractPaused", () => s.OperatorA.ClaimAsync(1, A, tree.LeafOf(A).Amount, tree.ProofOf(A)));
        await s.RefusedAsync("ContractPaused", () => s.Vendor.FundBatchAsync(RandomNumberGenerator.GetBytes(32), RandomNumberGenerator.GetBytes(32), 1));
        await s.RefusedAsync("ContractPaused", () => s.Clearing.PostEpochAsync(s.PostOf(s.Payouts(2, (A, 1)), 2)));
        await s.RefusedAsync("ContractPaused", () => s.Governance.PauseAsync());

        // It lapses by itself: no one has to act.
        await s.AdvanceAsync(s.Parameters.MaxPause);
        Assert.False((await s.Governance.GetPauseAsync()).Paused);
        await s.StepAsync(() => s.OperatorA.ClaimAsync(1, A, tree.LeafOf(A).Amount, tree.ProofOf(A)));
        var refused = await s.RefusedAsync("PauseCoolingDown", () => s.Governance.PauseAsync());
        await s.AdvanceAsync(s.Parameters.PauseCooldown / 2);
        await s.RefusedAsync("PauseCoolingDown", () => s.Governance.PauseAsync());
        await s.AdvanceAsync(s.Parameters.PauseCooldown / 2);
        await s.StepAsync(() => s.Governance.PauseAsync());
        await s.StepAsync(() => s.Governance.UnpauseAsync());
        await s.RefusedAsync("NotPaused", () => s.Governance.UnpauseAsync());
        Assert.NotNull(refused.Argument("availableAt"));
    }

    [Fact]
    public async Task Disputes_and_answers_work_while_paused_and_windows_extend_by_the_pause()
    {
        using var s = await LedgerScenario.CreateAsync(anvil);
        await s.FundAndIssueAsync(credits: 1_000, issued: 500);
        var b = DevAccounts.OperatorB.Address;
        var tree = s.Payouts(1, (A, 300), (b, 100));
        var posted = await s.StepAsync(() => s.Clearing.PostEpochAsync(s.PostOf(tree, 1)));
        var closesAt = posted.Epoch.WindowClosesAt;
        var postedAtBlockTime = await s.NowAsync();

        await s.AdvanceAsync(s.Parameters.DisputeWindow / 2);
        await s.StepAsync(() => s.Governance.PauseAsync());
        var activeAtPause = await s.Governance.ActiveTimeAsync();
        await s.AdvanceAsync(s.Parameters.MaxPause / 2);
        Assert.Equal(activeAtPause, await s.Governance.ActiveTimeAsync()); // the windows' clock stands still

        // Disputes and answers go on while paused.
        await s.StepAsync(() => s.OperatorB.DisputeMissingAsync(s.Receipt(b, 1, 100)));
        await s.StepAsync(() => s.Clearing.AnswerDisputeAsync(1, b, tree.LeafOf(b).Amount, tree.ProofOf(b)));
        await s.StepAsync(() => s.Governance.UnpauseAsync());

        // Past the window's original end in block time, the window is still open by the time paused.
        await s.AdvanceAsync(s.Parameters.DisputeWindow / 4);
        Assert.True(await s.NowAsync() > postedAtBlockTime + s.Parameters.DisputeWindow);
        Assert.True(await s.Governance.ActiveTimeAsync() < closesAt);
        await s.RefusedAsync("DisputeWindowOpen", () => s.OperatorA.ClaimAsync(1, A, tree.LeafOf(A).Amount, tree.ProofOf(A)));
        await s.StepAsync(() => s.OperatorA.DisputeMissingAsync(s.Receipt(A, 1, 300)));
        await s.StepAsync(() => s.Clearing.AnswerDisputeAsync(1, A, tree.LeafOf(A).Amount, tree.ProofOf(A)));
        await s.AdvanceAsync(s.Parameters.MaxPause / 2);
        await s.StepAsync(() => s.OperatorA.ClaimAsync(1, A, tree.LeafOf(A).Amount, tree.ProofOf(A)));
    }

    [Fact]
    public async Task A_replaced_clearing_house_gets_its_bond_back_only_after_its_epochs_can_no_longer_be_disputed()
    {
        using var s = await LedgerScenario.CreateAsync(anvil);
        var house = DevAccounts.ClearingHouse.Address;
        await s.StepAsync(() => s.Clearing.DepositBondAsync(5_000));
        await s.StepAsync(() => s.Clearing.WithdrawBondAsync(5_000)); // the serving house keeps the minimum
        await s.RefusedAsync("BondTooSmall", () => s.Clearing.WithdrawBondAsync(1));

        await s.StepAsync(() => s.Governance.ProposeRoleChangeAsync(LedgerRole.ClearingHouse, DevAccounts.Users[2].Address));
        await s.AdvanceAsync(s.Parameters.RoleChangeDelay);
        await s.StepAsync(() => s.Stranger.ExecuteRoleChangeAsync(LedgerRole.ClearingHouse));
        var bond = await s.Clearing.BondOfAsync(house);
        await s.RefusedAsync("BondLocked", () => s.Clearing.WithdrawBondAsync(bond));
        await s.AdvanceAsync(s.Parameters.PostDeadline + s.Parameters.DisputeWindow + s.Parameters.AnswerWindow);
        var wallet = await s.Clearing.TokenBalanceAsync(house);
        await s.StepAsync(() => s.Clearing.WithdrawBondAsync(bond));
        Assert.Equal(wallet + bond, await s.Clearing.TokenBalanceAsync(house));
        Assert.Equal(0, (await s.Clearing.GetAccountsAsync()).BondsHeld.Sign);
    }

    [Fact]
    public async Task No_role_can_take_escrow_money_directly()
    {
        // The ABI has no function that sends escrow anywhere but to payees (claims), vendors (their own
        // balance) and bond payouts; every role's attempts at the money paths are refused.
        var functions = Nethereum.ABI.ABIDeserialisation.ABIDeserialiserFactory.DeserialiseContractABI(ContractArtifact.Ledger.Abi).Functions
            .Where(f => !f.Constant).Select(f => f.Name).OrderBy(n => n, StringComparer.Ordinal).ToList();
        Assert.Equal(
            ["answerDispute", "buyCard", "cancelRoleChange", "claim", "claimLate", "depositBond", "disputeMissing", "disputeUnderpaid", "executeRoleChange", "fundBatch",
             "pause", "postEpoch", "proposeRoleChange", "recordIssued", "registerVendor", "removeVendor", "settleDispute", "unpause", "withdrawBond", "withdrawVendorBalance"],
            functions);

        using var s = await LedgerScenario.CreateAsync(anvil);
        await s.FundBatchAsync(1_000);
        foreach (var role in new[] { s.Governance, s.Issuer, s.Clearing })
        {
            await s.RefusedAsync("NothingToWithdraw", () => role.WithdrawVendorBalanceAsync());
        }

        await s.RefusedAsync("NotIssuer", () => s.Governance.Connection.SendAsync(s.Deployment.Ledger, new RecordIssuedFunction { Added = 1 }));
    }
}
