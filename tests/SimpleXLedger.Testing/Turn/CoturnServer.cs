using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace SimpleXLedger.Testing.Turn;

/// <summary>
/// A real coturn (<c>turnserver</c>, Debian's coturn) as a child process on loopback, with a generated config:
/// <c>use-auth-secret</c> with the given secrets, no TLS, no CLI, loopback peers allowed (tests only), relay ports
/// in a free range, its pid file, log and user database in a temporary directory. Ready once its log says its
/// servers are up (waited on through a file watcher, never a sleep). Disposing stops it and leaves no process.
/// </summary>
public sealed class CoturnServer : IAsyncDisposable
{
    private readonly ChildProcess _process;
    private readonly TempDirectory _directory;

    private CoturnServer(ChildProcess process, TempDirectory directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    public string LogPath => _directory.File("turn.log");

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    public static async Task<CoturnServer> StartAsync(IReadOnlyList<string> secrets, string realm, TimeSpan? maxAllocateLifetime = null)
    {
        var directory = new TempDirectory("sxl-coturn-");
        var port = FreeUdpAndTcpPort();
        var minPort = 20000 + (port % 20000);
        var config = new List<string>
        {
            $"listening-port={port}",
            "listening-ip=127.0.0.1",
            "relay-ip=127.0.0.1",
            "use-auth-secret",
        };
        config.AddRange(secrets.Select(s => $"static-auth-secret={s}"));
        config.AddRange(
        [
            $"realm={realm}",
            "no-cli",
            "no-tls",
            "no-dtls",
            "allow-loopback-peers",
            $"min-port={minPort}",
            $"max-port={minPort + 200}",
            $"max-allocate-lifetime={(long)(maxAllocateLifetime ?? TimeSpan.FromMinutes(10)).TotalSeconds}",
            $"pidfile={directory.File("turn.pid")}",
            $"userdb={directory.File("turndb")}",
            "no-stdout-log",
            "simple-log",
            $"log-file={directory.File("turn.log")}",
        ]);
        var configPath = directory.File("turnserver.conf");
        await File.WriteAllLinesAsync(configPath, config);

        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var watcher = new FileSystemWatcher(directory.Path, "turn.log") { NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.FileName };
        void Check()
        {
            try
            {
                using var stream = new FileStream(directory.File("turn.log"), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var reader = new StreamReader(stream);
                var text = reader.ReadToEnd();
                if (text.Contains("(admin thread)", StringComparison.Ordinal) || text.Contains("DB connection success", StringComparison.Ordinal))
                {
                    ready.TrySetResult();
                }
            }
            catch (IOException)
            {
                // Not there yet.
            }
        }

        watcher.Changed += (_, _) => Check();
        watcher.Created += (_, _) => Check();
        watcher.EnableRaisingEvents = true;
        var process = ChildProcess.Start("turnserver", ["-c", configPath]);
        var server = new CoturnServer(process, directory, port);
        try
        {
            Check();
            var done = await Task.WhenAny(ready.Task, process.Exited, Task.Delay(TimeSpan.FromSeconds(30)));
            Check();
            if (!ready.Task.IsCompleted)
            {
                throw new InvalidOperationException($"turnserver did not start: {process.AllOutput}\n{(File.Exists(server.LogPath) ? await File.ReadAllTextAsync(server.LogPath) : "no log")}");
            }
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>Allocates a relay with coturn's own client (client-to-client, one message, loopback); its exit status and output.</summary>
    public async Task<(int ExitCode, string Output)> AllocateAsync(string username, string password)
    {
        await using var client = ChildProcess.Start(
            "turnutils_uclient",
            ["-u", username, "-w", password, "-y", "-n", "1", "-m", "1", "-l", "32", "-e", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "127.0.0.1"]);
        var code = await client.WaitForExitAsync(TimeSpan.FromSeconds(60));
        return (code, client.AllOutput);
    }

    /// <summary>A port free for both UDP and TCP on loopback (coturn listens on both).</summary>
    private static int FreeUdpAndTcpPort()
    {
        for (var attempt = 0; ; attempt++)
        {
            var port = FreePort.Next();
            try
            {
                using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                udp.Bind(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException) when (attempt < 20)
            {
                // Taken for UDP: try another.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        _directory.Dispose();
    }
}
