using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Nethereum.Web3;

namespace SimpleXLedger.Chain.Devnet;

/// <summary>Where and how to start Anvil.</summary>
public sealed record AnvilOptions
{
    /// <summary>The anvil binary; found with <see cref="AnvilNode.Find"/> when null.</summary>
    public string? Executable { get; init; }

    /// <summary>Loopback port; a free one when 0.</summary>
    public int Port { get; init; }

    public ulong ChainId { get; init; } = 31337;

    /// <summary>How long to wait for the node to answer <c>eth_chainId</c>.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>More command-line flags for anvil, after the standard ones (e.g. <c>--hardfork osaka</c>).</summary>
    public IReadOnlyList<string> ExtraArguments { get; init; } = [];
}

/// <summary>
/// A local Anvil chain in a child process, on loopback, with the deterministic dev accounts of
/// <see cref="DevAccounts"/>. Anvil runs under a small shell watchdog that kills it when this
/// process's end of its stdin pipe closes — on dispose, at exit, and also when this process dies
/// by SIGKILL — so no Anvil outlives its owner.
/// </summary>
public sealed class AnvilNode : IAsyncDisposable, IDisposable
{
    // The watchdog: starts anvil, and kills it as soon as stdin reaches end-of-file (our pipe closed).
    private const string Watchdog = """
        exec 3<&0
        "$@" </dev/null &
        child=$!
        ( read -r _ <&3; kill -TERM "$child" 2>/dev/null ) &
        watch=$!
        wait "$child"
        status=$?
        kill "$watch" 2>/dev/null
        exit $status
        """;

    private static readonly ConcurrentDictionary<int, Process> Alive = new();
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private int _disposed;
    private volatile bool _stopped;

    static AnvilNode()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var process in Alive.Values)
            {
                Kill(process);
            }
        };
    }

    private AnvilNode(Process process, int port, ulong chainId)
    {
        _process = process;
        Port = port;
        ChainId = chainId;
        RpcUrl = $"http://127.0.0.1:{port}";
    }

    public string RpcUrl { get; }

    public int Port { get; }

    public ulong ChainId { get; }

    /// <summary>The watchdog shell's process id (Anvil is its child).</summary>
    public int ProcessId => _process.Id;

    public bool HasExited => _stopped || _process.HasExited;

    /// <summary>The last lines Anvil printed (dev account keys included: they are public test keys).</summary>
    public string RecentOutput => string.Join('\n', _output);

    /// <summary>
    /// Finds anvil: the <c>SXL_ANVIL</c> environment variable, then PATH, then the npm platform
    /// package under a <c>contracts/node_modules</c> found above the working directory or this assembly.
    /// </summary>
    public static string? Find()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("SXL_ANVIL");
        if (!string.IsNullOrEmpty(fromEnvironment) && File.Exists(fromEnvironment))
        {
            return fromEnvironment;
        }

        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, "anvil");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        var contracts = FindContractsDirectory();
        if (contracts is null)
        {
            return null;
        }

        var platformBinary = Path.Combine(contracts, "node_modules", "@foundry-rs", $"anvil-{PlatformSuffix()}", "bin", "anvil");
        return File.Exists(platformBinary) ? platformBinary : null;
    }

    /// <summary>The checkout's <c>contracts/</c> directory (holding package.json), searched upwards from the working directory and from this assembly.</summary>
    public static string? FindContractsDirectory()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "contracts");
                if (File.Exists(Path.Combine(candidate, "package.json")) && Directory.Exists(Path.Combine(candidate, "src")))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    /// <summary>Starts Anvil and returns once it answers JSON-RPC.</summary>
    public static async Task<AnvilNode> StartAsync(AnvilOptions? options = null, CancellationToken ct = default)
    {
        options ??= new AnvilOptions();
        var executable = options.Executable ?? Find()
            ?? throw new FileNotFoundException("anvil not found: build the Chain project (it runs npm ci in contracts/), put anvil on PATH, or set SXL_ANVIL");

        // A port picked free can be taken before Anvil binds it; then try another one.
        for (var attempt = 1; ; attempt++)
        {
            var port = options.Port != 0 ? options.Port : FreeLoopbackPort();
            var node = Launch(executable, port, options.ChainId, options.ExtraArguments);
            try
            {
                await node.WaitUntilReadyAsync(options.StartTimeout, ct);
                return node;
            }
            catch (AnvilStartException) when (options.Port == 0 && attempt < 3 && node.RecentOutput.Contains("in use", StringComparison.OrdinalIgnoreCase))
            {
                await node.DisposeAsync();
            }
            catch
            {
                await node.DisposeAsync();
                throw;
            }
        }
    }

    /// <summary>Stops Anvil: closes the watchdog's stdin (Anvil gets SIGTERM), then kills whatever is left.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            _process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The watchdog is already gone.
        }

        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            Kill(_process);
            await _process.WaitForExitAsync(CancellationToken.None);
        }

        Alive.TryRemove(_process.Id, out _);
        _stopped = true;
        _process.Dispose();
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>Closes only this side of the watchdog's stdin pipe: what the kernel does when the owner dies.</summary>
    internal void CloseOwnerPipe() => _process.StandardInput.Close();

    internal async Task WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
    }

    private static AnvilNode Launch(string executable, int port, ulong chainId, IReadOnlyList<string> extraArguments)
    {
        var info = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "-c", Watchdog, "sxl-anvil-watchdog", executable,
            "--host", "127.0.0.1",
            "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--chain-id", chainId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--accounts", "10",
            "--balance", "10000",
            "--mnemonic", DevAccounts.Mnemonic,
        }.Concat(extraArguments))
        {
            info.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = info };
        var node = new AnvilNode(process, port, chainId);
        process.OutputDataReceived += (_, e) => node.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => node.Keep(e.Data);
        process.Start();
        Alive[process.Id] = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return node;
    }

    private async Task WaitUntilReadyAsync(TimeSpan timeout, CancellationToken ct)
    {
        var web3 = new Web3(RpcUrl);
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (_process.HasExited)
            {
                throw new AnvilStartException($"anvil exited with status {_process.ExitCode} before answering:\n{RecentOutput}");
            }

            try
            {
                var id = await web3.Eth.ChainId.SendRequestAsync();
                if ((ulong)id.Value == ChainId)
                {
                    return;
                }

                throw new AnvilStartException($"the node on port {Port} reports chain id {id.Value}, not {ChainId}: another node holds the port");
            }
            catch (Exception e) when (e is not AnvilStartException && deadline.Elapsed < timeout)
            {
                // Not listening yet: a bounded poll with a short pause.
                await Task.Delay(50, ct);
            }
            catch (Exception e) when (e is not AnvilStartException)
            {
                throw new AnvilStartException($"anvil did not answer on {RpcUrl} within {timeout}:\n{RecentOutput}", e);
            }
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        while (_output.Count > 200 && _output.TryDequeue(out _))
        {
        }
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string PlatformSuffix()
    {
        var os = OperatingSystem.IsMacOS() ? "darwin" : OperatingSystem.IsWindows() ? "win32" : "linux";
        var arch = RuntimeInformation.OSArchitecture == Architecture.Arm64 ? "arm64" : "amd64";
        return $"{os}-{arch}";
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
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }
}

/// <summary>Anvil could not be started or did not answer.</summary>
public sealed class AnvilStartException : Exception
{
    public AnvilStartException()
    {
    }

    public AnvilStartException(string message)
        : base(message)
    {
    }

    public AnvilStartException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
