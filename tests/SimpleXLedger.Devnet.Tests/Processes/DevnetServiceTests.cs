using SimpleXLedger.Devnet.Network;
using SimpleXLedger.Devnet.Processes;

namespace SimpleXLedger.Devnet.Tests.Processes;

/// <summary>Kill and restart, as fault scenarios use them, with a stand-in program that reports its command line and environment.</summary>
public sealed class DevnetServiceTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly string _logs = Directory.CreateTempSubdirectory("sxl-service-").FullName;

    [Fact]
    public async Task A_killed_service_restarts_with_its_pinned_port_and_the_environment_of_that_run()
    {
        // "sxl" here prints its arguments and SXL_CRASH_AT, then serves (sleeps) until stopped.
        var program = new SxlProgram("/bin/sh", ["-c", "echo \"ready $* crash=${SXL_CRASH_AT:-none}\"; exec sleep 600", "sxl"]);
        var service = new DevnetService(new SxlRunner(program, _logs), "relay-a", ["relay", "serve", "--listen", "127.0.0.1:0"], l => l.StartsWith("ready", StringComparison.Ordinal));

        var first = await service.StartAsync(Timeout, null, CancellationToken.None);
        service.Pin("--listen", "127.0.0.1:5555");
        await service.KillAsync();
        var killed = service.Process;
        var second = await service.RestartAsync(Timeout, new Dictionary<string, string?> { ["SXL_CRASH_AT"] = "relay.send.after-commit" }, CancellationToken.None);

        Assert.Equal("ready relay serve --listen 127.0.0.1:0 crash=none", first);
        Assert.True(killed.HasExited);
        Assert.NotSame(killed, service.Process);
        Assert.Equal("ready relay serve --listen 127.0.0.1:5555 crash=relay.send.after-commit", second);
        Assert.Equal(2, service.Starts);
        Assert.Equal(2, File.ReadAllLines(service.LogPath).Count(l => l.StartsWith("ready", StringComparison.Ordinal)));
        await service.StopAsync(Timeout);
        Assert.True(service.Process.HasExited);
        await service.Process.DisposeAsync();
    }

    [Fact]
    public async Task Starting_a_running_service_again_is_refused()
    {
        var program = new SxlProgram("/bin/sh", ["-c", "echo ready; exec sleep 600", "sxl"]);
        var service = new DevnetService(new SxlRunner(program, _logs), "issuer", ["issuer", "serve"], l => l == "ready");
        await service.StartAsync(Timeout, null, CancellationToken.None);

        await Assert.ThrowsAsync<InvalidOperationException>(() => service.StartAsync(Timeout, null, CancellationToken.None));

        await service.Process.DisposeAsync();
    }

    public void Dispose() => Directory.Delete(_logs, recursive: true);
}
