using SimpleXLedger.Relay.Metering;

namespace SimpleXLedger.Relay.Storage;

/// <summary>
/// One unit of durable work (one command's changes), applied inside a group-commit transaction.
/// Completes true when committed, false when refused because a must-be-new metering key existed
/// (then none of its changes were applied), and faults when storage failed.
/// </summary>
internal sealed class StoreWork
{
    private readonly TaskCompletionSource<bool> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string? Plugin { get; init; }

    public IReadOnlyList<StoreWrite> MeteringWrites { get; init; } = [];

    public NewQueueRow? NewQueue { get; init; }

    public byte[]? Queue { get; init; }

    public byte[]? SecureWithSenderKey { get; init; }

    public bool Suspend { get; init; }

    public bool DeleteQueue { get; init; }

    public long BalanceDelta { get; init; }

    public MessageRow? InsertMessage { get; init; }

    public IReadOnlyList<long> DeleteMessages { get; init; } = [];

    /// <summary>A read run on the writer's connection at this unit's place in the order (tests, diagnostics).</summary>
    public Action<Microsoft.Data.Sqlite.SqliteConnection>? Probe { get; init; }

    public Task<bool> Completion => _completion.Task;

    internal bool NeedsSavepoint => MeteringWrites.Any(w => w.MustBeNew);

    internal void Complete(bool applied) => _completion.TrySetResult(applied);

    internal void Fail(Exception e) => _completion.TrySetException(e);
}

internal sealed record NewQueueRow(byte[] RecipientId, byte[] SenderId, byte[] RecipientKey, long Balance);

internal sealed record MessageRow(long Seq, byte[] RecipientId, byte[] MessageId, long AcceptedAt, ReadOnlyMemory<byte> Body, bool QuotaNotice);
