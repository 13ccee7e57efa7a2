using Microsoft.Data.Sqlite;
using NSec.Cryptography;
using SimpleXLedger.Relay.Client;
using SimpleXLedger.Relay.Queues;

namespace SimpleXLedger.Relay.Storage;

/// <summary>What the relay's database held at open: the queues with their undelivered messages, the highest message sequence, and the metering plugin's entries.</summary>
internal sealed record LoadedStore(IReadOnlyList<QueueState> Queues, long MaxSeq, IReadOnlyList<KeyValuePair<string, byte[]>> PluginEntries);

/// <summary>
/// Reads the relay's state from its database at open (on the writer's connection, before any command is
/// accepted): the queue store, the message store and the metering plugin's key-value state.
/// </summary>
internal static class StoreLoader
{
    public static LoadedStore Load(SqliteConnection c, string plugin)
    {
        var queues = LoadQueues(c);
        var maxSeq = LoadMessages(c, queues);
        return new LoadedStore(queues, maxSeq, LoadPluginEntries(c, plugin));
    }

    private static List<QueueState> LoadQueues(SqliteConnection c)
    {
        var queues = new List<QueueState>();
        using var command = c.CreateCommand();
        command.CommandText = "SELECT recipient_id, sender_id, recipient_key, sender_key, suspended, balance FROM queues;";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var senderKey = reader.IsDBNull(3) ? null : (byte[])reader[3];
            queues.Add(new QueueState
            {
                RecipientId = (byte[])reader[0],
                SenderId = (byte[])reader[1],
                RecipientKey = PublicKey.Import(RelayProtocol.Ed25519, (byte[])reader[2], KeyBlobFormat.RawPublicKey),
                SenderKeyBytes = senderKey,
                SenderKey = senderKey is null ? null : PublicKey.Import(RelayProtocol.Ed25519, senderKey, KeyBlobFormat.RawPublicKey),
                Suspended = reader.GetInt64(4) != 0,
                Balance = reader.GetInt64(5),
            });
        }

        return queues;
    }

    /// <summary>Adds each stored message to its queue, in order; returns the highest sequence (messages of unknown queues count for it too).</summary>
    private static long LoadMessages(SqliteConnection c, List<QueueState> queues)
    {
        var byId = queues.ToDictionary(q => { QueueKey.TryFrom(q.RecipientId, out var k); return k; });
        using var command = c.CreateCommand();
        command.CommandText = "SELECT seq, recipient_id, message_id, accepted_at, body, quota_notice FROM messages ORDER BY seq;";
        using var reader = command.ExecuteReader();
        long maxSeq = 0;
        while (reader.Read())
        {
            var seq = reader.GetInt64(0);
            maxSeq = Math.Max(maxSeq, seq);
            if (!QueueKey.TryFrom((byte[])reader[1], out var key) || !byId.TryGetValue(key, out var q))
            {
                continue;
            }

            var notice = reader.GetInt64(5) != 0;
            var body = (byte[])reader[4];
            q.Messages.Add(new StoredMessage { Seq = seq, MessageId = (byte[])reader[2], AcceptedAt = reader.GetInt64(3), Body = body, QuotaNotice = notice, Counted = !notice });
            if (notice)
            {
                q.HasQuotaNotice = true;
            }
            else
            {
                q.Counted++;
                q.StoredBytes += body.Length;
            }
        }

        return maxSeq;
    }

    private static List<KeyValuePair<string, byte[]>> LoadPluginEntries(SqliteConnection c, string plugin)
    {
        var entries = new List<KeyValuePair<string, byte[]>>();
        using var command = c.CreateCommand();
        command.CommandText = "SELECT key, value FROM metering_store WHERE plugin = $plugin;";
        command.Parameters.AddWithValue("$plugin", plugin);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            entries.Add(new(reader.GetString(0), (byte[])reader[1]));
        }

        return entries;
    }
}
