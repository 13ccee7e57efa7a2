using System.Data.Common;

namespace SimpleXLedger.Clearing.Storage;

/// <summary>
/// The hot path's SQL, the same text on SQLite and PostgreSQL except for locking and how the spent-set's rows
/// travel (<see cref="InsertSpentAsync"/>). Every write is an indexed insert-or-nothing, never load-then-save, so
/// concurrent redemptions of one token leave exactly one row: the first wins.
/// </summary>
public sealed class SpentSetSql(DatabaseProvider provider)
{
    public DatabaseProvider Provider { get; } = provider;

    /// <summary>
    /// The open epoch. On PostgreSQL a shared row lock is held to the end of the batch's transaction, so moving
    /// the epoch to Closing (which takes the row exclusively) waits for every batch already recording into it.
    /// </summary>
    public string SelectOpenEpoch => Provider == DatabaseProvider.Postgres
        ? "SELECT number FROM epochs WHERE state = 0 FOR SHARE"
        : "SELECT number FROM epochs WHERE state = 0";

    /// <summary>Serialises epoch advances (PostgreSQL; SQLite has one writer anyway) without blocking batches' shared row locks.</summary>
    public string? LockEpochsForAdvance => Provider == DatabaseProvider.Postgres ? "LOCK TABLE epochs IN SHARE ROW EXCLUSIVE MODE" : null;

    public const string InsertBatch =
        "INSERT INTO batches (batch_id, operator_id, redeemer_id, tokens_digest, payee, epoch, token_count, accepted, accepted_in_epoch, outcomes, recorded_at) " +
        "VALUES (@batch_id, @operator_id, @redeemer_id, @tokens_digest, @payee, @epoch, @token_count, 0, 0, @outcomes, @recorded_at) " +
        "ON CONFLICT (batch_id) DO NOTHING RETURNING seq";

    public const string SelectBatch =
        "SELECT operator_id, redeemer_id, tokens_digest, payee, epoch, accepted, accepted_in_epoch, outcomes FROM batches WHERE batch_id = @batch_id";

    public const string SelectSpender =
        "SELECT b.operator_id, b.redeemer_id FROM spent_tokens s JOIN batches b ON b.seq = s.batch_seq WHERE s.key_no = @key_no AND s.nonce = @nonce";

    public const string AddAcceptedToKey = "UPDATE token_keys SET accepted = accepted + @n WHERE id = @key_no RETURNING accepted";

    public const string DeleteSpent = "DELETE FROM spent_tokens WHERE key_no = @key_no AND nonce = @nonce";

    public const string AddAcceptedToPayee =
        "INSERT INTO payee_epochs (payee, epoch, accepted) VALUES (@payee, @epoch, @n) " +
        "ON CONFLICT (payee, epoch) DO UPDATE SET accepted = payee_epochs.accepted + excluded.accepted RETURNING accepted";

    /// <summary>The payee's running count in the epoch, read only (a batch that accepted nothing writes no row).</summary>
    public const string SelectPayeeAccepted = "SELECT accepted FROM payee_epochs WHERE payee = @payee AND epoch = @epoch";

    /// <summary>Drops the row of a batch that accepted nothing, before its transaction commits (no spent row refers to it).</summary>
    public const string DeleteBatch = "DELETE FROM batches WHERE seq = @seq";

    public const string FinishBatch = "UPDATE batches SET accepted = @accepted, accepted_in_epoch = @accepted_in_epoch, outcomes = @outcomes WHERE seq = @seq";

    public const string InsertKey =
        "INSERT INTO token_keys (key_id, accepted, redeem_until, purged) VALUES (@key_id, 0, @redeem_until, FALSE) ON CONFLICT (key_id) DO NOTHING";

    public const string SelectKeyNo = "SELECT id FROM token_keys WHERE key_id = @key_id";

    public const string DeleteSpentOfKey = "DELETE FROM spent_tokens WHERE key_no = @key_no";

    /// <summary>
    /// Whether a key's spent rows were purged, read inside a batch's transaction. On PostgreSQL the key row is held
    /// FOR KEY SHARE to the batch's commit: that does not block other batches (nor their update of the key's accepted
    /// count), but the purge's FOR UPDATE waits for it, and a batch that comes after the purge's lock reads purged.
    /// </summary>
    public string SelectKeyPurged => Provider == DatabaseProvider.Postgres
        ? "SELECT purged FROM token_keys WHERE id = @key_no FOR KEY SHARE"
        : "SELECT purged FROM token_keys WHERE id = @key_no";

