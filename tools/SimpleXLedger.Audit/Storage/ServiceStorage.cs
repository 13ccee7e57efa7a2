using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using SimpleXLedger.Clearing.Storage;
using SimpleXLedger.Devnet.Network;
using SimpleXLedger.Issuer;
using SimpleXLedger.Issuer.Storage;
using SimpleXLedger.Metering.Tokens;
using SimpleXLedger.Relay.Storage;

namespace SimpleXLedger.Audit.Storage;

/// <summary>A posted (or written) epoch as the clearing house's leaf file has it.</summary>
public sealed record LeafFileView(ulong Epoch, int Round, string Root, long AcceptedTokens, IReadOnlyDictionary<string, System.Numerics.BigInteger> Leaves, string? PostedTx);

/// <summary>
/// Everything the audit knows about the services' storage, in one place: their SQLite files and leaf files, read
/// straight from disk and read only (while the services run or after they were killed). File names, issuer table
/// names and the token plugin's store keys come from the services' own code (<see cref="IssuerSettings.DatabaseFileName"/>,
/// <see cref="IssuerDbContext"/>, <see cref="ClearingDatabase.SqliteFileName"/>, <see cref="RelayDatabase.FileName"/>,
/// <see cref="TokenStoreKeys"/>); the relay's and clearing house's tables are defined by their SQL migrations.
/// The fault checks use an instance over the network; the fuzzer's digest, the adversary, the soak and the scanners the
/// static readers.
/// </summary>
internal sealed class ServiceStorage(DevnetNetwork network)
{
    private const string Spent = TokenStoreKeys.SpentPrefix;
    private const string Outbox = TokenStoreKeys.OutboxPrefix;
    private const string Cards = IssuerDbContext.CardsTable;
    private const string TokenKeys = IssuerDbContext.TokenKeysTable;
    private const string Redemptions = IssuerDbContext.RedemptionsTable;

    /// <summary>The issuer's SQLite file in its data directory.</summary>
    public static string IssuerDatabase(string dataDirectory) => Path.Combine(dataDirectory, IssuerSettings.DatabaseFileName);

    /// <summary>The clearing house's SQLite file in its data directory.</summary>
    public static string ClearingDatabaseFile(string dataDirectory) => Path.Combine(dataDirectory, ClearingDatabase.SqliteFileName);

    /// <summary>A relay's SQLite file in its data directory.</summary>
    public static string RelayDatabaseFile(string dataDirectory) => Path.Combine(dataDirectory, RelayDatabase.FileName);

    private string IssuerDb => IssuerDatabase(network.Issuer.DataDirectory);

    private string ClearingDb => ClearingDatabaseFile(network.Clearing.DataDirectory);

    private static string RelayDb(RelayService relay) => RelayDatabaseFile(relay.DataDirectory);

    /// <summary>Credits the issuer has debited from a card (by its hash, 0x + hex), or null when it does not know it.</summary>
    public long? CardRedeemed(string cardHash) =>
        Scalar(IssuerDb, $"SELECT Redeemed FROM {Cards} WHERE Hash = $h", ("$h", Convert.FromHexString(cardHash.StartsWith("0x", StringComparison.Ordinal) ? cardHash[2..] : cardHash)));

    /// <summary>Every credit the issuer has debited, over all cards.</summary>
    public long IssuerRedeemedTotal() => Scalar(IssuerDb, $"SELECT COALESCE(SUM(Redeemed), 0) FROM {Cards}") ?? 0;

    /// <summary>Tokens in a relay's spent-set (each credited a queue once).</summary>
    public long RelaySpent(RelayService relay) => Scalar(RelayDb(relay), $"SELECT COUNT(*) FROM metering_store WHERE key LIKE '{Spent}%'") ?? 0;

    /// <summary>Tokens a relay credited while the clearing house was unreachable and has yet to redeem.</summary>
    public long RelayOutbox(RelayService relay) => Scalar(RelayDb(relay), $"SELECT COUNT(*) FROM metering_store WHERE key LIKE '{Outbox}%'") ?? 0;

    /// <summary>True when a relay's spent-set holds the token (nonce, key id).</summary>
    public bool RelayHasSpent(RelayService relay, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> keyId) =>
        Scalar(RelayDb(relay), "SELECT COUNT(*) FROM metering_store WHERE key = $k", ("$k", Spent + Convert.ToHexStringLower(nonce) + Convert.ToHexStringLower(keyId[..8]))) > 0;

    /// <summary>Queues a relay holds.</summary>
    public long RelayQueues(RelayService relay) => Scalar(RelayDb(relay), "SELECT COUNT(*) FROM queues") ?? 0;

