using System.Net;
using Grpc.Health.V1;
using SimpleXLedger.Chain.Devnet;
using SimpleXLedger.Clearing.Tests.Support;
using SimpleXLedger.Hosting.Startup;
using SimpleXLedger.Relay.Metering.Tokens;
using SimpleXLedger.Testing;
using SimpleXLedger.Testing.Observability;

namespace SimpleXLedger.Clearing.Tests.Hosting;

/// <summary>The clearing house's Prometheus metrics on their own listener, and the standard gRPC health check.</summary>
public sealed class ObservabilityTests
{
    [Fact]
    public async Task Tokens_and_batches_are_counted_by_outcome_and_no_label_names_a_token_or_key()
    {
        var metrics = new IPEndPoint(IPAddress.Loopback, FreePort.Next());
        await using var host = await ServerHarness.StartAsync(observability: new ServiceObservability { Metrics = metrics });
        var url = host.Server.MetricsUrl!;
        var before = await Scrape.MetricsAsync(url);
        Assert.Equal(0, before.Sum("sxl_clearing_tokens_total"));

        using var key = await host.RegisterAsync(DevAccounts.OperatorA);
        var tokens = TokenPool.ASlice(40, 2);
        await using (var redeemer = host.Redeemer(key))
        {
            Assert.Equal([RedemptionOutcome.Accepted, RedemptionOutcome.AlreadySpent, RedemptionOutcome.Accepted], await redeemer.RedeemAsync([tokens[0], tokens[0], tokens[1]], CancellationToken.None));
        }

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await Scrape.HealthAsync(host.Address));

        var after = await Scrape.MetricsAsync(url);
        Assert.Equal("counter", after.Types["sxl_clearing_tokens_total"]);
        Assert.Equal(3, after.Sum("sxl_clearing_tokens_total"));
        Assert.True(after.Sum("sxl_clearing_tokens_total", ("outcome", "Accepted")) >= 2, "accepted tokens are counted under their outcome");
        Assert.True(after.Sum("sxl_clearing_batches_total", ("replayed", "false")) >= 1);
        Assert.Equal(1, after.Sum("sxl_grpc_requests_total", ("method", "/grpc.health.v1.Health/Check"), ("code", "OK")));
        Assert.True(after.Sum("sxl_grpc_requests_total", ("code", "OK")) > 2, "the registration and the batch calls are counted");
        Scrape.AssertNoLabelCarries(after, [
            .. tokens.Select(t => Convert.ToHexString(t)), .. tokens.Select(t => Convert.ToBase64String(t)),
            TestTokens.KeyA.PublicKey.KeyIdHex, TestTokens.KeyB.PublicKey.KeyIdHex, host.Address.ToString(),
        ]);
        Assert.Equal(HttpStatusCode.NotFound, await Scrape.MetricsOnServicePortAsync(host.Address));
    }
}
