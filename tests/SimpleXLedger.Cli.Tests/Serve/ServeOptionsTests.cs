using System.Net;
using Grpc.Health.V1;
using SimpleXLedger.Chain.Devnet;
using SimpleXLedger.Net;
using SimpleXLedger.Testing;
using SimpleXLedger.Testing.Chain;
using SimpleXLedger.Testing.Observability;

namespace SimpleXLedger.Cli.Tests.Serve;

/// <summary>The options every <c>serve</c> shares, through the real program: <c>--public-host</c>, <c>--metrics</c>, health.</summary>
public sealed class ServeOptionsTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task A_relay_on_the_any_address_prints_its_public_host_and_serves_metrics_and_health()
    {
        using var data = new TempDirectory();
        var metrics = new IPEndPoint(IPAddress.Loopback, FreePort.Next());
        await using var relay = SxlProcess.Start(["relay", "serve", "--listen", "0.0.0.0:0", "--public-host", "relay.example.org", "--data", data.Path, "--metrics", metrics.ToString()]);
        var line = await relay.WaitForLineAsync(l => l.StartsWith("sxl://", StringComparison.Ordinal), StartTimeout);
        Assert.True(PinnedAddress.TryParse(line, out var address, out _), line);
        Assert.Equal("relay.example.org", address!.Host);

        var local = address with { Host = "127.0.0.1" };
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await Scrape.HealthAsync(local));
        var scrape = await Scrape.MetricsAsync(new Uri($"http://{metrics}"));
        Assert.True(scrape.Contains("sxl_relay_queues"));
    }

    [Fact]
    public async Task A_clearing_house_on_the_any_address_prints_its_public_host()
    {
        using var data = new TempDirectory();
        var keys = data.File("keys.json");
        await File.WriteAllTextAsync(keys, "{\"keys\":[]}");
        var key = DevKeyFile.Write(data.File("clearing.key"), DevAccounts.ClearingHouse);
        await using var clearing = SxlProcess.Start([
            "clearing", "serve", "--grpc", "0.0.0.0:0", "--public-host", "clearing.example.org", "--data", data.Path,
            "--ledger", "0x5FbDB2315678afecb367f032d93F642f64180aa3", "--key", key, "--devnet", "--keys", keys,
        ]);
        var line = await clearing.WaitForLineAsync(l => l.StartsWith("sxl://", StringComparison.Ordinal), StartTimeout);
        Assert.True(PinnedAddress.TryParse(line, out var address, out _), line);
        Assert.Equal("clearing.example.org", address!.Host);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await Scrape.HealthAsync(address with { Host = "127.0.0.1" }));
    }

    [Fact]
    public async Task A_bad_metrics_endpoint_is_a_usage_error()
    {
        using var data = new TempDirectory();
        var result = await SxlProcess.RunAsync("relay", "serve", "--data", data.Path, "--metrics", "not-an-endpoint");
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("--metrics must be ip:port", result.Stderr, StringComparison.Ordinal);
    }
}
