using System.Diagnostics;
using SimpleXLedger.Devnet.Network;
using SimpleXLedger.Net.Crash;

namespace SimpleXLedger.Audit.Faults;

/// <summary>
/// Brings services down and up again, for real: a service is restarted with <c>SXL_CRASH_AT=&lt;label&gt;</c> so it
/// SIGKILLs itself when it reaches the label, or killed with SIGKILL from outside at a chosen moment; then it is started
/// again on the same data directory and port (its address and certificate stay the same) and waited for until ready.
/// </summary>
internal sealed class FaultInjector(DevnetNetwork network, TimeSpan readyTimeout)
{
    /// <summary>A process killed by SIGKILL ends with status 128 + 9.</summary>
    public const int KilledStatus = 137;

    public DevnetService Service(string name) =>
        network.Services.FirstOrDefault(s => s.Name == name) ?? throw new ArgumentException($"the devnet has no service {name}", nameof(name));

    /// <summary>Restarts the service (cleanly) with a crash label armed for its next run.</summary>
    public Task ArmAsync(DevnetService service, string label, CancellationToken ct) =>
        service.RestartAsync(readyTimeout, new Dictionary<string, string?> { [CrashPoint.EnvironmentVariable] = label }, ct);

    /// <summary>Waits for the armed service to kill itself; returns its exit status.</summary>
    public async Task<int> WaitForCrashAsync(DevnetService service, TimeSpan timeout, CancellationToken ct)
    {
        try
        {
            return await service.Process.Exited.WaitAsync(timeout, ct);
        }
        catch (TimeoutException)
        {
            throw new FaultNotReachedException($"{service.Name} did not reach its crash point within {timeout.TotalSeconds:0} s");
        }
    }

    /// <summary>SIGKILL from outside (the service and its watchdog): a crash at whatever it was doing. Returns the exit status.</summary>
    public async Task<int> KillAsync(DevnetService service)
    {
        await service.KillAsync();
        return await service.Process.Exited;
    }

    /// <summary>Starts the service again (clean, or with another label armed); returns how long it took to be ready.</summary>
    public async Task<TimeSpan> RestartAsync(DevnetService service, string? label, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        await service.RestartAsync(readyTimeout, label is null ? null : new Dictionary<string, string?> { [CrashPoint.EnvironmentVariable] = label }, ct);
        return clock.Elapsed;
    }

    /// <summary>Every service that is not running is started again, clean (after a fault that went wrong).</summary>
    public async Task ReviveAllAsync(CancellationToken ct)
    {
        foreach (var service in network.Services.Where(s => s.Process.HasExited))
        {
            await service.RestartAsync(readyTimeout, null, ct);
        }
    }
}

/// <summary>An armed crash point was never reached (the workload did not get there).</summary>
public sealed class FaultNotReachedException : Exception
{
    public FaultNotReachedException()
    {
    }

    public FaultNotReachedException(string message)
        : base(message)
    {
    }

    public FaultNotReachedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
