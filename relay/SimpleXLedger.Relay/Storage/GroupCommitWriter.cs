using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using SimpleXLedger.Net.Crash;

namespace SimpleXLedger.Relay.Storage;

/// <summary>
/// The one writer of the relay's database. Concurrent commands hand it their <see cref="StoreWork"/>;
/// it takes everything waiting (up to a batch limit) into one transaction and one disk flush
/// (synchronous=FULL), then completes each. Durability costs one fsync per batch, not per message.
/// A unit that violates a must-be-new key is rolled back to its savepoint alone; a batch that fails
/// for another reason is retried unit by unit so one bad unit cannot fail the others.
/// </summary>
internal sealed class GroupCommitWriter : IAsyncDisposable
{
    private readonly SqliteConnection _connection;
    private readonly Statements _sql;
    private readonly ILogger _logger;
    private readonly int _maxBatch;
    private readonly Channel<StoreWork> _queue = Channel.CreateUnbounded<StoreWork>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _loop;
    private long _batches;
    private long _units;

    public GroupCommitWriter(SqliteConnection connection, ILogger logger, int maxBatch)
    {
        _connection = connection;
        _logger = logger;
        _maxBatch = maxBatch;
        _sql = new Statements(connection);
        _loop = Task.Factory.StartNew(RunAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    public long Batches => Interlocked.Read(ref _batches);

    public long Units => Interlocked.Read(ref _units);

    /// <summary>Queues the work; the task completes after its transaction is on disk.</summary>
    public Task<bool> SubmitAsync(StoreWork work)
    {
        if (!_queue.Writer.TryWrite(work))
        {
            work.Fail(new ObjectDisposedException(nameof(GroupCommitWriter), "the relay's store is closed"));
        }

        return work.Completion;
    }

    /// <summary>Runs a read on the writer's connection, in order with the writes (for tests and diagnostics).</summary>
    public async Task<T> ReadAsync<T>(Func<SqliteConnection, T> read)
    {
        T result = default!;
        await SubmitAsync(new StoreWork { Probe = c => result = read(c) });
        return result;
    }

    private async Task RunAsync()
    {
        var batch = new List<StoreWork>(_maxBatch);
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < _maxBatch && reader.TryRead(out var work))
            {
                batch.Add(work);
            }

            Commit(batch);
        }
    }

