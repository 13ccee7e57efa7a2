using System.Globalization;
using Microsoft.Data.Sqlite;

namespace SimpleXLedger.Audit.Fuzz;

/// <summary>
/// What bad input must never change, read from each service's database (read-only) and its own read calls: the
/// issuer's debits, issued counts and idempotency records; each relay's queues, messages, spent tokens and credit;
/// the clearing house's operators, spent-set, accepted counts and batches. Only values the services' own background
/// work leaves alone are taken (no epoch rows, no outboxes, no balances of queues holding messages).
/// </summary>
internal sealed class StateDigest
{
    /// <summary>Values reported but not required to stay put (work the services do on others' behalf).</summary>
    public const string InfoPrefix = "info.";

    private readonly SortedDictionary<string, long> _values = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, long> Values => _values;

    public long this[string name] => _values.TryGetValue(name, out var v) ? v : 0;

    public void Add(string name, long value) => _values[name] = value;

    /// <summary>The names whose values differ, with before → after.</summary>
    public static IReadOnlyList<string> Differences(StateDigest before, StateDigest after, IReadOnlyDictionary<string, long>? expectedDeltas = null)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        var changes = new List<string>();
        foreach (var name in before._values.Keys.Union(after._values.Keys).Order(StringComparer.Ordinal))
        {
            if (name.StartsWith(InfoPrefix, StringComparison.Ordinal))
            {
                continue;
            }

            var delta = expectedDeltas?.GetValueOrDefault(name) ?? 0;
            if (after[name] - before[name] != delta)
            {
                changes.Add(delta == 0
                    ? $"{name}: {before[name]} → {after[name]}"
                    : $"{name}: {before[name]} → {after[name]} (expected +{delta})");
            }
        }

        return changes;
    }

    public static void ReadIssuer(StateDigest digest, string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(digest);
        using var db = Open(Path.Combine(dataDirectory, "issuer.db"));
        digest.Add("issuer.cards", Scalar(db, "SELECT COUNT(*) FROM cards"));
        digest.Add("issuer.cards.redeemed", Scalar(db, "SELECT COALESCE(SUM(\"Redeemed\"), 0) FROM cards"));
        digest.Add("issuer.keys.issued", Scalar(db, "SELECT COALESCE(SUM(\"Issued\"), 0) FROM token_keys"));
        digest.Add("issuer.redemptions", Scalar(db, "SELECT COUNT(*) FROM redemptions"));
        digest.Add("issuer.batches", Scalar(db, "SELECT COUNT(*) FROM batches"));
        digest.Add("issuer.vendors", Scalar(db, "SELECT COUNT(*) FROM vendors"));
    }

    /// <summary>The last byte of every key id the issuer holds (a truncated key id outside these names no key).</summary>
    public static HashSet<byte> IssuerTruncatedKeyIds(string dataDirectory)
    {
        using var db = Open(Path.Combine(dataDirectory, "issuer.db"));
        using var command = db.CreateCommand();
        command.CommandText = "SELECT \"Id\" FROM token_keys";
        using var reader = command.ExecuteReader();
        var ids = new HashSet<byte>();
        while (reader.Read())
        {
            var id = reader.GetString(0);
            ids.Add(byte.Parse(id.AsSpan(id.Length - 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
        }

        return ids;
    }

    public static void ReadRelay(StateDigest digest, string name, string dataDirectory, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(digest);
        using var db = Open(Path.Combine(dataDirectory, "relay.db"));
        digest.Add($"{name}.queues", Scalar(db, "SELECT COUNT(*) FROM queues"));
        digest.Add($"{name}.messages", Scalar(db, "SELECT COUNT(*) FROM messages"));
        // Storage is charged only while a queue holds messages: the other queues' credit must stay put.
        digest.Add($"{name}.credit", Scalar(db, "SELECT COALESCE(SUM(balance), 0) FROM queues q WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.recipient_id = q.recipient_id)"));

        // The token plugin's spent-set (entries whose key can still redeem: expired ones may be dropped at any time).
        using var command = db.CreateCommand();
        command.CommandText = "SELECT value FROM metering_store WHERE key LIKE 'spent:%'";
        using var reader = command.ExecuteReader();
        long spent = 0;
        var horizon = now.AddMinutes(10).ToUnixTimeSeconds();
        while (reader.Read())
        {
            var value = (byte[])reader[0];
            if (value.Length != 8 || System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(value) > horizon)
            {
                spent++;
            }
        }

        digest.Add($"{name}.spent", spent);
    }

    /// <summary>
    /// The clearing house. Every authenticated batch is recorded with its outcomes, so the batches of the fuzzer's own
    /// operator are expected (each case counts those it caused); batches the relays send for tokens replayed to them
    /// (spent elsewhere: only the clearing house can tell) are reported, and must accept nothing.
    /// </summary>
    public static void ReadClearing(StateDigest digest, string dataDirectory, byte[] fuzzOperator)
    {
        ArgumentNullException.ThrowIfNull(digest);
        using var db = Open(Path.Combine(dataDirectory, "clearing.db"));
        digest.Add("clearing.operators", Scalar(db, "SELECT COUNT(*) FROM operators"));
        digest.Add("clearing.spent", Scalar(db, "SELECT COUNT(*) FROM spent_tokens s JOIN token_keys k ON k.id = s.key_no WHERE k.purged = 0"));
        digest.Add("clearing.keys.accepted", Scalar(db, "SELECT COALESCE(SUM(accepted), 0) FROM token_keys"));
        digest.Add("clearing.payees.accepted", Scalar(db, "SELECT COALESCE(SUM(accepted), 0) FROM payee_epochs"));
        digest.Add("clearing.batches.accepted", Scalar(db, "SELECT COALESCE(SUM(accepted), 0) FROM batches"));
        using var command = db.CreateCommand();
        command.CommandText = "SELECT COALESCE(SUM(CASE WHEN o.public_key = $key THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN o.public_key = $key THEN 0 ELSE 1 END), 0) FROM batches b JOIN operators o ON o.id = b.operator_id";
        command.Parameters.AddWithValue("$key", fuzzOperator);
        using var reader = command.ExecuteReader();
        reader.Read();
        digest.Add(FuzzOperatorBatches, reader.GetInt64(0));
        digest.Add(InfoPrefix + "clearing.batches.relays", reader.GetInt64(1));
    }

    public const string FuzzOperatorBatches = "clearing.batches.fuzzOperator";

    public override string ToString() => string.Join(", ", _values.Select(kv => $"{kv.Key}={kv.Value}"));

    private static SqliteConnection Open(string file)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Mode = SqliteOpenMode.ReadOnly, Pooling = false, DefaultTimeout = 30 }.ToString());
        connection.Open();
        return connection;
    }

    private static long Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }
}
