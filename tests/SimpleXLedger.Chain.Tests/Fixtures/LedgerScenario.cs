using System.Numerics;
using System.Security.Cryptography;
using SimpleXLedger.Chain.Contracts;
using SimpleXLedger.Chain.Devnet;
using SimpleXLedger.Chain.Merkle;
using SimpleXLedger.Chain.Receipts;
using SimpleXLedger.Chain.Services;
using SimpleXLedger.Testing.Chain;

namespace SimpleXLedger.Chain.Tests.Fixtures;

/// <summary>
/// A freshly deployed ledger on the shared Anvil, with a client per role, and the checks every test
/// makes after each step: the escrow invariant (from the contract's own terms and the token balance)
/// and, for refused calls, that nothing changed.
/// </summary>
public sealed class LedgerScenario : IDisposable
{
    private readonly List<ChainConnection> _connections = [];

    private LedgerScenario(AnvilFixture anvil, DevnetDeployment deployment)
    {
        Anvil = anvil;
        Deployment = deployment;
    }

    public AnvilFixture Anvil { get; }

    public DevnetDeployment Deployment { get; }

    public LedgerParameters Parameters => Deployment.Parameters;

    public LedgerClient Governance { get; private set; } = null!;

    public LedgerClient Issuer { get; private set; } = null!;

    public LedgerClient Clearing { get; private set; } = null!;

    public LedgerClient Vendor { get; private set; } = null!;

    public LedgerClient OperatorA { get; private set; } = null!;

    public LedgerClient OperatorB { get; private set; } = null!;

    public LedgerClient Buyer { get; private set; } = null!;

    public LedgerClient Stranger { get; private set; } = null!;

    public BigInteger Rate => Parameters.OperatorRate;

    public int Steps { get; private set; }

    /// <summary>Test windows: long enough that wall-clock time never closes one; tests move the chain's clock instead.</summary>
    public static LedgerParameters TestWindows(LedgerParameters p) => p with
    {
        MinKeyDelay = 100,
        MinIssueWindow = 1_000,
        MinRedeemWindow = 2_000,
        DisputeWindow = 600,
        AnswerWindow = 300,
        PostDeadline = 3_600,
        RoleChangeDelay = 500,
        MaxPause = 400,
        PauseCooldown = 1_000,
    };

    public static async Task<LedgerScenario> CreateAsync(AnvilFixture anvil, Func<LedgerParameters, LedgerParameters>? adjust = null)
    {
        var deployment = await DevnetLedger.DeployAsync(anvil.RpcUrl, p => adjust is null ? TestWindows(p) : adjust(TestWindows(p)));
        var scenario = new LedgerScenario(anvil, deployment);
        scenario.Governance = await scenario.ClientAsync(DevAccounts.Governance);
        scenario.Issuer = await scenario.ClientAsync(DevAccounts.Issuer);
        scenario.Clearing = await scenario.ClientAsync(DevAccounts.ClearingHouse);
        scenario.Vendor = await scenario.ClientAsync(DevAccounts.Vendor);
        scenario.OperatorA = await scenario.ClientAsync(DevAccounts.OperatorA);
        scenario.OperatorB = await scenario.ClientAsync(DevAccounts.OperatorB);
        scenario.Buyer = await scenario.ClientAsync(DevAccounts.Users[0]);
        scenario.Stranger = await scenario.ClientAsync(DevAccounts.Users[1]);
        await scenario.AssertInvariantAsync();
        return scenario;
    }

    public async Task<LedgerClient> ClientAsync(DevAccount account)
    {
        var connection = await ChainConnection.ConnectAsync(Anvil.RpcUrl, account.Key);
        _connections.Add(connection);
        return await LedgerClient.AttachAsync(connection, Deployment.Ledger);
    }

    /// <summary>Runs one state change and checks the escrow invariant after it.</summary>
    public async Task<T> StepAsync<T>(Func<Task<T>> step)
    {
        ArgumentNullException.ThrowIfNull(step);
        var result = await step();
        await AssertInvariantAsync();
        Steps++;
        return result;
    }

    public Task StepAsync(Func<Task> step) => StepAsync(async () =>
    {
        await step();
        return 0;
    });

    /// <summary>Expects the contract to refuse with <paramref name="errorName"/>, and nothing to have changed.</summary>
    public async Task<LedgerRevertException> RefusedAsync(string errorName, Func<Task> step)
    {
        ArgumentNullException.ThrowIfNull(step);
        var before = await Governance.GetAccountsAsync();
        var refused = await Assert.ThrowsAsync<LedgerRevertException>(step);
        Assert.Equal(errorName, refused.ErrorName);
        Assert.Equal(before, await Governance.GetAccountsAsync());
        await AssertInvariantAsync();
        return refused;
    }

