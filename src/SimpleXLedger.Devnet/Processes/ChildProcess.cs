using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;

namespace SimpleXLedger.Devnet.Processes;

/// <summary>
/// One child process of the devnet (a service, or a one-shot <c>sxl</c> command), started under a small
/// shell watchdog in a session of its own:
/// <list type="bullet">
/// <item>the watchdog sends the child SIGTERM as soon as its stdin (a pipe only this process holds) reaches
/// end-of-file — on <see cref="StopAsync"/>, and also when this process dies, even by SIGKILL, because the
/// kernel closes the pipe then — so no child outlives the devnet;</item>
/// <item>its own session keeps the terminal's Ctrl+C away from it: the devnet stops its children itself,
/// in order, and waits for each.</item>
/// </list>
/// Standard error (and standard output, unless it carries secrets) is appended to a log file.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    // "$@" is the command. fd 3 keeps the watchdog's stdin (our pipe) for the watcher; the child gets /dev/null.
    // The watcher holds none of the output pipes (so a watcher still alive can never keep our readers waiting for
    // end-of-stream) and is ended with SIGKILL: it forks with the TERM trap below, and a TERM that arrives before the
    // subshell resets its traps is caught and ignored, which left it reading until its owner closed the pipe.
    private const string Watchdog = """
        exec 3<&0
        "$@" </dev/null 3<&- &
        child=$!
        trap 'kill -TERM "$child" 2>/dev/null' TERM INT HUP
        ( trap - TERM INT HUP; read -r _ <&3; kill -TERM "$child" 2>/dev/null ) >/dev/null 2>&1 &
        watch=$!
        exec 3<&-
        while :; do
          wait "$child"
          status=$?
          kill -0 "$child" 2>/dev/null || break
        done
        kill -KILL "$watch" 2>/dev/null
        exit $status
        """;

    private static readonly ConcurrentDictionary<int, Process> Alive = new();
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly ConcurrentQueue<string> _stdout = new();
    private readonly ConcurrentQueue<string> _recent = new();
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly StreamWriter? _log;
    private readonly Lock _logGate = new();
    private readonly bool _logStdout;
    private int _stopped;

    private static readonly TimeSpan ExitDrainGrace = TimeSpan.FromSeconds(5);

    private static Task _orderlyStop = Task.CompletedTask;

    static ChildProcess()
    {
        // At exit: let an orderly stop that is under way finish (the command line's Ctrl+C handling may return
        // before it does), then kill whatever is left (an exit that skipped StopAsync).
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                _orderlyStop.Wait(TimeSpan.FromSeconds(30));
            }
            catch (AggregateException)
            {
                // The stop failed; kill below.
            }

            foreach (var process in Alive.Values)
            {
                Kill(process);
            }
        };
    }

    private ChildProcess(string name, Process process, string? logPath, bool logStdout)
    {
        Name = name;
        _process = process;
        LogPath = logPath;
        _logStdout = logStdout;
        if (logPath is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
            _log = new StreamWriter(new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        }
    }

    public string Name { get; }

    /// <summary>The log file (stderr, and stdout unless it carries secrets), or null.</summary>
    public string? LogPath { get; }

    /// <summary>The watchdog's process id (the program runs as its child).</summary>
    public int ProcessId => _process.Id;

    public bool HasExited => _exited.Task.IsCompleted;

    /// <summary>Completes with the exit status when the process has ended.</summary>
    public Task<int> Exited => _exited.Task;

    /// <summary>Every stdout line so far.</summary>
    public IReadOnlyCollection<string> StandardOutput => _stdout;

    /// <summary>The last lines of stderr and (when logged) stdout: for error messages.</summary>
    public string RecentOutput => string.Join('\n', _recent);

    /// <summary>Holds this process's exit until <paramref name="stop"/> (stopping children in order) has finished, for at most 30 s.</summary>
    public static void HoldExitUntil(Task stop) => _orderlyStop = stop;

    /// <summary>Starts <paramref name="fileName"/> with <paramref name="arguments"/> under the watchdog.</summary>
    public static ChildProcess Start(
        string name,
        string fileName,
        IEnumerable<string> arguments,
        string? logPath,
        bool logStdout = true,
        IReadOnlyDictionary<string, string?>? environment = null,
        string? workingDirectory = null)
    {
        var info = new ProcessStartInfo("setsid")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        // setsid --wait: if it must fork (it was a group leader), it still waits, so our process is the child's parent line.
        foreach (var a in new[] { "--wait", "/bin/sh", "-c", Watchdog, $"sxl-devnet-{name}", fileName })
        {
            info.ArgumentList.Add(a);
        }

        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        if (environment is not null)
        {
            foreach (var (key, value) in environment)
            {
                info.Environment[key] = value;
            }
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(name, process, logPath, logStdout);
        process.OutputDataReceived += (_, e) => child.OnStdout(e.Data);
        process.ErrorDataReceived += (_, e) => child.OnStderr(e.Data);
        process.Exited += (_, _) =>
        {
            Alive.TryRemove(process.Id, out _);
            int status;
            try
            {
                status = process.ExitCode;
            }
            catch (InvalidOperationException)
            {
                status = -1;
            }

            child._exited.TrySetResult(status);
        };
        process.Start();
        Alive[process.Id] = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Waits for a stdout line that satisfies <paramref name="predicate"/> (earlier lines included); fails if the process ends first.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> predicate, TimeSpan timeout, CancellationToken ct = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);

        // stdout normally closes when the program ends, which ends the loop below. A grandchild (or a slow
        // watchdog) can hold it open for a while: once the process has ended, give its output a few seconds
        // to arrive and then stop waiting, so the error says it ended rather than that it timed out.
        _ = _exited.Task.ContinueWith(
            static (_, state) =>
            {
                try
                {
                    ((CancellationTokenSource)state!).CancelAfter(ExitDrainGrace);
                }
                catch (ObjectDisposedException)
                {
                    // The wait already ended.
                }
            },
            cts,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        try
        {
            await foreach (var line in _lines.Reader.ReadAllAsync(cts.Token))
            {
                if (predicate(line))
                {
                    return line;
                }
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            if (!_exited.Task.IsCompleted)
            {
                throw new ChildProcessException($"{Name} did not get ready within {timeout.TotalSeconds:0} s", this);
            }
        }

        // stdout closed: the process ended (or is ending) without the line. Let stderr drain too, for the message.
        var status = await _exited.Task.WaitAsync(TimeSpan.FromSeconds(10), ct).ConfigureAwait(false);
        using (var drain = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            drain.CancelAfter(TimeSpan.FromSeconds(5));
            try
            {
                await _process.WaitForExitAsync(drain.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                // A grandchild still holds stderr open; report what arrived.
            }
        }

        throw new ChildProcessException($"{Name} exited with status {status} before it was ready", this);
    }

    /// <summary>The stdout lines as they come (one reader at a time; <see cref="WaitForLineAsync"/> reads the same stream).</summary>
    public IAsyncEnumerable<string> StandardOutputLinesAsync(CancellationToken ct = default) => _lines.Reader.ReadAllAsync(ct);

    /// <summary>Waits for the process to end and returns its status.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        try
        {
            var status = await _exited.Task.WaitAsync(timeout, ct);
            // Exited is raised before the last output lines are read: wait for end-of-stream as well.
            await _process.WaitForExitAsync(ct);
            return status;
        }
        catch (TimeoutException)
        {
            throw new ChildProcessException($"{Name} did not finish within {timeout.TotalSeconds:0} s", this);
        }
    }

    /// <summary>
    /// Stops the process: closes the watchdog's stdin (the program gets SIGTERM and shuts down cleanly),
    /// waits up to <paramref name="grace"/>, then kills whatever is left of its tree.
    /// </summary>
    public async Task<int> StopAsync(TimeSpan grace)
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 0)
        {
            try
            {
                _process.StandardInput.Close();
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException)
            {
                // Already gone.
            }
        }

        try
        {
            return await _exited.Task.WaitAsync(grace);
        }
        catch (TimeoutException)
        {
            Kill(_process);
            return await _exited.Task.WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    /// <summary>SIGKILL to the watchdog and the program (its whole tree), as a crash would: no cleanup.</summary>
    public async Task KillAsync()
    {
        Kill(_process);
        await _exited.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>Closes our end of the watchdog's pipe without stopping anything else: exactly what the kernel does when this process dies.</summary>
    internal void CloseOwnerPipe() => _process.StandardInput.Close();

    public async ValueTask DisposeAsync()
    {
        if (!HasExited)
        {
            await StopAsync(TimeSpan.FromSeconds(15));
        }

        lock (_logGate)
        {
            _log?.Dispose();
        }

        _process.Dispose();
    }

    private void OnStdout(string? line)
    {
        if (line is null)
        {
            _lines.Writer.TryComplete();
            return;
        }

        _stdout.Enqueue(line);
        _lines.Writer.TryWrite(line);
        if (_logStdout)
        {
            Keep(line);
        }
    }

    private void OnStderr(string? line)
    {
        if (line is not null)
        {
            Keep(line);
        }
    }

    private void Keep(string line)
    {
        _recent.Enqueue(line);
        while (_recent.Count > 40 && _recent.TryDequeue(out _))
        {
        }

        lock (_logGate)
        {
            try
            {
                _log?.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // Output after dispose: dropped.
            }
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Already gone.
        }
    }
}

/// <summary>A child process failed to start, get ready or finish; the message names it and carries its last output lines.</summary>
public sealed class ChildProcessException : Exception
{
    public ChildProcessException()
    {
    }

    public ChildProcessException(string message)
        : base(message)
    {
    }

    public ChildProcessException(string message, Exception inner)
        : base(message, inner)
    {
    }

    internal ChildProcessException(string message, ChildProcess process)
        : base(Describe(message, process))
    {
        LogPath = process.LogPath;
    }

    /// <summary>Where the process's full log is.</summary>
    public string? LogPath { get; }

    private static string Describe(string message, ChildProcess process)
    {
        var recent = process.RecentOutput;
        var log = process.LogPath is null ? string.Empty : $"\n(full log: {process.LogPath})";
        return string.IsNullOrWhiteSpace(recent) ? message + log : $"{message}; its last output:\n{recent}{log}";
    }
}
