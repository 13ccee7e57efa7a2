using System.Data.Common;
using Mediator;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Logging;
using SimpleXLedger.Clearing.Storage;
using SimpleXLedger.Hosting.Pipeline;

namespace SimpleXLedger.Clearing.Redemption;

/// <summary>
/// Records a verified batch in one transaction: the batch row (its id is the idempotency key), the nonces in
/// the spent-set (first redemption wins), each key's accepted count against the issuer's anchored total
/// (proof of liabilities: beyond it a token is refused unrecorded, as not yet anchored while the issuer may still
/// anchor it, else as over-issued with an alarm), and the payee's running count in the open epoch (the receipt's acceptedInEpoch).
/// When the batch id is already recorded nothing is written and the stored batch comes back. A batch that accepted
/// nothing leaves nothing behind (no batch row, no payee count): a retry of it is recomputed, which is safe because
/// it counted nothing.
/// </summary>
public sealed record RecordBatch(
    byte[] BatchId,
    long OperatorId,
    string Payee,
    byte[] RedeemerId,
    byte[] TokensDigest,
    TokenOutcomeCode[] Outcomes,
    IReadOnlyList<Candidate> Candidates,
    ulong Now)
    : ICommand<BatchRecord>, ITransactional, ILogSummary
{
    /// <summary>How long a token beyond its key's anchored total is "not yet anchored" rather than over-issued.</summary>
    public AnchoringAllowance Allowance { get; init; } = AnchoringAllowance.Default;

    public string LogSummary => $"batch={Convert.ToHexStringLower(BatchId.AsSpan(0, 8))} operator={OperatorId} tokens={Outcomes.Length} verified={Candidates.Count}";
}

/// <summary>A batch as recorded (now or by an earlier call with the same id).</summary>
public sealed record BatchRecord(
    bool Existing,
    long OperatorId,
    byte[] RedeemerId,
    byte[] TokensDigest,
    string Payee,
    ulong Epoch,
    int Accepted,
    ulong AcceptedInEpoch,
    TokenOutcomeCode[] Outcomes) : ILogSummary
{
    public string LogSummary => $"{(Existing ? "existing" : "recorded")} epoch={Epoch} accepted={Accepted} inEpoch={AcceptedInEpoch}";
}

/// <summary>No epoch is open (they are advanced before every batch; only a concurrent close can race it).</summary>
public sealed class NoOpenEpochException : Exception
{
    public NoOpenEpochException()
        : base("no epoch is open for redemptions")
    {
    }

    public NoOpenEpochException(string message)
        : base(message)
    {
    }

