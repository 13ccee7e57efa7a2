using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;

namespace SimpleXLedger.Testing.Postgres;

/// <summary>
/// A throwaway PostgreSQL server for tests, from the binaries this machine's Debian image provides
/// (<c>/usr/lib/postgresql/&lt;version&gt;/bin</c>, or <c>SXL_PG_BIN</c>): <c>initdb</c> in a temporary directory
/// owned by the <c>postgres</c> user (when the tests run as root, through <c>runuser</c>), <c>pg_ctl start</c> on a
/// free port with its own Unix socket directory and no TCP listener, and a database per caller. It is stopped
/// (<c>pg_ctl stop -m immediate</c>) and its directory removed on dispose, at test-host exit, and — through a
/// small watchdog holding a pipe from this process — even when the test host is killed.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private const string ServiceUser = "postgres";
    private static readonly ConcurrentDictionary<PostgresServer, bool> Running = new();
    private readonly Process _watchdog;
    private int _disposed;

    static PostgresServer()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var server in Running.Keys)
            {
                server.StopNow();
            }
        };
    }

    private PostgresServer(string binDirectory, string directory, int port, bool asServiceUser, Process watchdog)
    {
        BinDirectory = binDirectory;
        Directory = directory;
        Port = port;
        AsServiceUser = asServiceUser;
        _watchdog = watchdog;
    }

    public string BinDirectory { get; }

    /// <summary>The server's temporary directory: data in <c>data/</c>, the Unix socket beside it.</summary>
    public string Directory { get; }

    public int Port { get; }

    private bool AsServiceUser { get; }

    private string DataDirectory => Path.Combine(Directory, "data");

    /// <summary>The PostgreSQL binaries, or null when none are installed.</summary>
    public static string? FindBinaries()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("SXL_PG_BIN");
        if (!string.IsNullOrEmpty(fromEnvironment) && File.Exists(Path.Combine(fromEnvironment, "initdb")))
        {
            return fromEnvironment;
        }

        const string root = "/usr/lib/postgresql";
        if (!System.IO.Directory.Exists(root))
        {
            return null;
        }

        return System.IO.Directory.GetDirectories(root)
            .Select(d => Path.Combine(d, "bin"))
            .Where(d => File.Exists(Path.Combine(d, "initdb")))
            .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
            .FirstOrDefault();
    }

    /// <summary>Initialises and starts a server; returns once it accepts connections.</summary>
    public static async Task<PostgresServer> StartAsync(TimeSpan? timeout = null)
    {
        var bin = FindBinaries() ?? throw new InvalidOperationException("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb; set SXL_PG_BIN)");
        var asServiceUser = Environment.UserName == "root";
        var directory = Path.Combine(Path.GetTempPath(), "sxl-pg-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)));
        System.IO.Directory.CreateDirectory(directory);
        try
        {
            if (asServiceUser)
            {
                // initdb refuses to run as root: the directory belongs to the postgres user.
                await RunAsync("chown", [ServiceUser, directory], asServiceUser: false);
            }

            await RunAsync(Path.Combine(bin, "initdb"), ["-D", Path.Combine(directory, "data"), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C"], asServiceUser);

            // A port picked free can be taken before the server binds it: then try another.
            for (var attempt = 1; ; attempt++)
            {
                var port = FreePort.Next();
                var options = string.Join(' ', [
                    "-k", directory, "-p", port.ToString(CultureInfo.InvariantCulture), "-c", "listen_addresses=''",
                    "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=200"]);
                try
                {
                    await RunAsync(Path.Combine(bin, "pg_ctl"), ["-D", Path.Combine(directory, "data"), "-o", options, "-l", Path.Combine(directory, "server.log"), "-w", "-t", ((int)(timeout ?? TimeSpan.FromSeconds(60)).TotalSeconds).ToString(CultureInfo.InvariantCulture), "start"], asServiceUser);
                }
                catch (InvalidOperationException) when (attempt < 3)
                {
                    continue;
                }

                var server = new PostgresServer(bin, directory, port, asServiceUser, StartWatchdog(bin, directory, asServiceUser));
                Running[server] = true;
                await server.WaitReadyAsync(timeout ?? TimeSpan.FromSeconds(60));
                return server;
            }
        }
        catch
        {
            TryDeleteDirectory(directory);
            throw;
        }
    }

    /// <summary>An Npgsql connection string for a database on this server (over its Unix socket).</summary>
    public string ConnectionString(string database) =>
        $"Host={Directory};Port={Port};Username=postgres;Database={database};Pooling=true;Maximum Pool Size=50;Timeout=30;Command Timeout=60";

    /// <summary>Creates a database with a fresh name and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix = "sxl")
    {
        var name = $"{prefix}_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}";
        await RunAsync(Path.Combine(BinDirectory, "createdb"), ["-h", Directory, "-p", Port.ToString(CultureInfo.InvariantCulture), "-U", "postgres", name], asServiceUser: false);
        return ConnectionString(name);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await Task.Run(StopNow);
    }

    private void StopNow()
    {
        if (!Running.TryRemove(this, out _))
        {
            return;
        }

        try
        {
            RunAsync(Path.Combine(BinDirectory, "pg_ctl"), ["-D", DataDirectory, "-m", "immediate", "-w", "stop"], AsServiceUser).GetAwaiter().GetResult();
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }

        try
        {
            // The watchdog has nothing left to do once the server is gone.
            _watchdog.StandardInput.Close();
            if (!_watchdog.WaitForExit(5000))
            {
                _watchdog.Kill(entireProcessTree: true);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or IOException)
        {
        }

        _watchdog.Dispose();
        TryDeleteDirectory(Directory);
    }

    private async Task WaitReadyAsync(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await RunAsync(Path.Combine(BinDirectory, "pg_isready"), ["-h", Directory, "-p", Port.ToString(CultureInfo.InvariantCulture), "-U", "postgres"], asServiceUser: false);
                return;
            }
            catch (InvalidOperationException) when (deadline.Elapsed < timeout)
            {
                // Not accepting connections yet (pg_ctl -w normally covers this): a bounded poll.
                await Task.Delay(50);
            }
        }
    }

    /// <summary>
    /// A shell that holds the read end of a pipe from this process and stops the server when it reaches end of
    /// file — when this process disposes the server, exits, or is killed.
    /// </summary>
    private static Process StartWatchdog(string bin, string directory, bool asServiceUser)
    {
        var stop = asServiceUser
            ? $"runuser -u {ServiceUser} -- \"$1/pg_ctl\" -D \"$2/data\" -m immediate stop >/dev/null 2>&1"
            : "\"$1/pg_ctl\" -D \"$2/data\" -m immediate stop >/dev/null 2>&1";
        var info = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = false,
            RedirectStandardError = false,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "-c", $"read -r _; {stop}; rm -rf \"$2\"", "sxl-pg-watchdog", bin, directory })
        {
            info.ArgumentList.Add(a);
        }

        return Process.Start(info) ?? throw new InvalidOperationException("cannot start the PostgreSQL watchdog");
    }

    private static async Task RunAsync(string fileName, IEnumerable<string> arguments, bool asServiceUser)
    {
        var info = new ProcessStartInfo(asServiceUser ? "runuser" : fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (asServiceUser)
        {
            foreach (var a in new[] { "-u", ServiceUser, "--", fileName })
            {
                info.ArgumentList.Add(a);
            }
        }

        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {fileName}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(fileName)} exited with {process.ExitCode}: {await stderr}{await stdout}");
        }
    }

    private static void TryDeleteDirectory(string directory)
    {
        try
        {
            System.IO.Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
