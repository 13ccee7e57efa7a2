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
    public async Task An_issuer_on_the_any_address_prints_its_public_host_in_both_urls()
    {
        using var data = new TempDirectory();
        var (http, grpc) = (FreePort.Next(), FreePort.Next());
        await using var issuer = SxlProcess.Start([
            "issuer", "serve", "--data", data.Path, "--name", "issuer.example.org", "--http", $"0.0.0.0:{http}", "--grpc", $"0.0.0.0:{grpc}",
            "--public-host", "issuer.example.org",
        ]);
        var line = await issuer.WaitForLineAsync(l => l.StartsWith("issuer ready", StringComparison.Ordinal), StartTimeout);
        Assert.Contains($" http=https://issuer.example.org:{http} ", line, StringComparison.Ordinal);
        Assert.Contains($" grpc=https://issuer.example.org:{grpc} ", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_relay_limits_and_retiring_switch_reach_the_relay()
    {
        using var data = new TempDirectory();
        await using var relay = SxlProcess.Start(["relay", "serve", "--listen", "127.0.0.1:0", "--data", data.Path, "--queue-quota", "7", "--max-message-bytes", "1000", "--message-ttl", "2d", "--no-new-queues"]);
        var line = await relay.WaitForLineAsync(l => l.StartsWith("sxl://", StringComparison.Ordinal), StartTimeout);
        Assert.True(PinnedAddress.TryParse(line, out var address, out _), line);
        await using var client = await SimpleXLedger.Relay.Client.RelayClient.ConnectAsync(address!);
        Assert.Equal(7u, client.Limits.QueueQuota);
        Assert.Equal(1000u, client.Limits.MaxMessageBytes);
        Assert.Equal((ulong)TimeSpan.FromDays(2).TotalSeconds, client.Limits.MessageTtlSeconds);
        using var key = SimpleXLedger.Relay.Client.RelayProtocol.NewKey();
        var refused = await Assert.ThrowsAsync<SimpleXLedger.Relay.Client.RelayException>(() => client.CreateQueueAsync(key));
        Assert.Equal(SimpleXLedger.Protos.Relay.ErrorCode.NoNewQueues, refused.Code);
    }

    [Theory]
    [InlineData("--queue-quota", "0")]
    [InlineData("--max-message-bytes", "0")]
    [InlineData("--message-ttl", "soon")]
    public async Task A_bad_relay_limit_is_a_usage_error(string option, string value)
    {
        using var data = new TempDirectory();
        var result = await SxlProcess.RunAsync("relay", "serve", "--data", data.Path, option, value);
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
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
