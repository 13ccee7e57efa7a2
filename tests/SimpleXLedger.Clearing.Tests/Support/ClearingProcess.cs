using System.Globalization;
using SimpleXLedger.Chain.Devnet;
using SimpleXLedger.Clearing.Client;
using SimpleXLedger.Clearing.Registry;
using SimpleXLedger.Net;
using SimpleXLedger.Testing;
using SimpleXLedger.Testing.Chain;

namespace SimpleXLedger.Clearing.Tests.Support;

/// <summary>
/// <c>sxl clearing serve</c> as a real process (devnet: keys from a file, the system clock), on a fixed
/// loopback port and data directory so a restart keeps its address and database.
/// </summary>
public sealed class ClearingProcess : IAsyncDisposable
{
    private readonly List<string> _arguments;

    private ClearingProcess(string directory, int port, List<string> arguments)
    {
        Directory = directory;
        Port = port;
        _arguments = arguments;
    }

    public string Directory { get; }

    public int Port { get; }

    public string DataDirectory => Path.Combine(Directory, "data");

    public ChildProcess? Process { get; private set; }

    public PinnedAddress? Address { get; private set; }

    public static ClearingProcess Create(IEnumerable<RegisteredKey> keys, IEnumerable<string>? extra = null)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("sxl-clearing-proc-").FullName;
        var keysFile = Path.Combine(directory, "keys.json");
        StaticKeyRegistry.WriteFile(keysFile, keys);
        var keyFile = WriteKeyFile(Path.Combine(directory, "clearing.key"), DevAccounts.ClearingHouse);
        var port = FreePort.Next();
        var arguments = new List<string>
        {
            RepositoryPaths.SxlDll, "clearing", "serve",
            "--data", Path.Combine(directory, "data"),
            "--grpc", $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}",
            "--ledger", ClearingHarness.Ledger,
            "--key", keyFile,
            "--devnet", "--keys", keysFile,
            "--epoch-seconds", "3600",
            "--issuer-name", TestTokens.IssuerName,
        };
        arguments.AddRange(extra ?? []);
        return new ClearingProcess(directory, port, arguments);
    }

    /// <summary>An Ethereum key file (mode 0600) for a dev account.</summary>
    public static string WriteKeyFile(string path, DevAccount account) => DevKeyFile.Write(path, account);

    /// <summary>Starts the process (with <c>SXL_CRASH_AT</c> when given) and waits for its address line.</summary>
    public async Task<PinnedAddress> StartAsync(string? crashAt = null)
    {
        var environment = new Dictionary<string, string?> { ["SXL_CRASH_AT"] = crashAt };
        Process = ChildProcess.Start("dotnet", _arguments, environment);
        var line = await Process.WaitForLineAsync(l => l.StartsWith("sxl://", StringComparison.Ordinal), TimeSpan.FromSeconds(180));
        Address = PinnedAddress.Parse(line);
        return Address;
    }

    public async ValueTask DisposeAsync()
    {
        if (Process is not null)
        {
            await Process.DisposeAsync();
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
