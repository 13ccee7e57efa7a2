using Mediator;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using SimpleXLedger.Clearing.Storage;
using SimpleXLedger.Hosting.Pipeline;

namespace SimpleXLedger.Clearing.Maintenance;

/// <summary>
/// Drops the spent-set rows of keys past their redeemUntil (block time): their tokens are refused by the
/// window check from then on, so their nonces are no longer needed. Batches and per-payee counts stay
/// (settlement reads those, not the spent-set).
/// A batch checks the window on its own registry snapshot, which can be older than this purge's clock, so the purge
/// first publishes each key as purged (on PostgreSQL after locking its row, which waits for batches recording under
/// it) and only then deletes its rows; every batch reads that mark inside its transaction and refuses the key's
/// tokens (<see cref="Redemption.RecordBatch"/>). A nonce is thus never recorded under a key whose rows are gone.
/// </summary>
public sealed record PurgeExpiredKeys(ulong Now) : ICommand<int>, ITransactional, ILogSummary
{
    public string LogSummary => $"now={Now}";
}

public sealed class PurgeExpiredKeysHandler(ClearingDbContext db, ClearingDatabase database) : ICommandHandler<PurgeExpiredKeys, int>
{
    public async ValueTask<int> Handle(PurgeExpiredKeys command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var now = (long)Math.Min(command.Now, long.MaxValue);
        var connection = db.Database.GetDbConnection();
        var transaction = db.Database.CurrentTransaction?.GetDbTransaction()
            ?? throw new InvalidOperationException("PurgeExpiredKeys runs inside the transaction behaviour");

        var expired = new List<int>();
        await using (var select = SpentSetSql.Command(connection, transaction, database.Sql.SelectKeysToPurge))
        {
            SpentSetSql.Add(select, "@now", now);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                expired.Add(reader.GetInt32(0));
            }
        }

        // 1. Publish the horizon: every expired key is marked purged before any of its rows goes.
        foreach (var keyNo in expired)
        {
            await using var mark = SpentSetSql.Command(connection, transaction, SpentSetSql.MarkKeyPurged);
            SpentSetSql.Add(mark, "@key_no", keyNo);
            await mark.ExecuteNonQueryAsync(cancellationToken);
        }

        // 2. Then drop their nonces.
        var dropped = 0;
        foreach (var keyNo in expired)
        {
            await using var delete = SpentSetSql.Command(connection, transaction, SpentSetSql.DeleteSpentOfKey);
            SpentSetSql.Add(delete, "@key_no", keyNo);
            dropped += await delete.ExecuteNonQueryAsync(cancellationToken);
        }

        return dropped;
    }
}
