using System.Data.Common;
using System.Globalization;
using System.Text;

namespace SimpleXLedger.Clearing.Storage;

/// <summary>
/// The hot path's SQL, the same text on SQLite and PostgreSQL except for locking. Every statement is one
/// indexed write over the whole batch (<c>INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING</c>), never
/// load-then-save, so concurrent redemptions of one token leave exactly one row: the first wins.
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

    public const string FinishBatch = "UPDATE batches SET accepted = @accepted, accepted_in_epoch = @accepted_in_epoch, outcomes = @outcomes WHERE seq = @seq";

    public const string InsertKey =
        "INSERT INTO token_keys (key_id, accepted, redeem_until, purged) VALUES (@key_id, 0, @redeem_until, FALSE) ON CONFLICT (key_id) DO NOTHING";

    public const string SelectKeyNo = "SELECT id FROM token_keys WHERE key_id = @key_id";

    public const string DeleteSpentOfKey = "DELETE FROM spent_tokens WHERE key_no = @key_no";

    /// <summary>
    /// The spent-set's check-and-insert for a whole batch as one statement: only the rows it inserted come back
    /// (<c>ON CONFLICT DO NOTHING RETURNING key_no, nonce</c>), so a nonce already spent is simply not returned.
    /// The rows travel as one parameter, not two per row: PostgreSQL takes two arrays and <c>unnest</c>s them;
    /// SQLite takes a JSON array of <c>[key_no, "nonce hex"]</c> through <c>json_each</c> (binding a thousand
    /// named parameters costs SQLite more than the insert itself). Rows are inserted in the given order.
    /// </summary>
    public DbCommand InsertSpent(DbConnection connection, DbTransaction transaction, IReadOnlyList<(int KeyNo, byte[] Nonce)> rows, long batchSeq)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (Provider == DatabaseProvider.Postgres)
        {
            var command = Command(connection, transaction,
                "INSERT INTO spent_tokens (key_no, nonce, batch_seq) SELECT r.k, r.n, @batch_seq FROM unnest(@keys, @nonces) AS r(k, n) " +
                "ON CONFLICT (key_no, nonce) DO NOTHING RETURNING key_no, nonce");
            Add(command, "@keys", rows.Select(r => r.KeyNo).ToArray());
            Add(command, "@nonces", rows.Select(r => r.Nonce).ToArray());
            Add(command, "@batch_seq", batchSeq);
            return command;
        }
        else
        {
            // "WHERE true" tells SQLite's parser that ON CONFLICT belongs to the INSERT, not to a join.
            var command = Command(connection, transaction,
                "INSERT INTO spent_tokens (key_no, nonce, batch_seq) SELECT json_extract(value, '$[0]'), unhex(json_extract(value, '$[1]')), @batch_seq " +
                "FROM json_each(@rows) WHERE true ON CONFLICT (key_no, nonce) DO NOTHING RETURNING key_no, nonce");
            var json = new StringBuilder(2 + (rows.Count * 80));
            json.Append('[');
            foreach (var (keyNo, nonce) in rows)
            {
                if (json.Length > 1)
                {
                    json.Append(',');
                }

                json.Append('[').Append(keyNo.ToString(CultureInfo.InvariantCulture)).Append(",\"").Append(Convert.ToHexString(nonce)).Append("\"]");
            }

            json.Append(']');
            Add(command, "@rows", json.ToString());
            Add(command, "@batch_seq", batchSeq);
            return command;
        }
    }

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
