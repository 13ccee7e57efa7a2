using System.Diagnostics;
using SimpleXLedger.Devnet.Network;

namespace SimpleXLedger.Devnet.Scenarios;

public enum StepStatus
{
    Passed,
    Failed,

    /// <summary>The piece of the network this step needs has not landed yet; the step was left out, not faked.</summary>
    NotYetAvailable,

    /// <summary>Not run because an earlier step it depends on failed or was left out.</summary>
    Skipped,
}

/// <summary>One step of a scenario, as it went.</summary>
public sealed record StepRecord(string Name, StepStatus Status, string Detail, double Seconds);

/// <summary>A step cannot run because a piece of the network it needs is not there yet (named in the message).</summary>
public sealed class NotYetAvailableException : Exception
{
    public NotYetAvailableException()
    {
    }

    public NotYetAvailableException(string message)
        : base(message)
    {
    }

    public NotYetAvailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>A check inside a step did not hold.</summary>
public sealed class ScenarioCheckException : Exception
{
    public ScenarioCheckException()
    {
    }

    public ScenarioCheckException(string message)
        : base(message)
    {
    }

    public ScenarioCheckException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public static void That(bool condition, string message)
    {
        if (!condition)
        {
            throw new ScenarioCheckException(message);
        }
    }
}

/// <summary>Runs a scenario's steps in order, timing each and recording its outcome; a step whose prerequisites did not pass is skipped.</summary>
public sealed class ScenarioSteps(IDevnetProgress progress)
{
    private readonly List<StepRecord> _steps = [];

    public IReadOnlyList<StepRecord> Records => _steps;

    public bool AllPassed => _steps.All(s => s.Status == StepStatus.Passed);

    public bool AnyFailed => _steps.Any(s => s.Status is StepStatus.Failed);

    /// <summary>Runs one step; <paramref name="action"/> returns the detail line shown in the summary.</summary>
    /// <returns>True when the step passed.</returns>
    public async Task<bool> RunAsync(string name, Func<Task<string>> action, CancellationToken ct, params string[] requires)
    {
        ArgumentNullException.ThrowIfNull(action);
        var missing = requires.Where(r => _steps.FirstOrDefault(s => s.Name == r) is not { Status: StepStatus.Passed }).ToList();
        if (missing.Count > 0)
        {
            _steps.Add(new StepRecord(name, StepStatus.Skipped, $"needs: {string.Join(", ", missing)}", 0));
            progress.Noted($"{name}: skipped (needs {string.Join(", ", missing)})");
            return false;
        }

        progress.Doing(name);
        var clock = Stopwatch.StartNew();
        try
        {
            var detail = await action();
            _steps.Add(new StepRecord(name, StepStatus.Passed, detail, clock.Elapsed.TotalSeconds));
            progress.Done($"{name}: {detail}");
            return true;
        }
        catch (NotYetAvailableException e)
        {
            _steps.Add(new StepRecord(name, StepStatus.NotYetAvailable, e.Message, clock.Elapsed.TotalSeconds));
            progress.Noted($"{name}: not yet available: {e.Message}");
            return false;
        }
        catch (Exception e) when (!ct.IsCancellationRequested && e is not OutOfMemoryException)
        {
            // A failed step is a finding, not a crash: record it and let the summary show it.
            _steps.Add(new StepRecord(name, StepStatus.Failed, $"{e.GetType().Name}: {e.Message}", clock.Elapsed.TotalSeconds));
            progress.Failed($"{name}: {e.Message}");
            return false;
        }
    }
}
