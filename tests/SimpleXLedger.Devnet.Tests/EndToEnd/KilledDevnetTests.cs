using System.Diagnostics;
using SimpleXLedger.Devnet.Tests.Support;
using SimpleXLedger.Testing;

namespace SimpleXLedger.Devnet.Tests.EndToEnd;

/// <summary>The devnet killed outright (SIGKILL: no cleanup of its own) takes every child with it: no orphan keeps a port or a file.</summary>
[Collection(DevnetProcessesCollection.Name)]
public sealed class KilledDevnetTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "sxl-devnet-killed-" + Guid.NewGuid().ToString("N")[..8]);

    [Fact]
    public async Task Killing_the_devnet_with_sigkill_stops_every_service_anvil_and_coturn()
    {
        await using var devnet = ChildProcess.Start("dotnet", [RepositoryPaths.SxlDll, "devnet", "--data", _data]);
        await devnet.WaitForLineAsync(l => l.Contains("Ctrl+C stops every process", StringComparison.Ordinal), TimeSpan.FromMinutes(3));
        var rpc = devnet.StandardOutput.Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).First(p => p.Length > 0 && p.Any(w => w.StartsWith("http://127.0.0.1:", StringComparison.Ordinal)) && p.Contains("(Anvil)", StringComparer.Ordinal))
            .First(w => w.StartsWith("http://127.0.0.1:", StringComparison.Ordinal));
        var anvilPort = new Uri(rpc).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var services = ProcessTable.Matching(_data).Where(p => p.CommandLine.Contains(" serve ", StringComparison.Ordinal)).ToList();
        var anvil = ProcessTable.Matching($"--port {anvilPort}").Where(p => p.CommandLine.Contains("anvil", StringComparison.Ordinal)).ToList();
        Assert.True(services.Count >= 4, $"expected each of the 4 services (under its watchdog) running:\n{string.Join('\n', services)}");
        Assert.NotEmpty(anvil);
        // coturn (when installed) and its credential service are children like the rest; the guide names both.
        var coturn = ProcessTable.Matching(_data).Where(p => p.CommandLine.Contains("turnserver", StringComparison.Ordinal)).ToList();
        if (DevnetCoturnInstalled())
        {
            Assert.NotEmpty(coturn);
            Assert.Contains(services, p => p.CommandLine.Contains(" turn serve ", StringComparison.Ordinal));
            Assert.Contains(devnet.StandardOutput, l => l.Contains("coturn (TURN)", StringComparison.Ordinal));
        }
        else
        {
            Assert.Contains(devnet.StandardOutput, l => l.Contains("apt-get install coturn", StringComparison.Ordinal));
        }

        // SIGKILL the devnet alone, not its process tree: the children must go by themselves.
        using (var process = Process.GetProcessById(devnet.Id))
        {
            process.Kill(entireProcessTree: false);
        }

        var left = await ProcessTable.WaitAllGoneAsync(services.Concat(anvil).Concat(coturn).Select(p => p.Pid), TimeSpan.FromSeconds(30));
        Assert.True(left.Count == 0, $"still running after the devnet died: {string.Join(", ", left)}");
    }

    private static bool DevnetCoturnInstalled() =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').Any(d => File.Exists(Path.Combine(d, "turnserver")));

    public void Dispose()
    {
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }
}