    /// <summary>A queue's credit at its relay (found by its sender id), or null when the relay does not have it.</summary>
    public long? QueueBalance(RelayService relay, byte[] senderId) =>
        Scalar(RelayDb(relay), "SELECT balance FROM queues WHERE sender_id = $s", ("$s", senderId));

    /// <summary>Messages stored (not yet acknowledged by the recipient) in a queue, found by its sender id.</summary>
    public long QueueMessages(RelayService relay, byte[] senderId) =>
        Scalar(RelayDb(relay), "SELECT COUNT(*) FROM messages m JOIN queues q ON q.recipient_id = m.recipient_id WHERE q.sender_id = $s AND m.quota_notice = 0", ("$s", senderId)) ?? 0;

    /// <summary>Nonces in the clearing house's network-wide spent-set.</summary>
    public long ClearingSpent() => Scalar(ClearingDb, "SELECT COUNT(*) FROM spent_tokens") ?? 0;

    /// <summary>True when the clearing house's spent-set holds the nonce.</summary>
    public bool ClearingHasSpent(byte[] nonce) => Scalar(ClearingDb, "SELECT COUNT(*) FROM spent_tokens WHERE nonce = $n", ("$n", nonce)) > 0;

    /// <summary>Batches the clearing house has recorded, and the tokens it accepted in them.</summary>
    public (long Batches, long Accepted) ClearingBatches()
    {
        var rows = Rows(ClearingDb, "SELECT COUNT(*), COALESCE(SUM(accepted), 0) FROM batches");
        return (Convert.ToInt64(rows[0][0], CultureInfo.InvariantCulture), Convert.ToInt64(rows[0][1], CultureInfo.InvariantCulture));
    }

    /// <summary>Per epoch and payee, the tokens the clearing house accepted (what the epoch's leaves pay for).</summary>
    public IReadOnlyDictionary<(ulong Epoch, string Payee), long> PayeeEpochs() =>
        Rows(ClearingDb, "SELECT epoch, payee, accepted FROM payee_epochs")
            .ToDictionary(r => ((ulong)Convert.ToInt64(r[0], CultureInfo.InvariantCulture), ((string)r[1]).ToLowerInvariant()), r => Convert.ToInt64(r[2], CultureInfo.InvariantCulture));

    /// <summary>The clearing house's epochs and their states (0 open, 1 closing, 2 closed).</summary>
    public IReadOnlyDictionary<ulong, int> EpochStates() =>
        Rows(ClearingDb, "SELECT number, state FROM epochs").ToDictionary(r => (ulong)Convert.ToInt64(r[0], CultureInfo.InvariantCulture), r => Convert.ToInt32(r[1], CultureInfo.InvariantCulture));

    /// <summary>The epoch's leaf file, if the clearing house has written one.</summary>
    public LeafFileView? LeafFile(ulong epoch)
    {
        var path = Path.Combine(network.Clearing.DataDirectory, "settlement", $"epoch-{epoch:D6}.json");
        if (!File.Exists(path))
        {
            return null;
        }

        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        var leaves = json["leaves"]!.AsArray().ToDictionary(
            l => l!["payee"]!.GetValue<string>().ToLowerInvariant(),
            l => System.Numerics.BigInteger.Parse(l!["amount"]!.GetValue<string>(), CultureInfo.InvariantCulture));
        return new LeafFileView(
            epoch,
            json["round"]!.GetValue<int>(),
            json["root"]!.GetValue<string>(),
            json["acceptedTokens"]!.GetValue<long>(),
            leaves,
            json["postedTx"]?.GetValue<string>());
    }

    /// <summary>Every relay's receipts: per epoch and payee, the highest running count a receipt names.</summary>
    public IReadOnlyDictionary<(ulong Epoch, string Payee), ulong> ReceiptCounts() =>
        network.Relays
            .SelectMany(r => SimpleXLedger.Clearing.Client.ReceiptLog.ReadAll(Path.Combine(r.DataDirectory, SimpleXLedger.Clearing.Client.ReceiptLog.DefaultFileName)))
            .Where(r => string.Equals(r.Ledger, network.Ledger, StringComparison.OrdinalIgnoreCase))
            .GroupBy(r => (r.Epoch, r.Payee.ToLowerInvariant()))
            .ToDictionary(g => g.Key, g => g.Max(r => r.AcceptedInEpoch));