    /// <summary>The keys to purge, in id order; on PostgreSQL locked against batches recording under them.</summary>
    public string SelectKeysToPurge => Provider == DatabaseProvider.Postgres
        ? "SELECT id FROM token_keys WHERE NOT purged AND redeem_until <= @now ORDER BY id FOR UPDATE"
        : "SELECT id FROM token_keys WHERE NOT purged AND redeem_until <= @now ORDER BY id";

    /// <summary>Publishes a key as purged (before its rows are deleted): batches refuse its tokens from then on.</summary>
    public const string MarkKeyPurged = "UPDATE token_keys SET purged = TRUE WHERE id = @key_no";

    /// <summary>The spent-set's check-and-insert of one nonce: a row that exists already is left as it is.</summary>
    public const string InsertSpentRow =
        "INSERT INTO spent_tokens (key_no, nonce, batch_seq) VALUES (@key_no, @nonce, @batch_seq) ON CONFLICT (key_no, nonce) DO NOTHING";

    /// <summary>
    /// The spent-set's check-and-insert for a whole batch, in the transaction: every nonce goes in unless it is there
    /// already (<c>INSERT … ON CONFLICT DO NOTHING</c>, never load-then-save), so of concurrent redemptions of one token
    /// exactly one inserts its row: the first wins. Returns, in the order given, whether each row was inserted now.
    /// PostgreSQL gets the batch as one statement (two array parameters through <c>unnest</c>, the inserted rows coming
    /// back through <c>RETURNING</c>): one round trip. SQLite runs in this process, so there is no round trip to save:
    /// one prepared statement is stepped once per nonce and says by its change count whether it inserted. That costs
    /// less than any single batch-wide statement (a JSON or blob parameter to unpack, hex to decode, rows to return).
    /// </summary>
    public async Task<bool[]> InsertSpentAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<(int KeyNo, byte[] Nonce)> rows, long batchSeq, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var inserted = new bool[rows.Count];
        if (rows.Count == 0)
        {
            return inserted;
        }

        if (Provider == DatabaseProvider.Postgres)
        {
            await using var command = Command(connection, transaction,
                "INSERT INTO spent_tokens (key_no, nonce, batch_seq) SELECT r.k, r.n, @batch_seq FROM unnest(@keys, @nonces) AS r(k, n) " +
                "ON CONFLICT (key_no, nonce) DO NOTHING RETURNING key_no, nonce");
            Add(command, "@keys", rows.Select(r => r.KeyNo).ToArray());
            Add(command, "@nonces", rows.Select(r => r.Nonce).ToArray());
            Add(command, "@batch_seq", batchSeq);
            var positions = new Dictionary<(int, UInt128, UInt128), int>(rows.Count);
            for (var i = 0; i < rows.Count; i++)
            {
                positions[RowKey(rows[i].KeyNo, rows[i].Nonce)] = i;
            }

            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                inserted[positions[RowKey(reader.GetInt32(0), (byte[])reader.GetValue(1))]] = true;
            }

            return inserted;
        }

        await using (var command = Command(connection, transaction, InsertSpentRow))
        {
            var keyNo = command.CreateParameter();
            keyNo.ParameterName = "@key_no";
            keyNo.DbType = System.Data.DbType.Int32;
            var nonce = command.CreateParameter();
            nonce.ParameterName = "@nonce";
            nonce.DbType = System.Data.DbType.Binary;
            var seq = command.CreateParameter();
            seq.ParameterName = "@batch_seq";
            seq.DbType = System.Data.DbType.Int64;
            seq.Value = batchSeq;
            command.Parameters.Add(keyNo);
            command.Parameters.Add(nonce);
            command.Parameters.Add(seq);
            await command.PrepareAsync(cancellationToken);
            for (var i = 0; i < rows.Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                keyNo.Value = rows[i].KeyNo;
                nonce.Value = rows[i].Nonce;

                // Microsoft.Data.Sqlite runs synchronously anyway; the synchronous call spares a task per row.
#pragma warning disable CA1849
                inserted[i] = command.ExecuteNonQuery() == 1;
#pragma warning restore CA1849
            }
        }

        return inserted;
    }

    /// <summary>A (key, nonce) pair as a value for hash sets (nonces are 32 bytes).</summary>
    public static (int, UInt128, UInt128) RowKey(int keyNo, ReadOnlySpan<byte> nonce) =>
        (keyNo, System.Buffers.Binary.BinaryPrimitives.ReadUInt128LittleEndian(nonce), System.Buffers.Binary.BinaryPrimitives.ReadUInt128LittleEndian(nonce[16..]));

    public static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    public static void Add(DbCommand command, string name, object value)
    {
        ArgumentNullException.ThrowIfNull(command);
        var p = command.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        command.Parameters.Add(p);
    }
}
