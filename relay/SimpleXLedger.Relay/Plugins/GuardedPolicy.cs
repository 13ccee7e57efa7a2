using Microsoft.Extensions.Logging;
using SimpleXLedger.Relay.Metering;

namespace SimpleXLedger.Relay.Plugins;

/// <summary>
/// Isolates the relay from its metering plugin: every call is caught (and timed out); a failure is
/// logged by hook and exception type only (never the payload) and then fails open (free of charge)
/// or closed (UNAVAILABLE), as configured. A plugin cannot crash the relay or leak through its errors.
/// </summary>
internal sealed class GuardedPolicy(IMeteringPlugin plugin, IMeteringPolicy inner, bool failOpen, TimeSpan timeout, ILogger logger) : IAsyncDisposable
{
    private static readonly MeteringDenial Closed = new(DenialKind.Unavailable, "metering is unavailable; try again later");
    private readonly long[] _refusals = new long[Enum.GetValues<DenialKind>().Length];
    private long _failures;

    public string Id => plugin.Id;

    public Version Version => plugin.Version;

    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>Work refused by the policy (or by the guard for it) with this kind of denial, since start.</summary>
    public long Refusals(DenialKind kind) => Interlocked.Read(ref _refusals[(int)kind]);

    /// <summary>The policy's outbox against its risk budget, when it keeps one (<see cref="IMeteringOutbox"/>), else null.</summary>
    public (long Tokens, long Budget)? Outbox
    {
        get
        {
            if (inner is not IMeteringOutbox outbox)
            {
                return null;
            }

            try
            {
                return (outbox.OutboxTokens, outbox.RiskBudgetTokens);
            }
            catch (Exception e)
            {
                Failed(nameof(IMeteringOutbox), e);
                return null;
            }
        }
    }

    public string BalanceUnit
    {
        get
        {
            try
            {
                return inner.BalanceUnit;
            }
            catch (Exception e)
            {
                Failed(nameof(IMeteringPolicy.BalanceUnit), e);
                return "units";
            }
        }
    }

    public ValueTask<MeteringDecision> AuthorizeCreateAsync(CreateUsage usage, CancellationToken ct) =>
        Decide(nameof(IMeteringPolicy.AuthorizeCreateAsync), c => inner.AuthorizeCreateAsync(usage, c), ct);

    public ValueTask<MeteringDecision> AuthorizeSendAsync(SendUsage usage, CancellationToken ct) =>
        Decide(nameof(IMeteringPolicy.AuthorizeSendAsync), c => inner.AuthorizeSendAsync(usage, c), ct);

    /// <summary>Top-ups never fail open: crediting on a broken plugin would create credit from nothing.</summary>
    public ValueTask<MeteringDecision> TopUpAsync(TopUpUsage usage, CancellationToken ct) =>
        Decide(nameof(IMeteringPolicy.TopUpAsync), c => inner.TopUpAsync(usage, c), ct, mayFailOpen: false);

    public MeteringDenial InsufficientBalance()
    {
        MeteringDenial denial;
        try
        {
            denial = inner.InsufficientBalance();
        }
        catch (Exception e)
        {
            Failed(nameof(IMeteringPolicy.InsufficientBalance), e);
            denial = new MeteringDenial(DenialKind.PaymentRequired, "the queue's balance is used up");
        }

        Refused(denial);
        return denial;
    }

    public long ChargeForStorage(StorageUsage usage)
    {
        try
        {
            return Math.Max(0, inner.ChargeForStorage(usage));
        }
        catch (Exception e)
        {
            Failed(nameof(IMeteringPolicy.ChargeForStorage), e);
            return 0;
        }
    }

    public void OnUsage(UsageEvent usage)
    {
        try
        {
            inner.OnUsage(usage);
        }
        catch (Exception e)
        {
            Failed(nameof(IMeteringPolicy.OnUsage), e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await inner.DisposeAsync();
        }
        catch (Exception e)
        {
            Failed(nameof(IAsyncDisposable.DisposeAsync), e);
        }
    }

    private ValueTask<MeteringDecision> Decide(string hook, Func<CancellationToken, ValueTask<MeteringDecision>> call, CancellationToken ct, bool mayFailOpen = true)
    {
        ValueTask<MeteringDecision> pending;
        try
        {
            pending = call(ct);
        }
        catch (Exception e)
        {
            return ValueTask.FromResult(Counted(Fallback(hook, e, mayFailOpen)));
        }

        // The hot path: a policy that answers synchronously costs no timer and no task.
        if (pending.IsCompletedSuccessfully)
        {
            return ValueTask.FromResult(Counted(pending.Result ?? Fallback(hook, new InvalidOperationException("no decision"), mayFailOpen)));
        }

        return AwaitAsync(hook, pending, ct, mayFailOpen);
    }

    private async ValueTask<MeteringDecision> AwaitAsync(string hook, ValueTask<MeteringDecision> pending, CancellationToken ct, bool mayFailOpen)
    {
        try
        {
            var decision = await pending.AsTask().WaitAsync(timeout, ct);
            return Counted(decision ?? throw new InvalidOperationException("the plugin returned no decision"));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            return Counted(Fallback(hook, e, mayFailOpen));
        }
    }

    private MeteringDecision Counted(MeteringDecision decision)
    {
        if (!decision.Allowed && decision.Denial is { } denial)
        {
            Refused(denial);
        }

        return decision;
    }

    private void Refused(MeteringDenial denial)
    {
        var kind = (int)denial.Kind;
        if ((uint)kind < (uint)_refusals.Length)
        {
            Interlocked.Increment(ref _refusals[kind]);
        }
    }

    private MeteringDecision Fallback(string hook, Exception e, bool mayFailOpen)
    {
        Failed(hook, e);
        return failOpen && mayFailOpen ? MeteringDecision.Free() : MeteringDecision.Deny(Closed);
    }

    private void Failed(string hook, Exception e)
    {
        Interlocked.Increment(ref _failures);
        // The type only: a plugin's exception message could carry a token or other payload.
        logger.LogError("metering plugin {Plugin} failed in {Hook} with {ExceptionType}; failing {Mode}", plugin.Id, hook, e.GetType().Name, failOpen ? "open" : "closed");
    }
}
