using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Logging;
using SimpleXLedger.Clearing.Storage;
using SimpleXLedger.Hosting.Pipeline;

namespace SimpleXLedger.Clearing.Redemption;

/// <summary>
/// Records verified batches on SQLite, where there is one writer at a time anyway: batches that are waiting for the
/// writer are recorded together in one transaction (group commit), so a group pays for one commit and one sync of
/// the log instead of one each, and a spent-set page that several batches touch is written once. Each batch runs in
/// its own savepoint with the same steps as alone (<see cref="RecordBatchHandler.RecordAsync"/>): one that fails is
/// rolled back by itself and its caller gets the error, the others are committed. Nobody gets an answer before the
/// group's commit; if the commit fails, every batch of the group fails and none was recorded.
/// </summary>
public sealed class SqliteGroupCommit(ClearingDatabase database, WriteGate gate, ClearingMetrics metrics, ILogger<SqliteGroupCommit> logger)
{
    /// <summary>Most tokens in one group: bounds how long the first batch of a group waits for its answer.</summary>
    public const int MaxGroupTokens = 8192;

    private readonly Lock _queueLock = new();
    private readonly Queue<Pending> _queue = new();
    private bool _leading;

    /// <summary>
    /// Records the batch with whatever else is waiting. A caller that finds no group being recorded starts the leader,
    /// which records groups until none is waiting. A caller that gives up waiting does not stop its batch from being
    /// recorded (a retry with the same batch id gets it back).
    /// </summary>
    public async Task<BatchRecord> RecordAsync(RecordBatch command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var pending = new Pending(command);
        bool lead;
        lock (_queueLock)
        {
            _queue.Enqueue(pending);
            lead = !_leading;
            _leading = true;
        }

        if (lead)
        {
            // On its own task: a caller's answer never waits for groups after its own.
            _ = Task.Run(LeadAsync, CancellationToken.None);
        }

        return await pending.Completion.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Batches waiting to be recorded (for tests and metrics).</summary>
    internal int Waiting
    {
        get
        {
            lock (_queueLock)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>Groups committed so far (for tests and metrics).</summary>
    internal long GroupsCommitted => Interlocked.Read(ref _groupsCommitted);

    private long _groupsCommitted;

    private async Task LeadAsync()
    {
        try
        {
            await LeadGroupsAsync();
        }
        catch (Exception e)
        {
            // Not expected (every group's failure is its callers'), but no caller may wait forever.
            List<Pending> stranded;
            lock (_queueLock)
            {
                stranded = [.. _queue];
                _queue.Clear();
                _leading = false;
            }

            foreach (var p in stranded)
            {
                p.Completion.TrySetException(e);
            }

            logger.LogError("group commit stopped: {Error}: {Message}", e.GetType().Name, e.Message);
        }
    }

    private async Task LeadGroupsAsync()
    {
        while (true)
        {
            // Not cancellable: the group is many callers' work, and once recording starts the commit must happen.
            // The group is taken once the writer is free, so everything that arrived meanwhile joins it.
            using var held = await gate.EnterAsync(CancellationToken.None);
            var group = new List<Pending>();
            lock (_queueLock)
            {
                var tokens = 0;
                while (_queue.TryPeek(out var next) && (group.Count == 0 || tokens + next.Command.Outcomes.Length <= MaxGroupTokens))
                {
                    group.Add(_queue.Dequeue());
                    tokens += next.Command.Outcomes.Length;
                }

                if (group.Count == 0)
                {
                    _leading = false;
                    return;
                }
            }

            await RecordGroupAsync(group);
        }
    }

    private async Task RecordGroupAsync(List<Pending> group)
    {
        var started = Stopwatch.GetTimestamp();
        var results = new BatchRecord?[group.Count];
        var failures = new Exception?[group.Count];
        try
        {
            await using var db = database.CreateContext();
            await using var transaction = await db.Database.BeginTransactionAsync(CancellationToken.None);
            var connection = db.Database.GetDbConnection();
            var dbTransaction = transaction.GetDbTransaction();
            for (var i = 0; i < group.Count; i++)
            {
                const string savepoint = "batch";
                await dbTransaction.SaveAsync(savepoint, CancellationToken.None);
                try
                {
                    results[i] = await RecordBatchHandler.RecordAsync(connection, dbTransaction, database.Sql, group[i].Command, metrics, logger, CancellationToken.None);
                }
                catch (Exception e) when (e is System.Data.Common.DbException or NoOpenEpochException or InvalidOperationException)
                {
                    // This batch alone is undone; the others of the group go on.
                    await dbTransaction.RollbackAsync(savepoint, CancellationToken.None);
                    failures[i] = e;
                }

                await dbTransaction.ReleaseAsync(savepoint, CancellationToken.None);
            }

            await transaction.CommitAsync(CancellationToken.None);
            Interlocked.Increment(ref _groupsCommitted);
        }
        catch (Exception e)
        {
            // Nothing of the group was committed: every caller gets the error and may retry.
            foreach (var p in group)
            {
                p.Completion.TrySetException(e);
            }

            logger.LogWarning("group of {Batches} batches not recorded: {Error}: {Message}", group.Count, e.GetType().Name, e.Message);
            return;
        }

        for (var i = 0; i < group.Count; i++)
        {
            if (failures[i] is { } failure)
            {
                group[i].Completion.TrySetException(failure);
            }
            else
            {
                group[i].Completion.TrySetResult(results[i]!);
            }
        }

        if (logger.IsEnabled(LogLevel.Debug))
        {
            logger.LogDebug(
                "recorded a group of {Batches} batches ({Tokens} tokens) in {Ms:F1} ms",
                group.Count,
                group.Sum(p => p.Command.Outcomes.Length),
                Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    private sealed class Pending(RecordBatch command)
    {
        public RecordBatch Command { get; } = command;

        public TaskCompletionSource<BatchRecord> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
