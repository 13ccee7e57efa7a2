using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;
using System.Text;

namespace SimpleXLedger.Clearing.Storage;

/// <summary>
/// The hot path's SQL, the same text on SQLite and PostgreSQL except for locking. Every statement is one
/// indexed write over the whole batch (multi-row <c>INSERT … ON CONFLICT DO NOTHING RETURNING</c>), never
/// load-then-save, so concurrent redemptions of one token leave exactly one row: the first wins.
/// </summary>
public sealed class SpentSetSql(DatabaseProvider provider)
{
    /// <summary>Rows per INSERT statement (2 parameters a row, well under either provider's limit).</summary>
    public const int RowsPerInsert = 500;

    private readonly ConcurrentDictionary<int, string> _insertSpent = new();

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
    /// <c>INSERT INTO spent_tokens … VALUES (@k0, @n0, @batch_seq), … ON CONFLICT DO NOTHING RETURNING key_no, nonce</c>
    /// for <paramref name="rows"/> rows: only the rows this statement inserted come back.
    /// </summary>
    public string InsertSpent(int rows) => _insertSpent.GetOrAdd(rows, static n =>
    {
        var sql = new StringBuilder("INSERT INTO spent_tokens (key_no, nonce, batch_seq) VALUES ", 40 + (n * 32));
        for (var i = 0; i < n; i++)
        {
            if (i > 0)
            {
                sql.Append(',');
            }

            sql.Append(CultureInfo.InvariantCulture, $"(@k{i},@n{i},@batch_seq)");
        }

        sql.Append(" ON CONFLICT (key_no, nonce) DO NOTHING RETURNING key_no, nonce");
        return sql.ToString();
    });

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
