using Microsoft.EntityFrameworkCore;
using SimpleXLedger.Chain.Merkle;
using SimpleXLedger.Clearing.Storage;

namespace SimpleXLedger.Clearing.Settlement;

/// <summary>An epoch computed from the database, with the invariants that failed (none when it may be posted).</summary>
public sealed record BuiltEpoch(EpochPayouts Payouts, PayoutTree Tree, IReadOnlyList<string> Failed, IReadOnlyList<TokenKeyRow> Keys);

/// <summary>
/// The database side of a close, no chain involved: the payees' counts (payee_epochs, what their receipts say)
/// cross-checked against the recorded batches (their accepted tokens summed per payee), the leaves, the
/// arithmetic invariants, and the Merkle tree. <see cref="EpochCloser"/> adds the ledger's checks and posts.
/// </summary>
public static class EpochBuilder
{
    public static async Task<BuiltEpoch> BuildAsync(ClearingDbContext db, ulong epoch, PayoutTerms terms, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        var e = (long)epoch;
        var counts = (await db.PayeeEpochs.AsNoTracking().Where(p => p.Epoch == e).Select(p => new { p.Payee, p.Accepted }).ToListAsync(ct))
            .Select(p => new PayeeCount(p.Payee, p.Accepted)).ToList();
        var fromBatches = await db.Batches.AsNoTracking().Where(b => b.Epoch == e).GroupBy(b => b.Payee)
            .Select(g => new { Payee = g.Key, Accepted = g.Sum(b => (long)b.Accepted) }).ToDictionaryAsync(x => x.Payee, x => x.Accepted, StringComparer.OrdinalIgnoreCase, ct);
        var keys = await db.TokenKeys.AsNoTracking().ToListAsync(ct);

        var payouts = EpochArithmetic.Compute(epoch, counts, terms);
        var failed = EpochArithmetic.Check(payouts, counts, terms).ToList();
        foreach (var c in counts)
        {
            var recorded = fromBatches.GetValueOrDefault(c.Payee);
            if (recorded != c.Accepted)
            {
                failed.Add($"payee {c.Payee}: count {c.Accepted} != {recorded} accepted in its recorded batches");
            }
        }

        foreach (var payee in fromBatches.Keys.Where(p => fromBatches[p] > 0 && !counts.Any(c => string.Equals(c.Payee, p, StringComparison.OrdinalIgnoreCase))))
        {
            failed.Add($"payee {payee} has accepted batches but no count");
        }

        return new BuiltEpoch(payouts, PayoutTree.Build(payouts.Leaves), failed, keys);
    }
}
