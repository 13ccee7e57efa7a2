using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using SimpleXLedger.Devnet.Processes;

namespace SimpleXLedger.Devnet.Network;

/// <summary>
/// The devnet's coturn (Debian's <c>turnserver</c>) as a child under the watchdog, on a loopback port, with a config
/// generated under the data directory: <c>use-auth-secret</c> with a fresh random secret (a 0600 file the TURN
/// credential service reads too), no TLS, no CLI, no other address, loopback peers allowed (a devnet's peers are
/// all on loopback; the operator's config in the README denies them). Ready once it logs that its admin thread runs.
/// </summary>
public sealed class DevnetCoturn : IAsyncDisposable
{
    /// <summary>What a person without coturn is told (the devnet goes on without TURN).</summary>
    public const string InstallHint = "coturn is not installed (no turnserver/turnutils_uclient on PATH): the devnet runs without TURN; to have it, install Debian's coturn (`sudo apt-get install coturn`) and start the devnet again";

    public const string Realm = "devnet.sxl";

    private DevnetCoturn(ChildProcess process, int port, string secretFile, string configFile, string uclient)
    {
        Process = process;
        Port = port;
        SecretFile = secretFile;
        ConfigFile = configFile;
        ClientProgram = uclient;
    }

    public ChildProcess Process { get; }

    /// <summary>The UDP and TCP port coturn listens on (127.0.0.1).</summary>
    public int Port { get; }

    /// <summary>The static-auth-secret, one line, mode 0600: coturn's config and <c>sxl turn serve --secret-file</c>.</summary>
    public string SecretFile { get; }

    public string ConfigFile { get; }

    /// <summary>coturn's own test client, <c>turnutils_uclient</c>.</summary>
    public string ClientProgram { get; }

    /// <summary>The URL handed out with each credential.</summary>
    public string Url => $"turn:127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}?transport=udp";

    /// <summary>The <c>turnserver</c> and <c>turnutils_uclient</c> programs (SXL_TURNSERVER names another server), or null when coturn is not installed.</summary>
    public static (string Server, string Client)? Find()
    {
        var server = Environment.GetEnvironmentVariable("SXL_TURNSERVER") is { Length: > 0 } named ? named : OnPath("turnserver");
        var client = server is null ? null : OnPath("turnutils_uclient") ?? Sibling(server, "turnutils_uclient");
        return server is not null && client is not null ? (server, client) : null;
    }

    /// <summary>Writes the secret and the config under <paramref name="directory"/> and starts coturn; throws <see cref="DevnetException"/> if it does not come up.</summary>
    public static async Task<DevnetCoturn> StartAsync(string server, string client, string directory, string logDirectory, TimeSpan timeout, CancellationToken ct)
    {
        Directory.CreateDirectory(directory);
        var secretFile = Path.Combine(directory, "static-auth-secret");
        var configFile = Path.Combine(directory, "turnserver.conf");
        // A fresh secret per devnet: 32 random bytes, hex; readable by the owner only, as the operator keeps it.
        var secret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        WritePrivate(secretFile, secret + "\n");

        for (var attempt = 1; ; attempt++)
        {
            var port = FreeUdpAndTcpPort();
            var minPort = 30000 + (port % 20000);
            string[] config =
            [
                $"listening-port={port.ToString(CultureInfo.InvariantCulture)}",
                "listening-ip=127.0.0.1",
                "relay-ip=127.0.0.1",
                "use-auth-secret",
                $"static-auth-secret={secret}",
                $"realm={Realm}",
                "no-cli",
                "no-tls",
                "no-dtls",
                "allow-loopback-peers",
                $"min-port={minPort.ToString(CultureInfo.InvariantCulture)}",
                $"max-port={(minPort + 200).ToString(CultureInfo.InvariantCulture)}",
                $"max-allocate-lifetime={MaxAllocateLifetimeSeconds.ToString(CultureInfo.InvariantCulture)}",
                "max-bps=1000000",
                $"pidfile={Path.Combine(directory, "turnserver.pid")}",
                $"userdb={Path.Combine(directory, "turndb")}",
                "simple-log",
                "log-file=stdout",
            ];
            WritePrivate(configFile, string.Join('\n', config) + "\n");
            var process = ChildProcess.Start("coturn", server, ["-c", configFile], Path.Combine(logDirectory, "coturn.log"));
            try
            {
                await process.WaitForLineAsync(l => l.Contains("(admin thread)", StringComparison.Ordinal), timeout, ct);
                return new DevnetCoturn(process, port, secretFile, configFile, client);
            }
            catch (ChildProcessException) when (attempt < 3 && process.HasExited && process.RecentOutput.Contains("in use", StringComparison.OrdinalIgnoreCase))
            {
                // Another process took the port between picking and binding: pick again.
                await process.DisposeAsync();
            }
            catch (ChildProcessException e)
            {
                await process.DisposeAsync();
                throw new DevnetException($"coturn did not start: {e.Message}; see {Path.Combine(logDirectory, "coturn.log")}", e);
            }
        }
    }

    /// <summary>coturn's <c>max-allocate-lifetime</c> here, which <c>sxl turn serve --max-allocate-lifetime</c> must match.</summary>
    public const int MaxAllocateLifetimeSeconds = 600;

    /// <summary>
    /// Allocates a relay with coturn's own client and the given credentials (client to client on loopback, one
    /// message). The credentials go on its command line, as the tool takes them; its output is kept in memory, not logged.
    /// </summary>
    public async Task<(int ExitCode, string Output)> AllocateAsync(string username, string password, TimeSpan timeout, CancellationToken ct)
    {
        await using var uclient = ChildProcess.Start(
            "turnutils-uclient",
            ClientProgram,
            ["-u", username, "-w", password, "-y", "-n", "1", "-m", "1", "-l", "32", "-e", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "127.0.0.1"],
            logPath: null);
        var code = await uclient.WaitForExitAsync(timeout, ct);
        return (code, string.Join('\n', uclient.StandardOutput) + "\n" + uclient.RecentOutput);
    }

    public async ValueTask DisposeAsync() => await Process.DisposeAsync();

    private static void WritePrivate(string path, string text)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(path, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(text);
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    private static string? OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, program))
            .FirstOrDefault(File.Exists);

    private static string? Sibling(string program, string name) =>
        Path.GetDirectoryName(program) is { } directory && File.Exists(Path.Combine(directory, name)) ? Path.Combine(directory, name) : null;

    /// <summary>A port free on loopback for both UDP and TCP (coturn listens on both).</summary>
    private static int FreeUdpAndTcpPort()
    {
        for (var attempt = 0; ; attempt++)
        {
            using var tcp = new TcpListener(IPAddress.Loopback, 0);
            tcp.Start();
            var port = ((IPEndPoint)tcp.LocalEndpoint).Port;
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
}
