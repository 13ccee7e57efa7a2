using System.Buffers.Binary;
using NSec.Cryptography;
using SimpleXLedger.Protos.Relay;

namespace SimpleXLedger.Relay.Queues;

/// <summary>A 24-byte queue id as a dictionary key.</summary>
internal readonly record struct QueueKey(ulong A, ulong B, ulong C)
{
    public static bool TryFrom(ReadOnlySpan<byte> id, out QueueKey key)
    {
        if (id.Length != Client.RelayProtocol.QueueIdLength)
        {
            key = default;
            return false;
        }

        key = new QueueKey(BinaryPrimitives.ReadUInt64LittleEndian(id), BinaryPrimitives.ReadUInt64LittleEndian(id[8..]), BinaryPrimitives.ReadUInt64LittleEndian(id[16..]));
        return true;
    }
}

/// <summary>Where deliveries go: a Subscribe call's stream or a Session stream.</summary>
internal interface IDeliverySink
{
    /// <summary>Must not block.</summary>
    void Deliver(Delivery delivery);

    /// <summary>The queue now delivers here (so the sink can let go of it when its stream ends).</summary>
    void Attached(byte[] recipientId);

    /// <summary>Another subscriber took the queue over.</summary>
    void SubscriptionEnded(byte[] recipientId);
}

internal sealed class StoredMessage
{
    public required long Seq { get; init; }

    public required byte[] MessageId { get; init; }

    public required long AcceptedAt { get; init; }

    public required ReadOnlyMemory<byte> Body { get; init; }

    public bool QuotaNotice { get; init; }

    /// <summary>Handed to a recipient (by subscription or get) and awaiting its ack.</summary>
    public bool Delivered { get; set; }

    /// <summary>The subscriber it was last pushed to (a new subscriber gets it again).</summary>
    public IDeliverySink? PushedTo { get; set; }

    public bool Counted { get; set; }
}

/// <summary>A queue in memory (the database holds the same, durably). All fields under <see cref="Gate"/>.</summary>
internal sealed class QueueState
{
    public Lock Gate { get; } = new();

    public required byte[] RecipientId { get; init; }

    public required byte[] SenderId { get; init; }

    public required PublicKey RecipientKey { get; init; }

    public PublicKey? SenderKey { get; set; }

    public byte[]? SenderKeyBytes { get; set; }

    public bool Suspended { get; set; }

    public bool Deleted { get; set; }

    public long Balance { get; set; }

    public List<StoredMessage> Messages { get; } = [];

    /// <summary>Messages counting against the quota (the quota notice does not).</summary>
    public int Counted { get; set; }

    /// <summary>Sends accepted but not yet committed: they count against the quota too.</summary>
    public int Reserved { get; set; }

    public bool HasQuotaNotice { get; set; }

    public IDeliverySink? Subscriber { get; set; }

    public long StoredBytes { get; set; }
}
