namespace SimpleXLedger.Relay.Metering;

/// <summary>A queue is about to be created. <paramref name="PaymentToken"/> is empty when none was attached.</summary>
public readonly record struct CreateUsage(ReadOnlyMemory<byte> PaymentToken);

/// <summary>A message of <paramref name="BodyBytes"/> is about to be accepted into a queue holding <paramref name="Balance"/>.</summary>
public readonly record struct SendUsage(int BodyBytes, long Balance, ReadOnlyMemory<byte> PaymentToken);

/// <summary>A recipient tops up a queue holding <paramref name="Balance"/> with a token.</summary>
public readonly record struct TopUpUsage(ReadOnlyMemory<byte> PaymentToken, long Balance);

/// <summary><paramref name="Bytes"/> of undelivered messages stayed stored for <paramref name="Duration"/>.</summary>
public readonly record struct StorageUsage(long Bytes, TimeSpan Duration, long Balance);

public enum UsageKind
{
    QueueCreated,
    MessageAccepted,
    MessageDelivered,
    StoredOverTime,
    QueueDeleted,
}

/// <summary>
/// Usage the relay has made durable. <paramref name="Bytes"/> is the message size (accepted, delivered)
/// or the bytes stored (stored over time, with <paramref name="Duration"/>); no queue identity travels.
/// </summary>
public readonly record struct UsageEvent(UsageKind Kind, long Bytes, TimeSpan Duration, long Charged);