    /// <summary>The fuzz digest's issuer figures: cards, credits debited, tokens issued, idempotency records, batches, vendors.</summary>
    public static IReadOnlyList<(string Name, long Value)> IssuerFigures(string dataDirectory)
    {
        var db = IssuerDatabase(dataDirectory);
        return
        [
            ("issuer.cards", Count(db, $"SELECT COUNT(*) FROM {Cards}")),
            ("issuer.cards.redeemed", Count(db, $"SELECT COALESCE(SUM(\"Redeemed\"), 0) FROM {Cards}")),
            ("issuer.keys.issued", Count(db, $"SELECT COALESCE(SUM(\"Issued\"), 0) FROM {TokenKeys}")),
            ("issuer.redemptions", Count(db, $"SELECT COUNT(*) FROM {Redemptions}")),
            ("issuer.batches", Count(db, $"SELECT COUNT(*) FROM {IssuerDbContext.BatchesTable}")),
            ("issuer.vendors", Count(db, $"SELECT COUNT(*) FROM {IssuerDbContext.VendorsTable}")),
        ];
    }

    /// <summary>Every token key id the issuer holds.</summary>
    public static IReadOnlyList<string> IssuerKeyIds(string dataDirectory) =>
        [.. Rows(IssuerDatabase(dataDirectory), $"SELECT \"Id\" FROM {TokenKeys}").Select(r => (string)r[0])];

    /// <summary>Every token key the issuer holds: its id and SPKI (public: the registry publishes them).</summary>
    public static IReadOnlyList<(string Id, byte[] Spki)> IssuerTokenKeys(string dataDirectory) =>
        [.. Rows(IssuerDatabase(dataDirectory), $"SELECT Id, Spki FROM {TokenKeys}", timeout: false).Select(r => ((string)r[0], (byte[])r[1]))];

    /// <summary>Tokens the issuer has issued, over all its keys.</summary>
    public static long IssuerIssuedTotal(string dataDirectory) =>
        Count(IssuerDatabase(dataDirectory), $"SELECT COALESCE(SUM(Issued), 0) FROM {TokenKeys}", timeout: false);

    /// <summary>Every redemption row of the issuer, in row order: card hash, time, row order, token count, key id.</summary>
    public static IReadOnlyList<(byte[] CardHash, long CreatedAt, long RowId, int Count, string KeyId)> IssuerRedemptions(string issuerDb) =>
        [.. Rows(issuerDb, $"SELECT CardHash, CreatedAt, rowid, Count, KeyId FROM {Redemptions} ORDER BY rowid", timeout: false)
            .Select(r => ((byte[])r[0], Convert.ToInt64(r[1], CultureInfo.InvariantCulture), Convert.ToInt64(r[2], CultureInfo.InvariantCulture), Convert.ToInt32(r[3], CultureInfo.InvariantCulture), (string)r[4]))];

    /// <summary>
    /// The fuzz digest's relay figures: queues, messages, credit of the queues holding no message, and the spent tokens
    /// whose key can still redeem at <paramref name="horizon"/> (unix seconds; expired entries may be dropped any time).
    /// </summary>
    public static IReadOnlyList<(string Name, long Value)> RelayFigures(string name, string dataDirectory, long horizon)
    {
        var db = RelayDatabaseFile(dataDirectory);
        long spent = 0;
        foreach (var row in Rows(db, $"SELECT value FROM metering_store WHERE key LIKE '{Spent}%'"))
        {
            var value = (byte[])row[0];
            if (value.Length != 8 || System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(value) > horizon)
            {
                spent++;
            }
        }

        return
        [
            ($"{name}.queues", Count(db, "SELECT COUNT(*) FROM queues")),
            ($"{name}.messages", Count(db, "SELECT COUNT(*) FROM messages")),
            // Storage is charged only while a queue holds messages: the other queues' credit must stay put.
            ($"{name}.credit", Count(db, "SELECT COALESCE(SUM(balance), 0) FROM queues q WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.recipient_id = q.recipient_id)")),
            ($"{name}.spent", spent),
        ];
    }

    /// <summary>The TURN credential service's spent-set (tokens whose key can still redeem after <paramref name="horizon"/>): it grows only when credentials are sold.</summary>
    public static long TurnSpent(string dataDirectory, long horizon)
    {
        long spent = 0;
        foreach (var row in Rows(Path.Combine(dataDirectory, SimpleXLedger.Turn.TurnServer.DatabaseFileName), $"SELECT value FROM metering_store WHERE key LIKE '{Spent}%'"))
        {
            var value = (byte[])row[0];
            if (value.Length != 8 || System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(value) > horizon)
            {
                spent++;
            }
        }

        return spent;
    }

