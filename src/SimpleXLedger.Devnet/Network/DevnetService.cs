using SimpleXLedger.Devnet.Processes;

namespace SimpleXLedger.Devnet.Network;

/// <summary>
/// One long-running service of the devnet (<c>sxl … serve</c>): its command line, how it says it is ready, and the
/// process running it now. It can be killed outright (SIGKILL, no cleanup: a crash) and started again with the same
/// data directory and the same port, so its address stays the same — what fault scenarios do — optionally with
/// extra environment for that run (<c>SXL_CRASH_AT=&lt;label&gt;</c>, say).
/// </summary>
public sealed class DevnetService
{
    private readonly SxlRunner _runner;
    private readonly Func<string, bool> _ready;
    private IReadOnlyList<string> _command;

    internal DevnetService(SxlRunner runner, string name, IReadOnlyList<string> command, Func<string, bool> ready)
    {
        _runner = runner;
        Name = name;
        _command = command;
        _ready = ready;
    }

    public string Name { get; }

    /// <summary>The process running the service now (a new one after each restart).</summary>
    public ChildProcess Process { get; private set; } = null!;

    /// <summary>The line it printed when it became ready (an address, or the issuer's ready line).</summary>
    public string ReadyLine { get; private set; } = string.Empty;

    /// <summary>How many times it was started (1 after the devnet came up).</summary>
    public int Starts { get; private set; }

    /// <summary>The command line (ports fixed after the first start).</summary>
    public IReadOnlyList<string> Command => _command;

    /// <summary>Where its log is (all runs append to the same file).</summary>
    public string LogPath => Path.Combine(_runner.LogDirectory, Name + ".log");

    /// <summary>Starts it and waits for its ready line.</summary>
    public async Task<string> StartAsync(TimeSpan timeout, IReadOnlyDictionary<string, string?>? environment, CancellationToken ct)
    {
        if (Process is { HasExited: false })
        {
            throw new InvalidOperationException($"{Name} is running");
        }

        Process = _runner.StartService(Name, _command, environment);
        Starts++;
        ReadyLine = (await Process.WaitForLineAsync(_ready, timeout, ct)).Trim();
        return ReadyLine;
    }

    /// <summary>Pins an option's value for later starts (a port picked by the system on the first start).</summary>
    public void Pin(string option, string value)
    {
        var command = _command.ToList();
        var i = command.IndexOf(option);
        if (i < 0 || i + 1 >= command.Count)
        {
            throw new InvalidOperationException($"{Name} has no {option} to pin");
        }

        command[i + 1] = value;
        _command = command;
    }

    /// <summary>SIGKILL, as a crash: the program gets no chance to clean up.</summary>
    public async Task KillAsync()
    {
        if (Process is { HasExited: false })
        {
            await Process.KillAsync();
        }
    }

    /// <summary>Stops it cleanly (SIGTERM, then SIGKILL after the grace period).</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (Process is { HasExited: false })
        {
            await Process.StopAsync(grace);
        }
    }

    /// <summary>Starts it again on the same data directory and port (after a kill, a crash at a labelled point, or a stop).</summary>
    public async Task<string> RestartAsync(TimeSpan timeout, IReadOnlyDictionary<string, string?>? environment, CancellationToken ct)
    {
        if (Process is { HasExited: false })
        {
            await StopAsync(TimeSpan.FromSeconds(15));
        }

        if (Process is not null)
        {
            await Process.DisposeAsync();
        }

        return await StartAsync(timeout, environment, ct);
    }

    public override string ToString() => Name;
}
