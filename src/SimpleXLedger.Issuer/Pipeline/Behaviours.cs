using System.Diagnostics;
using Mediator;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using SimpleXLedger.Issuer.Storage;

namespace SimpleXLedger.Issuer.Pipeline;

/// <summary>Logs each command by name with its ids and counts (never its payload) and how long it took.</summary>
public sealed class LoggingBehaviour<TMessage, TResponse>(ILogger<LoggingBehaviour<TMessage, TResponse>> logger) : IPipelineBehavior<TMessage, TResponse>
    where TMessage : IMessage
{
    public async ValueTask<TResponse> Handle(TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(next);
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
/// Runs a command in one SQLite transaction (BEGIN IMMEDIATE), one writer at a time in this process (the gate
/// keeps writers from spinning on SQLite's busy lock), committing only when the handler returns.
/// </summary>
public sealed class TransactionBehaviour<TMessage, TResponse>(IssuerDbContext db, WriteGate gate) : IPipelineBehavior<TMessage, TResponse>
    where TMessage : ITransactional, IMessage
{
    public async ValueTask<TResponse> Handle(TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(next);
        if (db.Database.CurrentTransaction is not null)
        {
            return await next(message, cancellationToken);
        }

        using var held = await gate.EnterAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var response = await next(message, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);

        // Past this point the commit must happen even if the caller gave up: a half-observed debit is worse.
        await transaction.CommitAsync(CancellationToken.None);
        return response;
    }
}

/// <summary>One writer at a time inside this process.</summary>
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