    /// <summary>The fuzz digest's clearing figures: operators, live spent-set, accepted counts; batches of <paramref name="fuzzOperator"/> and of the others.</summary>
    public static (IReadOnlyList<(string Name, long Value)> Figures, long OperatorBatches, long OtherBatches) ClearingFigures(string dataDirectory, byte[] fuzzOperator)
    {
        var db = ClearingDatabaseFile(dataDirectory);
        IReadOnlyList<(string, long)> figures =
        [
            ("clearing.operators", Count(db, "SELECT COUNT(*) FROM operators")),
            ("clearing.spent", Count(db, "SELECT COUNT(*) FROM spent_tokens s JOIN token_keys k ON k.id = s.key_no WHERE k.purged = 0")),
            ("clearing.keys.accepted", Count(db, "SELECT COALESCE(SUM(accepted), 0) FROM token_keys")),
            ("clearing.payees.accepted", Count(db, "SELECT COALESCE(SUM(accepted), 0) FROM payee_epochs")),
            ("clearing.batches.accepted", Count(db, "SELECT COALESCE(SUM(accepted), 0) FROM batches")),
        ];
        var batches = Rows(db, "SELECT COALESCE(SUM(CASE WHEN o.public_key = $key THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN o.public_key = $key THEN 0 ELSE 1 END), 0) FROM batches b JOIN operators o ON o.id = b.operator_id", true, ("$key", fuzzOperator));
        return (figures, Convert.ToInt64(batches[0][0], CultureInfo.InvariantCulture), Convert.ToInt64(batches[0][1], CultureInfo.InvariantCulture));
    }

    /// <summary>Every nonce the clearing house recorded as spent (the tokens relays saw).</summary>
    public static IReadOnlyList<byte[]> ClearingSpentNonces(string dataDirectory) =>
        [.. Rows(ClearingDatabaseFile(dataDirectory), "SELECT nonce FROM spent_tokens", timeout: false).Select(r => (byte[])r[0])];

    /// <summary>Any SQLite file's schema text, and its EF Core migration ids and product version if it has them (format, not values).</summary>
    public static IReadOnlyList<string> SchemaText(string file)
    {
        var text = Rows(file, "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL", timeout: false).Select(r => (string)r[0]).ToList();
        if (Rows(file, "SELECT name FROM sqlite_master WHERE name = '__EFMigrationsHistory'", timeout: false).Count > 0)
        {
            foreach (var row in Rows(file, "SELECT MigrationId, ProductVersion FROM __EFMigrationsHistory", timeout: false))
            {
                text.Add((string)row[0]);
                text.Add((string)row[1]);
            }
        }

        return text;
    }

    /// <summary>Every blob and text cell of every table of any SQLite file (EF Core's migration bookkeeping left out: format, not data).</summary>
    public static List<byte[]> AllCells(string file)
    {
        var cells = new List<byte[]>();
        using var connection = Open(file, timeout: false);
        var tables = new List<string>();
        using (var list = connection.CreateCommand())
        {
            list.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '__EFMigrations%'";
            using var reader = list.ExecuteReader();
            while (reader.Read())
            {
                tables.Add(reader.GetString(0));
            }
        }

        foreach (var table in tables)
        {
            using var select = connection.CreateCommand();
            select.CommandText = $"SELECT * FROM \"{table.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
            using var reader = select.ExecuteReader();
            while (reader.Read())
            {
                for (var c = 0; c < reader.FieldCount; c++)
                {
                    switch (reader.GetValue(c))
                    {
                        case byte[] blob:
                            cells.Add(blob);
                            break;
                        case string text:
                            cells.Add(Encoding.UTF8.GetBytes(text));
                            break;
                    }
                }
            }
        }

        return cells;
    }

    private static long Count(string db, string sql, bool timeout = true) =>
        Convert.ToInt64(Rows(db, sql, timeout)[0][0], CultureInfo.InvariantCulture);

    private static long? Scalar(string db, string sql, params (string Name, object Value)[] parameters)
    {
        var rows = Rows(db, sql, true, parameters);
        return rows.Count == 0 || rows[0][0] is DBNull ? null : Convert.ToInt64(rows[0][0], CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// A read-only connection. <paramref name="timeout"/>: wait up to 30 s on a busy file (the fault checks and the fuzz
    /// digest, as they always did); without it the connection's default (the adversary, soak and scanners, as before).
    /// </summary>
    private static SqliteConnection Open(string db, bool timeout)
    {
        var builder = new SqliteConnectionStringBuilder { DataSource = db, Mode = SqliteOpenMode.ReadOnly, Pooling = false };
        if (timeout)
        {
            builder.DefaultTimeout = 30;
        }

        var connection = new SqliteConnection(builder.ToString());
        connection.Open();
        return connection;
    }

    private static List<object[]> Rows(string db, string sql, bool timeout = true, params (string Name, object Value)[] parameters)
    {
        using var connection = Open(db, timeout);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        using var reader = command.ExecuteReader();
        var rows = new List<object[]>();
        while (reader.Read())
        {
            var row = new object[reader.FieldCount];
            reader.GetValues(row);
            rows.Add(row);
        }

        return rows;
    }
}
