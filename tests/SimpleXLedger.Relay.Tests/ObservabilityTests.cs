using System.Net;
using Grpc.Health.V1;
using SimpleXLedger.Hosting.Startup;
using SimpleXLedger.Relay.Client;
using SimpleXLedger.Relay.Tests.Support;
using SimpleXLedger.Testing;
using SimpleXLedger.Testing.Observability;

namespace SimpleXLedger.Relay.Tests;

/// <summary>The relay's Prometheus metrics on their own listener, and the standard gRPC health check.</summary>
public sealed class ObservabilityTests
{
    [Fact]
    public async Task Metrics_move_with_the_work_on_their_own_listener_and_name_no_queue()
    {
        using var dir = new TempDirectory();
        var metrics = new IPEndPoint(IPAddress.Loopback, FreePort.Next());
        var options = Relays.Options(dir.Path) with { Observability = new ServiceObservability { Metrics = metrics } };
        await using var relay = await Relays.StartAsync(options);
        Assert.Equal(new Uri($"http://{metrics}"), relay.MetricsUrl);

        var before = await Scrape.MetricsAsync(relay.MetricsUrl!);
        Assert.Equal(0, before.Sum("sxl_relay_queues"));
        Assert.Equal("gauge", before.Types["sxl_relay_queues"]);

        await using var client = await RelayClient.ConnectAsync(relay.Address);
        using var recipientKey = RelayProtocol.NewKey();
        using var senderKey = RelayProtocol.NewKey();
        var q = await client.CreateQueueAsync(recipientKey);
        await client.SecureAsync(q.RecipientId.Memory, recipientKey, senderKey.PublicKey);
        await client.SendAsync(q.SenderId.Memory, senderKey, "hello"u8.ToArray());

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await Scrape.HealthAsync(relay.Address));

        var after = await Scrape.MetricsAsync(relay.MetricsUrl!);
        Assert.Equal(1, after.Sum("sxl_relay_queues"));
        const string check = "/grpc.health.v1.Health/Check";
        Assert.Equal(1, after.Sum("sxl_grpc_requests_total", ("method", check), ("code", "OK")));
        Assert.Equal(1, after.Sum("sxl_grpc_request_duration_seconds_count", ("method", check)));
        Assert.Equal("histogram", after.Types["sxl_grpc_request_duration_seconds"]);
        Assert.All(after.Samples, s => Assert.True(s.Name.StartsWith("sxl_", StringComparison.Ordinal) || s.Name.StartsWith("dotnet_", StringComparison.Ordinal) || s.Name.StartsWith("process_", StringComparison.Ordinal), s.Name));
        Scrape.AssertNoLabelCarries(after, [
            Convert.ToHexString(q.RecipientId.Span), Convert.ToHexString(q.SenderId.Span),
            Convert.ToBase64String(q.RecipientId.Span), Convert.ToBase64String(q.SenderId.Span), relay.Address.ToString(),
        ]);

        // The gRPC port serves no metrics.
        Assert.Equal(HttpStatusCode.NotFound, await Scrape.MetricsOnServicePortAsync(relay.Address));
    }

    [Fact]
    public async Task Without_metrics_there_is_no_listener_but_health_is_served()
    {
        using var dir = new TempDirectory();
        await using var relay = await Relays.StartAsync(Relays.Options(dir.Path));
        Assert.Null(relay.MetricsUrl);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await Scrape.HealthAsync(relay.Address));
    }
}
