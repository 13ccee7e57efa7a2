using System.Numerics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SimpleXLedger.Chain.Merkle;
using SimpleXLedger.Chain.Services;
using SimpleXLedger.Clearing.Epochs;
using SimpleXLedger.Clearing.Registry;
using SimpleXLedger.Clearing.Storage;
using SimpleXLedger.Net.Crash;

namespace SimpleXLedger.Clearing.Settlement;

/// <summary>What one close did for one epoch.</summary>
public sealed record EpochSettlement(ulong Epoch, int Round, LeafFile File, bool AlreadyPosted);

/// <summary>
/// Closes settlement epochs and anchors them: for each epoch the schedule has moved to Closing (in order), it
/// sums the payees' accepted tokens, computes the leaves (<see cref="EpochArithmetic"/>), checks the design's
/// invariants (refusing to post, with an alarm, if one fails), writes the leaf file, then posts root, total,
/// operator total and leaves hash through the idempotent <see cref="LedgerClient.PostEpochAsync"/>. A crash
/// between writing and posting reuses the written file, so the same root is posted once. A frozen epoch with
/// its disputes closed is posted again (next round) with the correct full leaves; what the bond paid the
/// disputing payee is the clearing house's penalty and is not deducted.
/// </summary>
public sealed class EpochCloser(
    IServiceScopeFactory scopes,
    ClearingSettings settings,
    IKeyRegistry registry,
    EpochSchedule schedule,
    LedgerClient ledger,
    ILogger logger,
    SettlementFault? fault = null)
{
    public const string AfterBuildCrashPoint = "clearing.epoch.after-build";

    /// <summary>Where a crash test stops the process: the root is anchored on-chain, the leaf file and the epoch's state not yet updated.</summary>
    public const string AfterPostCrashPoint = "clearing.epoch.after-post";

    public LeafStore Store { get; } = new(settings.DataDirectory);

    /// <summary>Advances epochs to the chain's time and settles every epoch that has ended, oldest first.</summary>
    public async Task<IReadOnlyList<EpochSettlement>> CloseDueAsync(CancellationToken ct)
    {
        var snapshot = await registry.GetSnapshotAsync(ct);
        await schedule.EnsureOpenAsync(snapshot.Now, ct);
        List<long> due;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<ClearingDbContext>();
            due = await db.Epochs.Where(e => e.State == EpochState.Closing).OrderBy(e => e.Number).Select(e => e.Number).ToListAsync(ct);
        }

        var done = new List<EpochSettlement>();
        foreach (var n in due)
        {
            done.Add(await SettleAsync((ulong)n, snapshot, ct));
        }

        return done;
    }

    /// <summary>Posts again every frozen epoch whose disputes are all closed (the next round, correct leaves).</summary>
    public async Task<IReadOnlyList<EpochSettlement>> RepostFrozenAsync(CancellationToken ct)
    {
        var next = await ledger.NextEpochAsync(ct);
        var done = new List<EpochSettlement>();
        for (ulong n = 1; n < next; n++)
        {
            var onChain = await ledger.GetEpochAsync(n, ct);
            if (onChain.Frozen && onChain.OpenDisputes == 0)
            {
                var snapshot = await registry.GetSnapshotAsync(ct);
                done.Add(await SettleAsync(n, snapshot, ct));
            }
        }

        return done;
    }

    private async Task<EpochSettlement> SettleAsync(ulong epoch, RegistrySnapshot snapshot, CancellationToken ct)
    {
        var onChain = await ledger.GetEpochAsync(epoch, ct);
        var stored = Store.TryLoad(epoch);
        if (onChain.Live)
        {
            if (stored is null || !stored.RootBytes.AsSpan().SequenceEqual(onChain.Root))
            {
                logger.LogCritical("ALARM epoch {Epoch} is live on the ledger with a root this clearing house did not publish", epoch);
                throw new EpochConflictException(epoch);
            }

            stored = await NamePostingAsync(stored, ct);
            await MarkClosedAsync(epoch, ct);
            return new EpochSettlement(epoch, stored.Round, stored, AlreadyPosted: true);
        }

        if (onChain.Frozen && onChain.OpenDisputes != 0)
        {
            throw new InvalidOperationException($"epoch {epoch} is frozen with {onChain.OpenDisputes} dispute(s) open: it is posted again once they are closed");
        }

        var round = onChain.Posted ? onChain.Round + 1 : 1;
        var file = stored is not null && stored.Round == round && stored.IsConsistent() ? stored : await BuildAsync(epoch, round, snapshot, ct);
        await TopUpBondAsync(ct);
        var post = new EpochPost(epoch, file.RootBytes, file.TotalAmount, file.OperatorTotalAmount, file.LeavesHashBytes);
        var result = await ledger.PostEpochAsync(post, ct);
        CrashPoint.Reach(AfterPostCrashPoint);
        if (result.Transaction is { } tx)
        {
            file = file with { PostedTx = tx.Hash, PostedBlock = tx.BlockNumber };
            Store.Save(file);
        }
        else
        {
            // Already on the ledger: an earlier attempt landed but its answer was lost (a crash, the chain out of reach).
            file = await NamePostingAsync(file, ct);
        }

        await MarkClosedAsync(epoch, ct);
        logger.LogInformation(
            "epoch {Epoch} round {Round} anchored: {Leaves} leaves, root {Root}, total {Total}, operator total {OperatorTotal}{Already}",
            epoch,
            round,
            file.Leaves.Count,
            file.Root,
            file.Total,
            file.OperatorTotal,
            result.AlreadyPosted ? " (already on the ledger)" : "");
        return new EpochSettlement(epoch, round, file, result.AlreadyPosted);
    }

    private async Task<LeafFile> BuildAsync(ulong epoch, int round, RegistrySnapshot snapshot, CancellationToken ct)
    {
        var info = await ledger.GetInfoAsync(ct);
        var terms = PayoutTerms.From(info);
        BuiltEpoch built;
        await using (var scope = scopes.CreateAsyncScope())
        {
            built = await EpochBuilder.BuildAsync(scope.ServiceProvider.GetRequiredService<ClearingDbContext>(), epoch, terms, ct);
        }

        var payouts = built.Payouts;
        var keys = built.Keys;
        var failed = built.Failed.ToList();

        // Proof of liabilities: never more tokens accepted under a key than the issuer anchored as issued.
        foreach (var key in keys)
        {
            if (snapshot.Find(key.KeyId) is { } registered && key.Accepted > (long)registered.Issued)
            {
                failed.Add($"key {Convert.ToHexStringLower(key.KeyId)[..16]}…: {key.Accepted} accepted > {registered.Issued} anchored as issued");
            }
        }

        var accounts = await ledger.GetAccountsAsync(ct);
        if (payouts.Total > accounts.Unallocated)
        {
            failed.Add($"total {payouts.Total} > unallocated escrow {accounts.Unallocated}");
        }

        var acceptedEver = keys.Aggregate(BigInteger.Zero, (s, k) => s + k.Accepted);
        var issuedEver = await ledger.TotalIssuedAsync(ct);
        if (acceptedEver > issuedEver)
        {
            failed.Add($"{acceptedEver} tokens accepted in all > {issuedEver} anchored as issued in all");
        }

        if (failed.Count > 0)
        {
            logger.LogCritical("ALARM epoch {Epoch} not posted, invariant failed: {Failed}", epoch, string.Join("; ", failed));
            throw new SettlementInvariantException(failed);
        }

        if (fault is not null && round == 1)
        {
            payouts = Underpay(payouts, fault.UnderpaidPayee, terms.OperatorRate);
            logger.LogWarning("TEST FAULT: epoch {Epoch} underpays {Payee}", epoch, fault.UnderpaidPayee);
        }

        var tree = ReferenceEquals(payouts, built.Payouts) ? built.Tree : PayoutTree.Build(payouts.Leaves);
        var file = LeafFile.From(payouts, tree, round, terms.OperatorRate);
        Store.Save(file);
        CrashPoint.Reach(AfterBuildCrashPoint);
        return file;
    }

    /// <summary>
    /// Names in the leaf file the transaction that anchored it, when the post's answer was lost (the file still says
    /// nothing): found from the ledger's EpochPosted event, so the published list always says where it was anchored.
    /// </summary>
    private async Task<LeafFile> NamePostingAsync(LeafFile file, CancellationToken ct)
    {
        if (file.PostedTx is not null)
        {
            return file;
        }

        var posted = await ledger.FindEpochPostedAsync(file.Epoch, (byte)file.Round, ct);
        if (posted is null)
        {
            logger.LogWarning("epoch {Epoch} round {Round} is on the ledger but its EpochPosted event was not found", file.Epoch, file.Round);
            return file;
        }

        file = file with { PostedTx = posted.TransactionHash, PostedBlock = posted.BlockNumber };
        Store.Save(file);
        logger.LogInformation("epoch {Epoch} round {Round} was anchored earlier in {Tx} (its answer was lost)", file.Epoch, file.Round, posted.TransactionHash);
        return file;
    }

    /// <summary>A lost dispute leaves the bond below the minimum, and the ledger refuses posts until it is whole again.</summary>
    private async Task TopUpBondAsync(CancellationToken ct)
    {
        var self = ledger.Connection.Address ?? throw new InvalidOperationException("posting needs the clearing house's key");
        var bond = await ledger.BondOfAsync(self, ct);
        var minimum = (await ledger.GetInfoAsync(ct)).MinBond;
        if (bond < minimum)
        {
            logger.LogWarning("bond {Bond} below the minimum {Minimum} (a lost dispute?): depositing {Missing}", bond, minimum, minimum - bond);
            await ledger.DepositBondAsync(minimum - bond, ct);
        }
    }

    private static EpochPayouts Underpay(EpochPayouts payouts, string payee, BigInteger rate)
    {
        var leaves = payouts.Leaves
            .Select(l => string.Equals(l.Payee, payee, StringComparison.OrdinalIgnoreCase) ? l with { Amount = BigInteger.Max(0, l.Amount - rate) } : l)
            .ToList();
        var cut = payouts.Total - leaves.Aggregate(BigInteger.Zero, (s, l) => s + l.Amount);
        return payouts with { Leaves = leaves, Total = payouts.Total - cut, OperatorTotal = payouts.OperatorTotal - cut };
    }

    private async Task MarkClosedAsync(ulong epoch, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ClearingDbContext>();
        var e = (long)epoch;
        await db.Epochs.Where(x => x.Number == e && x.State == EpochState.Closing).ExecuteUpdateAsync(s => s.SetProperty(x => x.State, EpochState.Closed), ct);
    }
}
