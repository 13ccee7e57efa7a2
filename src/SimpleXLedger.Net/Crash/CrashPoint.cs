using System.Diagnostics;

namespace SimpleXLedger.Net.Crash;

/// <summary>
/// The one crash hook every service shares. When the environment variable <c>SXL_CRASH_AT</c>
/// names a label that the process reaches, the process kills itself at once with SIGKILL:
/// no cleanup, no flush, no finally blocks. Crash tests use it to stop a real process exactly
/// between two steps (for example between a card debit and the reply).
/// </summary>
/// <remarks>
/// <c>SXL_CRASH_AT</c> holds one or more comma-separated entries, each <c>label</c> (crash the
/// first time the label is reached) or <c>label@N</c> (crash the N-th time).
/// </remarks>
public static class CrashPoint
{
    public const string EnvironmentVariable = "SXL_CRASH_AT";

    private static readonly Dictionary<string, int> Armed = Parse(Environment.GetEnvironmentVariable(EnvironmentVariable));
    private static readonly Dictionary<string, int> Reached = new(StringComparer.Ordinal);
    private static readonly Lock Gate = new();

    /// <summary>True when any crash point is armed in this process.</summary>
    public static bool IsArmed => Armed.Count > 0;

    /// <summary>Marks a labelled point; kills the process here if the label is armed.</summary>
    public static void Reach(string label)
    {
        if (Armed.Count == 0 || !Armed.TryGetValue(label, out var crashOn))
        {
            return;
        }

        int count;
        lock (Gate)
        {
            Reached.TryGetValue(label, out count);
            Reached[label] = ++count;
        }

        if (count == crashOn)
        {
            KillNow();
        }
    }

    private static void KillNow()
    {
        // On Unix, Process.Kill sends SIGKILL to this very process: nothing after this line runs.
        using var self = Process.GetCurrentProcess();
        self.Kill();
        Environment.FailFast("crash point reached");
    }

    internal static Dictionary<string, int> Parse(string? value)
    {
        var result = new Dictionary<string, int>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(value))
        {
            return result;
        }

        foreach (var entry in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var at = entry.LastIndexOf('@');
            if (at > 0 && int.TryParse(entry.AsSpan(at + 1), out var n) && n > 0)
            {
                result[entry[..at]] = n;
            }
            else
            {
                result[entry] = 1;
            }
        }

        return result;
    }
}