    private void Commit(List<StoreWork> batch)
    {
        var results = new bool[batch.Count];
        try
        {
            RelayDatabase.Execute(_connection, "BEGIN IMMEDIATE;");
            for (var i = 0; i < batch.Count; i++)
            {
                results[i] = ApplyOne(batch[i]);
            }

            CrashPoint.Reach("relay.store.before-commit");
            RelayDatabase.Execute(_connection, "COMMIT;");
            CrashPoint.Reach("relay.store.after-commit");
        }
        catch (SqliteException e)
        {
            TryRollback();
            if (batch.Count > 1)
            {
                _logger.LogWarning("group commit of {Count} units failed ({Error}); retrying one by one", batch.Count, e.SqliteErrorCode);
                foreach (var work in batch)
                {
                    Commit([work]);
                }

                return;
            }

            _logger.LogError("store write failed: SQLite error {Error}", e.SqliteErrorCode);
            batch[0].Fail(new StoreUnavailableException("the relay could not write to its store", e));
            return;
        }

        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _units, batch.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].Complete(results[i]);
        }
    }

    private bool ApplyOne(StoreWork work)
    {
        if (!work.NeedsSavepoint)
        {
            return Apply(work);
        }

        RelayDatabase.Execute(_connection, "SAVEPOINT unit;");
        var applied = Apply(work);
        if (!applied)
        {
            RelayDatabase.Execute(_connection, "ROLLBACK TO unit;");
        }

        RelayDatabase.Execute(_connection, "RELEASE unit;");
        return applied;
    }

    private bool Apply(StoreWork work)
    {
        work.Probe?.Invoke(_connection);
        foreach (var write in work.MeteringWrites)
        {
            if (!_sql.MeteringWrite(work.Plugin!, write))
            {
                return false;
            }
        }

        if (work.NewQueue is { } q)
        {
            _sql.InsertQueue(q);
        }

        if (work.Queue is { } id)
        {
            if (work.SecureWithSenderKey is { } senderKey)
            {
                _sql.Secure(id, senderKey);
            }

            if (work.Suspend)
            {
                _sql.Suspend(id);
            }

            if (work.BalanceDelta != 0)
            {
                _sql.AddBalance(id, work.BalanceDelta);
            }

            if (work.DeleteQueue)
            {
                _sql.DeleteQueue(id);
            }
        }

        if (work.InsertMessage is { } m)
        {
            _sql.InsertMessage(m);
        }

        foreach (var seq in work.DeleteMessages)
        {
            _sql.DeleteMessage(seq);
        }

        return true;
    }

    private void TryRollback()
    {
        try
        {
            RelayDatabase.Execute(_connection, "ROLLBACK;");
        }
        catch (SqliteException)
        {
            // No transaction was open.
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
        _sql.Dispose();
    }

    /// <summary>Prepared statements, reused for every unit (parameters rebound, statement kept compiled).</summary>
    private sealed class Statements : IDisposable
    {
        private readonly SqliteCommand _insertQueue;
        private readonly SqliteCommand _secure;
        private readonly SqliteCommand _suspend;
        private readonly SqliteCommand _addBalance;
        private readonly SqliteCommand _deleteQueue;
        private readonly SqliteCommand _deleteQueueMessages;
        private readonly SqliteCommand _insertMessage;
        private readonly SqliteCommand _deleteMessage;
        private readonly SqliteCommand _meteringInsertNew;
        private readonly SqliteCommand _meteringPut;
        private readonly SqliteCommand _meteringDelete;

        public Statements(SqliteConnection c)
        {
            _insertQueue = Create(c, "INSERT INTO queues (recipient_id, sender_id, recipient_key, balance) VALUES ($rid, $sid, $rkey, $balance);", "$rid", "$sid", "$rkey", "$balance");
            _secure = Create(c, "UPDATE queues SET sender_key = $key WHERE recipient_id = $rid;", "$key", "$rid");
            _suspend = Create(c, "UPDATE queues SET suspended = 1 WHERE recipient_id = $rid;", "$rid");
            _addBalance = Create(c, "UPDATE queues SET balance = balance + $delta WHERE recipient_id = $rid;", "$delta", "$rid");
            _deleteQueue = Create(c, "DELETE FROM queues WHERE recipient_id = $rid;", "$rid");
            _deleteQueueMessages = Create(c, "DELETE FROM messages WHERE recipient_id = $rid;", "$rid");
            _insertMessage = Create(c, "INSERT INTO messages (seq, recipient_id, message_id, accepted_at, body, quota_notice) VALUES ($seq, $rid, $mid, $at, $body, $notice);", "$seq", "$rid", "$mid", "$at", "$body", "$notice");
            _deleteMessage = Create(c, "DELETE FROM messages WHERE seq = $seq;", "$seq");
            _meteringInsertNew = Create(c, "INSERT OR IGNORE INTO metering_store (plugin, key, value) VALUES ($plugin, $key, $value);", "$plugin", "$key", "$value");
            _meteringPut = Create(c, "INSERT OR REPLACE INTO metering_store (plugin, key, value) VALUES ($plugin, $key, $value);", "$plugin", "$key", "$value");
            _meteringDelete = Create(c, "DELETE FROM metering_store WHERE plugin = $plugin AND key = $key;", "$plugin", "$key");
        }

        public void InsertQueue(NewQueueRow q) => Run(_insertQueue, q.RecipientId, q.SenderId, q.RecipientKey, q.Balance);

        public void Secure(byte[] id, byte[] senderKey) => Run(_secure, senderKey, id);

        public void Suspend(byte[] id) => Run(_suspend, id);

        public void AddBalance(byte[] id, long delta) => Run(_addBalance, delta, id);

        public void DeleteQueue(byte[] id)
        {
            Run(_deleteQueueMessages, id);
            Run(_deleteQueue, id);
        }

        public void InsertMessage(MessageRow m) =>
            Run(_insertMessage, m.Seq, m.RecipientId, m.MessageId, m.AcceptedAt, m.Body.ToArray(), m.QuotaNotice ? 1 : 0);

        public void DeleteMessage(long seq) => Run(_deleteMessage, seq);

        /// <summary>False when a must-be-new key already exists.</summary>
        public bool MeteringWrite(string plugin, Metering.StoreWrite write)
        {
            if (write.Value is not { } value)
            {
                Run(_meteringDelete, plugin, write.Key);
                return true;
            }

            return Run(write.MustBeNew ? _meteringInsertNew : _meteringPut, plugin, write.Key, value.ToArray()) == 1 || !write.MustBeNew;
        }

        private static SqliteCommand Create(SqliteConnection connection, string sql, params string[] names)
        {
            var command = connection.CreateCommand();
            command.CommandText = sql;
            foreach (var name in names)
            {
                command.Parameters.Add(new SqliteParameter { ParameterName = name });
            }

            return command;
        }

        private static int Run(SqliteCommand command, params object[] values)
        {
            for (var i = 0; i < values.Length; i++)
            {
                command.Parameters[i].Value = values[i];
            }

            return command.ExecuteNonQuery();
        }

        public void Dispose()
        {
            foreach (var c in new[] { _insertQueue, _secure, _suspend, _addBalance, _deleteQueue, _deleteQueueMessages, _insertMessage, _deleteMessage, _meteringInsertNew, _meteringPut, _meteringDelete })
            {
                c.Dispose();
            }
        }
    }
}

/// <summary>The store could not make a change durable; the command was not accepted.</summary>
public sealed class StoreUnavailableException : Exception
{
    public StoreUnavailableException()
    {
    }

    public StoreUnavailableException(string message)
        : base(message)
    {
    }

    public StoreUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
