using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using SimpleXLedger.Devnet.Network;

namespace SimpleXLedger.Audit.Faults;

/// <summary>A posted (or written) epoch as the clearing house's leaf file has it.</summary>
public sealed record LeafFileView(ulong Epoch, int Round, string Root, long AcceptedTokens, IReadOnlyDictionary<string, System.Numerics.BigInteger> Leaves, string? PostedTx);

/// <summary>
/// What the services have stored, read straight from their SQLite files and leaf files (read only, while they run or
/// after they were killed): the evidence each fault check compares with what the users saw.
/// </summary>
internal sealed class StoredState(DevnetNetwork network)
{
    private string IssuerDb => Path.Combine(network.Issuer.DataDirectory, "issuer.db");

    private string ClearingDb => Path.Combine(network.Clearing.DataDirectory, "clearing.db");

    private static string RelayDb(RelayService relay) => Path.Combine(relay.DataDirectory, "relay.db");

    /// <summary>Credits the issuer has debited from a card (by its hash, 0x + hex), or null when it does not know it.</summary>
    public long? CardRedeemed(string cardHash) =>
        Scalar(IssuerDb, "SELECT Redeemed FROM cards WHERE Hash = $h", ("$h", Convert.FromHexString(cardHash.StartsWith("0x", StringComparison.Ordinal) ? cardHash[2..] : cardHash)));

    /// <summary>Every credit the issuer has debited, over all cards.</summary>
    public long IssuerRedeemedTotal() => Scalar(IssuerDb, "SELECT COALESCE(SUM(Redeemed), 0) FROM cards") ?? 0;

    /// <summary>Tokens in a relay's spent-set (each credited a queue once).</summary>
    public long RelaySpent(RelayService relay) => Scalar(RelayDb(relay), "SELECT COUNT(*) FROM metering_store WHERE key LIKE 'spent:%'") ?? 0;

    /// <summary>Tokens a relay credited while the clearing house was unreachable and has yet to redeem.</summary>
    public long RelayOutbox(RelayService relay) => Scalar(RelayDb(relay), "SELECT COUNT(*) FROM metering_store WHERE key LIKE 'outbox:%'") ?? 0;

    /// <summary>True when a relay's spent-set holds the token (nonce, key id).</summary>
    public bool RelayHasSpent(RelayService relay, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> keyId) =>
        Scalar(RelayDb(relay), "SELECT COUNT(*) FROM metering_store WHERE key = $k", ("$k", "spent:" + Convert.ToHexStringLower(nonce) + Convert.ToHexStringLower(keyId[..8]))) > 0;

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

    private static long? Scalar(string db, string sql, params (string Name, object Value)[] parameters)
    {
        var rows = Rows(db, sql, parameters);
        return rows.Count == 0 || rows[0][0] is DBNull ? null : Convert.ToInt64(rows[0][0], CultureInfo.InvariantCulture);
    }

    private static List<object[]> Rows(string db, string sql, params (string Name, object Value)[] parameters)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = db, Mode = SqliteOpenMode.ReadOnly, Pooling = false, DefaultTimeout = 30 }.ToString());
        connection.Open();
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