    public NoOpenEpochException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// RecordBatch in the Mediator pipeline, its transaction opened by the transaction behaviour: how PostgreSQL records
/// (concurrent transactions side by side). On SQLite the clearing house records through
/// <see cref="SqliteGroupCommit"/> instead, with the same <see cref="RecordAsync"/> inside a group's transaction.
/// </summary>
public sealed class RecordBatchHandler(ClearingDbContext db, ClearingDatabase database, ClearingMetrics metrics, ILogger<RecordBatchHandler> logger)
    : ICommandHandler<RecordBatch, BatchRecord>
{
    public async ValueTask<BatchRecord> Handle(RecordBatch command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var transaction = db.Database.CurrentTransaction?.GetDbTransaction()
            ?? throw new InvalidOperationException("RecordBatch runs inside the transaction behaviour");
        return await RecordAsync(db.Database.GetDbConnection(), transaction, database.Sql, command, metrics, logger, cancellationToken);
    }

    /// <summary>Records one batch with the given connection inside the given (open) transaction; commits nothing.</summary>
    internal static async Task<BatchRecord> RecordAsync(DbConnection connection, DbTransaction transaction, SpentSetSql sql, RecordBatch command, ClearingMetrics metrics, ILogger logger, CancellationToken cancellationToken)
    {
        // 1. The open epoch (shared lock on PostgreSQL until commit). An epoch turning Closing at this moment
        //    hides its row from this statement until the advance commits; the next statement sees its successor.
        long epoch = 0;
        for (var attempt = 1; epoch == 0; attempt++)
        {
            await using var select = SpentSetSql.Command(connection, transaction, sql.SelectOpenEpoch);
            if (await select.ExecuteScalarAsync(cancellationToken) is { } e and not DBNull)
            {
                epoch = Convert.ToInt64(e, System.Globalization.CultureInfo.InvariantCulture);
            }
            else if (attempt == 3)
            {
                throw new NoOpenEpochException();
            }
        }

        // 2. The batch row: its unique id makes the whole batch idempotent.
        var outcomes = (TokenOutcomeCode[])command.Outcomes.Clone();
        long seq;
        await using (var insert = SpentSetSql.Command(connection, transaction, SpentSetSql.InsertBatch))
        {
            SpentSetSql.Add(insert, "@batch_id", command.BatchId);
            SpentSetSql.Add(insert, "@operator_id", command.OperatorId);
            SpentSetSql.Add(insert, "@redeemer_id", command.RedeemerId);
            SpentSetSql.Add(insert, "@tokens_digest", command.TokensDigest);
            SpentSetSql.Add(insert, "@payee", command.Payee);
            SpentSetSql.Add(insert, "@epoch", epoch);
            SpentSetSql.Add(insert, "@token_count", outcomes.Length);
            SpentSetSql.Add(insert, "@outcomes", ToBytes(outcomes));
            SpentSetSql.Add(insert, "@recorded_at", (long)command.Now);
            var batchSeq = await insert.ExecuteScalarAsync(cancellationToken);
            if (batchSeq is null or DBNull)
            {
                return await LoadExistingAsync(connection, transaction, command.BatchId, cancellationToken)
                    ?? throw new InvalidOperationException("the batch id conflicted but its row is not visible");
            }

            seq = Convert.ToInt64(batchSeq, System.Globalization.CultureInfo.InvariantCulture);
        }

        // 2b. Keys purged since the registry was read: the window check ran on the batch's snapshot, which may be
        //     older than the purge's clock. A purged key's nonces are gone, so its tokens are refused here, inside the
        //     transaction; the purge publishes a key as purged before deleting its rows (see PurgeExpiredKeys).
        var candidates = await WithoutPurgedKeysAsync(connection, transaction, sql, command.Candidates, outcomes, cancellationToken);

        // 3. The spent-set: in-batch duplicates are spent at once; the rest go in sorted by (key, nonce),
        //    so concurrent transactions on PostgreSQL lock rows in one order and never deadlock on them.
        var unique = new List<Candidate>(candidates.Count);
        var seen = new HashSet<(int, UInt128, UInt128)>();
        foreach (var c in candidates)
        {
            if (seen.Add(SpentSetSql.RowKey(c.KeyNo, c.Nonce)))
            {
                unique.Add(c);
            }
            else
            {
                outcomes[c.Index] = TokenOutcomeCode.Spent;
            }
        }

        unique.Sort(static (a, b) => a.KeyNo != b.KeyNo ? a.KeyNo.CompareTo(b.KeyNo) : a.Nonce.AsSpan().SequenceCompareTo(b.Nonce));
        var inserted = await sql.InsertSpentAsync(connection, transaction, unique.ConvertAll(c => (c.KeyNo, c.Nonce)), seq, cancellationToken);
        var accepted = new List<Candidate>(unique.Count);
        for (var i = 0; i < unique.Count; i++)
        {
            var c = unique[i];
            if (inserted[i])
            {
                accepted.Add(c);
            }
            else
            {
                outcomes[c.Index] = await SpentByAsync(connection, transaction, c, command, cancellationToken);
            }
        }

        // 4. Proof of liabilities: never more tokens accepted under a key than the issuer anchored as issued.
        foreach (var group in accepted.GroupBy(c => c.KeyNo).OrderBy(g => g.Key))
        {
            var added = group.Count();
            long total;
            await using (var update = SpentSetSql.Command(connection, transaction, SpentSetSql.AddAcceptedToKey))
            {
                SpentSetSql.Add(update, "@n", (long)added);
                SpentSetSql.Add(update, "@key_no", group.Key);
                total = Convert.ToInt64(await update.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
            }

            var key = group.First().Key;
            var issued = (long)Math.Min(key.Issued, long.MaxValue);
            if (total <= issued)
            {
                continue;
            }

            // Over the anchored total: the last tokens of this batch under the key are refused and unrecorded. While the
            // issuer may still anchor them (an honest token issued since its last anchoring) that is "not yet", to be
            // retried; once it can no longer, they were never anchored as issued: over-issued, and the alarm.
            var excess = (int)Math.Min(added, total - issued);
            var notYet = command.Allowance.MayStillAnchor(key, command.Now);
            var refused = group.OrderBy(c => c.Index).TakeLast(excess).ToList();
            foreach (var c in refused)
            {
                await using var delete = SpentSetSql.Command(connection, transaction, SpentSetSql.DeleteSpent);
                SpentSetSql.Add(delete, "@key_no", c.KeyNo);
                SpentSetSql.Add(delete, "@nonce", c.Nonce);
                await delete.ExecuteNonQueryAsync(cancellationToken);
                outcomes[c.Index] = notYet ? TokenOutcomeCode.NotYetAnchored : TokenOutcomeCode.OverIssued;
            }

            await using (var undo = SpentSetSql.Command(connection, transaction, SpentSetSql.AddAcceptedToKey))
            {
                SpentSetSql.Add(undo, "@n", -(long)excess);
                SpentSetSql.Add(undo, "@key_no", group.Key);
                await undo.ExecuteScalarAsync(cancellationToken);
            }

            if (notYet)
            {
                metrics.NotYetAnchored(excess, key.KeyIdHex);
                logger.LogInformation(
                    "{Refused} token(s) under key {KeyId} beyond the {Issued} tokens the issuer anchored as issued so far: refused for now (not yet anchored; the issuer may anchor them until block time {Deadline})",
                    excess,
                    key.KeyIdHex,
                    issued,
                    command.Allowance.AnchoringDeadline(key));
                continue;
            }

            metrics.OverIssued(excess, key.KeyIdHex);
            logger.LogError(
                "ALARM proof of liabilities: {Refused} token(s) under key {KeyId} refused; accepting them would exceed the {Issued} tokens the issuer anchored as issued, and its time to anchor more ended at block time {Deadline}",
                excess,
                key.KeyIdHex,
                issued,
                command.Allowance.AnchoringDeadline(key));
        }

        // 5. The payee's running count in the epoch: the receipt's acceptedInEpoch.
        var acceptedCount = outcomes.Count(o => o == TokenOutcomeCode.Accepted);
        if (acceptedCount == 0)
        {
            // Nothing accepted: nothing is left behind, so nobody can grow the database with batches of spent or bad
            // tokens. The row is dropped inside this transaction (no spent row refers to it: every nonce this batch
            // inserted was accepted or deleted again). Until the commit its id stays taken, so a concurrent call with
            // the same id waits (PostgreSQL: on the unique index) and then records on its own, never both counting:
            // this one counted nothing. The receipt gets the payee's count as it stands, read, not written.
            await using (var drop = SpentSetSql.Command(connection, transaction, SpentSetSql.DeleteBatch))
            {
                SpentSetSql.Add(drop, "@seq", seq);
                await drop.ExecuteNonQueryAsync(cancellationToken);
            }

            long current;
            await using (var read = SpentSetSql.Command(connection, transaction, SpentSetSql.SelectPayeeAccepted))
            {
                SpentSetSql.Add(read, "@payee", command.Payee);
                SpentSetSql.Add(read, "@epoch", epoch);
                current = await read.ExecuteScalarAsync(cancellationToken) is { } n and not DBNull
                    ? Convert.ToInt64(n, System.Globalization.CultureInfo.InvariantCulture)
                    : 0;
            }

            return new BatchRecord(false, command.OperatorId, command.RedeemerId, command.TokensDigest, command.Payee, (ulong)epoch, 0, (ulong)current, outcomes);
        }

        long acceptedInEpoch;
        await using (var upsert = SpentSetSql.Command(connection, transaction, SpentSetSql.AddAcceptedToPayee))
        {
            SpentSetSql.Add(upsert, "@payee", command.Payee);
            SpentSetSql.Add(upsert, "@epoch", epoch);
            SpentSetSql.Add(upsert, "@n", (long)acceptedCount);
            acceptedInEpoch = Convert.ToInt64(await upsert.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
        }

        await using (var finish = SpentSetSql.Command(connection, transaction, SpentSetSql.FinishBatch))
        {
            SpentSetSql.Add(finish, "@accepted", acceptedCount);
            SpentSetSql.Add(finish, "@accepted_in_epoch", acceptedInEpoch);
            SpentSetSql.Add(finish, "@outcomes", ToBytes(outcomes));
            SpentSetSql.Add(finish, "@seq", seq);
            await finish.ExecuteNonQueryAsync(cancellationToken);
        }

        return new BatchRecord(false, command.OperatorId, command.RedeemerId, command.TokensDigest, command.Payee, (ulong)epoch, acceptedCount, (ulong)acceptedInEpoch, outcomes);
    }

    /// <summary>Who spent a token already: this same operator and relay (a retry after a crash) or someone else.</summary>
    private static async Task<TokenOutcomeCode> SpentByAsync(DbConnection connection, DbTransaction transaction, Candidate c, RecordBatch command, CancellationToken ct)
    {
        await using var select = SpentSetSql.Command(connection, transaction, SpentSetSql.SelectSpender);
        SpentSetSql.Add(select, "@key_no", c.KeyNo);
        SpentSetSql.Add(select, "@nonce", c.Nonce);
        await using var reader = await select.ExecuteReaderAsync(ct);
        if (await reader.ReadAsync(ct)
            && reader.GetInt64(0) == command.OperatorId
            && ((byte[])reader.GetValue(1)).AsSpan().SequenceEqual(command.RedeemerId))
        {
            return TokenOutcomeCode.AcceptedEarlier;
        }

        return TokenOutcomeCode.Spent;
    }

    /// <summary>The candidates whose key is not purged (keys checked in id order); the others become KeyNotRedeemable.</summary>
    private static async Task<IReadOnlyList<Candidate>> WithoutPurgedKeysAsync(DbConnection connection, DbTransaction transaction, SpentSetSql sql, IReadOnlyList<Candidate> candidates, TokenOutcomeCode[] outcomes, CancellationToken ct)
    {
        HashSet<int>? purged = null;
        foreach (var keyNo in candidates.Select(c => c.KeyNo).Distinct().Order())
        {
            await using var check = SpentSetSql.Command(connection, transaction, sql.SelectKeyPurged);
            SpentSetSql.Add(check, "@key_no", keyNo);
            if (await check.ExecuteScalarAsync(ct) is { } value and not DBNull && Convert.ToBoolean(value, System.Globalization.CultureInfo.InvariantCulture))
            {
                (purged ??= []).Add(keyNo);
            }
        }

        if (purged is null)
        {
            return candidates;
        }

        var kept = new List<Candidate>(candidates.Count);
        foreach (var c in candidates)
        {
            if (purged.Contains(c.KeyNo))
            {
                outcomes[c.Index] = TokenOutcomeCode.KeyNotRedeemable;
            }
            else
            {
                kept.Add(c);
            }
        }

        return kept;
    }

    internal static async Task<BatchRecord?> LoadExistingAsync(DbConnection connection, DbTransaction? transaction, byte[] batchId, CancellationToken ct)
    {
        await using var select = SpentSetSql.Command(connection, transaction, SpentSetSql.SelectBatch);
        SpentSetSql.Add(select, "@batch_id", batchId);
        await using var reader = await select.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            return null;
        }

        return new BatchRecord(
            true,
            reader.GetInt64(0),
            (byte[])reader.GetValue(1),
            (byte[])reader.GetValue(2),
            reader.GetString(3),
            (ulong)reader.GetInt64(4),
            reader.GetInt32(5),
            (ulong)reader.GetInt64(6),
            FromBytes((byte[])reader.GetValue(7)));
    }

    private static byte[] ToBytes(TokenOutcomeCode[] outcomes) => outcomes.Select(o => (byte)o).ToArray();

    private static TokenOutcomeCode[] FromBytes(byte[] bytes) => bytes.Select(b => (TokenOutcomeCode)b).ToArray();
}
