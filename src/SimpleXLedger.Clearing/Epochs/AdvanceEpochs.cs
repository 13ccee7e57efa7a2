using Mediator;
using Microsoft.EntityFrameworkCore;
using SimpleXLedger.Clearing.Storage;
using SimpleXLedger.Hosting.Pipeline;

namespace SimpleXLedger.Clearing.Epochs;

/// <summary>The epoch taking redemptions and when (block time) it ends.</summary>
public sealed record OpenEpoch(ulong Number, ulong StartsAt, ulong EndsAt) : ILogSummary
{
    public string LogSummary => $"epoch={Number} [{StartsAt}, {EndsAt})";
}

/// <summary>
/// Brings the epochs up to <see cref="Now"/> (block time): creates epoch 1 on a new database, and while the open
/// epoch has ended, marks it Closing (no more redemptions; issue 7 settles it) and opens the next, consecutive
/// and of the configured length, so epoch numbers follow block time even across idle periods.
/// </summary>
public sealed record AdvanceEpochs(ulong Now) : ICommand<OpenEpoch>, ITransactional, ILogSummary
{
    public string LogSummary => $"now={Now}";
}

public sealed class AdvanceEpochsHandler(ClearingDbContext db, ClearingDatabase database, ClearingSettings settings)
    : ICommandHandler<AdvanceEpochs, OpenEpoch>
{
    public async ValueTask<OpenEpoch> Handle(AdvanceEpochs command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (database.Sql.LockEpochsForAdvance is { } lockSql)
        {
            // One advance at a time; batches holding the open row (FOR SHARE) finish before it turns Closing.
            await db.Database.ExecuteSqlRawAsync(lockSql, cancellationToken);
        }

        var length = (long)settings.EpochSeconds;
        var now = (long)command.Now;
        var open = await db.Epochs.SingleOrDefaultAsync(e => e.State == EpochState.Open, cancellationToken);
        if (open is null)
        {
            var last = await db.Epochs.OrderByDescending(e => e.Number).FirstOrDefaultAsync(cancellationToken);
            var start = last?.EndsAt ?? (long)(settings.FirstEpochStart ?? command.Now);
            open = new EpochRow { Number = (last?.Number ?? 0) + 1, StartsAt = start, EndsAt = start + length, State = EpochState.Open };
            db.Epochs.Add(open);
        }

        while (now >= open.EndsAt)
        {
            open.State = EpochState.Closing;
            var next = new EpochRow { Number = open.Number + 1, StartsAt = open.EndsAt, EndsAt = open.EndsAt + length, State = EpochState.Open };
            db.Epochs.Add(next);

            // Saved one epoch at a time so there is never a moment with two open rows.
            await db.SaveChangesAsync(cancellationToken);
            open = next;
        }

        return new OpenEpoch((ulong)open.Number, (ulong)open.StartsAt, (ulong)open.EndsAt);
    }
}
