using System.Diagnostics;
using Mediator;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace SimpleXLedger.Hosting.Pipeline;

/// <summary>Logs each command by name with its ids and counts (never its payload) and how long it took.</summary>
public sealed class LoggingBehaviour<TMessage, TResponse>(ILogger<LoggingBehaviour<TMessage, TResponse>> logger) : IPipelineBehavior<TMessage, TResponse>
    where TMessage : IMessage
{
    public async ValueTask<TResponse> Handle(TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(next);
        if (!logger.IsEnabled(LogLevel.Debug))
        {
            return await next(message, cancellationToken);
        }

        var name = typeof(TMessage).Name;
        var summary = message is ILogSummary s ? s.LogSummary : string.Empty;
        var started = Stopwatch.GetTimestamp();
        try
        {
            var response = await next(message, cancellationToken);
            var outcome = response is ILogSummary r ? r.LogSummary : "ok";
            logger.LogDebug("{Command} {Summary} -> {Outcome} in {Ms:F1} ms", name, summary, outcome, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return response;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The exception type and message only: our exceptions never carry secrets.
            logger.LogWarning("{Command} {Summary} failed: {Error}: {Message}", name, summary, e.GetType().Name, e.Message);
            throw;
        }
    }
}

/// <summary>Refuses invalid commands before any handler or transaction runs.</summary>
public sealed class ValidationBehaviour<TMessage, TResponse> : IPipelineBehavior<TMessage, TResponse>
    where TMessage : IValidated, IMessage
{
    public ValueTask<TResponse> Handle(TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(next);
        var error = message.Validate();
        return error is null ? next(message, cancellationToken) : throw new CommandValidationException(error);
    }
}

/// <summary>
/// Runs a command in one transaction, committing only when the handler returns. With a single writer (SQLite)
/// one command writes at a time in this process (BEGIN IMMEDIATE behind the <see cref="WriteGate"/>, so writers
/// queue instead of spinning on the busy lock). A failure the <see cref="TransactionPolicy"/> calls retryable
/// (on PostgreSQL, a deadlock victim or a serialisation failure) is rolled back and run again from the start:
/// the handlers are pure functions of the database.
/// </summary>
public sealed class TransactionBehaviour<TMessage, TResponse>(DbContext db, WriteGate gate, TransactionPolicy policy) : IPipelineBehavior<TMessage, TResponse>
    where TMessage : ITransactional, IMessage
{
    public async ValueTask<TResponse> Handle(TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(next);
        if (db.Database.CurrentTransaction is not null)
        {
            return await next(message, cancellationToken);
        }

        using var held = policy.SingleWriter ? await gate.EnterAsync(cancellationToken) : null;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
                var response = await next(message, cancellationToken);
                await db.SaveChangesAsync(cancellationToken);

                // Past this point the commit must happen even if the caller gave up: a half-observed debit is worse.
                await transaction.CommitAsync(CancellationToken.None);
                return response;
            }
            catch (Exception e) when (attempt < policy.MaxAttempts && policy.IsRetryable(e))
            {
                db.ChangeTracker.Clear();
            }
        }
    }
}

/// <summary>How a service's commands hold their transaction: one writer at a time, and which failures run again.</summary>
public sealed record TransactionPolicy(bool SingleWriter, Func<Exception, bool> IsRetryable, int MaxAttempts = 5)
{
    /// <summary>SQLite: one writer in this process, nothing retried (the busy lock never fails a queued writer).</summary>
    public static TransactionPolicy Sqlite { get; } = new(SingleWriter: true, _ => false, MaxAttempts: 1);
}

/// <summary>One writer at a time inside this process (SQLite).</summary>
public sealed class WriteGate : IDisposable
{
    private readonly SemaphoreSlim _semaphore = new(1, 1);

    public async Task<IDisposable> EnterAsync(CancellationToken cancellationToken)
    {
        await _semaphore.WaitAsync(cancellationToken);
        return new Releaser(_semaphore);
    }

    public void Dispose() => _semaphore.Dispose();

    private sealed class Releaser(SemaphoreSlim semaphore) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                semaphore.Release();
            }
        }
    }
}