    public async Task AssertInvariantAsync()
    {
        var accounts = await Governance.GetAccountsAsync();
        Assert.True(accounts.BooksBalance, $"escrow books do not balance: {accounts}");
        Assert.True(accounts.TokenBalanceMatches, $"token balance differs from what the ledger holds: {accounts}");
        Assert.True(await Governance.InvariantHoldsAsync(), "the contract's own invariant check failed");
    }

    /// <summary>Moves the chain's clock (Anvil's own time) forward and mines a block.</summary>
    /// <summary>Mines one block exactly <paramref name="seconds"/> after the latest one (by block time, not the wall clock).</summary>
    public async Task AdvanceAsync(ulong seconds)
    {
        var connection = Governance.Connection;
        if (seconds > 0)
        {
            // evm_increaseTime adds to the wall clock, so a loaded machine's pause lands in the block time too.
            await connection.RpcAsync<object>("evm_setNextBlockTimestamp", (long)(await NowAsync() + seconds));
        }

        await connection.RpcAsync<object>("evm_mine");
    }

    public Task<ulong> NowAsync() => Governance.LatestBlockTimeAsync();

    /// <summary>The dev vendor funds a batch of <paramref name="credits"/>; returns its batch id.</summary>
    public async Task<byte[]> FundBatchAsync(ulong credits)
    {
        var batchId = RandomNumberGenerator.GetBytes(32);
        var root = RandomNumberGenerator.GetBytes(32);
        await StepAsync(() => Vendor.FundBatchAsync(batchId, root, credits));
        return batchId;
    }

    /// <summary>An anchored key with <paramref name="issued"/> tokens anchored as issued under it (funding first).</summary>
    public async Task<byte[]> FundAndIssueAsync(ulong credits, ulong issued)
    {
        await FundBatchAsync(credits);
        var now = await NowAsync();
        var usableFrom = now + Parameters.MinKeyDelay + 5;
        var (keyId, _) = await StepAsync(() => Issuer.AnchorKeyAsync(RandomSpki(), usableFrom, usableFrom + Parameters.MinIssueWindow, usableFrom + Parameters.MinIssueWindow + Parameters.MinRedeemWindow));
        await StepAsync(() => Issuer.AnchorIssuedAsync(keyId, issued));
        return keyId;
    }

    /// <summary>Payout leaves for operators' accepted tokens at the operator rate, plus the fee leaf.</summary>
    public PayoutTree Payouts(ulong epoch, params (string Payee, ulong Tokens)[] operators)
    {
        var leaves = operators.Select(o => new PayoutLeaf(epoch, o.Payee, o.Tokens * Rate)).ToList();
        var tokens = operators.Aggregate(0UL, (sum, o) => sum + o.Tokens);
        var fee = tokens * Parameters.CreditPrice * Parameters.FeeBps / 10_000;
        if (fee > 0)
        {
            leaves.Add(new PayoutLeaf(epoch, Parameters.FeeRecipient, fee));
        }

        return PayoutTree.Build(leaves);
    }

    public EpochPost PostOf(PayoutTree tree, ulong epoch)
    {
        ArgumentNullException.ThrowIfNull(tree);
        var operatorTotal = tree.Leaves.Where(l => !string.Equals(l.Payee, Parameters.FeeRecipient, StringComparison.OrdinalIgnoreCase)).Aggregate(BigInteger.Zero, (s, l) => s + l.Amount);
        return new EpochPost(epoch, tree.Root, tree.Total, operatorTotal, RandomNumberGenerator.GetBytes(32));
    }

    public SignedReceipt Receipt(string payee, ulong epoch, ulong accepted, DevAccount? signer = null)
        => Clearing.Receipts.Sign(new Receipt(payee, epoch, accepted, RandomNumberGenerator.GetBytes(32)), (signer ?? DevAccounts.ClearingHouse).Key);

    /// <summary>A stand-in SPKI: the registry only hashes and stores the bytes.</summary>
    public static byte[] RandomSpki()
    {
        var spki = new byte[294];
        RandomNumberGenerator.Fill(spki);
        return spki;
    }

    public void Dispose()
    {
        foreach (var c in _connections)
        {
            c.Dispose();
        }
    }
}
