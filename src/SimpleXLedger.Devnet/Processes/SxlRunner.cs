namespace SimpleXLedger.Devnet.Processes;

/// <summary>Starts <c>sxl</c> commands as children of the devnet: long-running services, and one-shot commands run to completion.</summary>
public sealed class SxlRunner(SxlProgram program, string logDirectory, IReadOnlyDictionary<string, string?>? environment = null)
{
    public SxlProgram Program { get; } = program;

    public string LogDirectory { get; } = logDirectory;

    /// <summary>Starts a service; its stdout and stderr go to <c>&lt;logs&gt;/&lt;name&gt;.log</c>. <paramref name="extra"/> adds to the devnet's environment for this run.</summary>
    public ChildProcess StartService(string name, IEnumerable<string> command, IReadOnlyDictionary<string, string?>? extra = null) =>
        ChildProcess.Start(name, Program.FileName, Program.Arguments(command), Path.Combine(LogDirectory, name + ".log"), logStdout: true, Merge(extra));

    /// <summary>
    /// Runs one command to completion and returns its stdout lines; a non-zero status is a <see cref="ChildProcessException"/>.
    /// With <paramref name="stdoutIsSecret"/> (card codes, say) stdout is kept in memory only, never logged.
    /// </summary>
    public async Task<IReadOnlyList<string>> RunAsync(string name, IEnumerable<string> command, bool stdoutIsSecret = false, TimeSpan? timeout = null, CancellationToken ct = default)
    {
        await using var child = ChildProcess.Start(name, Program.FileName, Program.Arguments(command), Path.Combine(LogDirectory, name + ".log"), logStdout: !stdoutIsSecret, Merge(null));
        var status = await child.WaitForExitAsync(timeout ?? TimeSpan.FromMinutes(2), ct);
        return status == 0
            ? [.. child.StandardOutput]
            : throw new ChildProcessException($"`sxl {string.Join(' ', command.Take(3))} …` failed with status {status}", child);
    }

    private IReadOnlyDictionary<string, string?>? Merge(IReadOnlyDictionary<string, string?>? extra)
    {
        if (extra is null || extra.Count == 0)
        {
            return environment;
        }

        var merged = new Dictionary<string, string?>(environment ?? new Dictionary<string, string?>(), StringComparer.Ordinal);
        foreach (var (key, value) in extra)
        {
            merged[key] = value;
        }

        return merged;
    }
}
