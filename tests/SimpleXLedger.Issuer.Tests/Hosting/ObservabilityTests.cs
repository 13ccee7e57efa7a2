using System.Net;
using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Health.V1;
using SimpleXLedger.Hosting.Startup;
using SimpleXLedger.Protos.Issuer;
using SimpleXLedger.Testing;
using SimpleXLedger.Testing.Hosts;
using SimpleXLedger.Testing.Observability;
using SimpleXLedger.Tokens;
using IssuerClient = SimpleXLedger.Protos.Issuer.Issuer.IssuerClient;

namespace SimpleXLedger.Issuer.Tests.Hosting;

/// <summary>The issuer's Prometheus metrics on their own listener, and the standard gRPC health check.</summary>
public sealed class ObservabilityTests
{
    [Fact]
    public async Task Redemptions_and_tokens_issued_are_counted_and_no_label_names_a_card()
    {
        var metrics = new IPEndPoint(IPAddress.Loopback, FreePort.Next());
        await using var server = await IssuerServer.StartAsync(observability: new ServiceObservability { Metrics = metrics });
        var url = server.MetricsUrl!;
        Assert.Equal(0, (await Scrape.MetricsAsync(url)).Sum("sxl_issuer_tokens_issued_total"));

        var code = (await server.CreateCardsAsync(100))[0];
        using var channel = server.Channel();
        var client = new IssuerClient(channel);
        var request = new RedeemRequest { CardCode = code.Reveal(), RequestId = ByteString.CopyFrom(RandomNumberGenerator.GetBytes(16)) };
        request.TokenRequests.AddRange(Enumerable.Range(0, 5).Select(_ => ByteString.CopyFrom(TokenClient.CreateRequest(server.Key, TokenChallenge.ForNetwork(IssuerServer.DefaultName)).Request.ToArray())));
        await client.RedeemAsync(request);
        await client.RedeemAsync(request); // a retry: replayed, no new tokens

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await Scrape.HealthAsync(channel));

        var after = await Scrape.MetricsAsync(url);
        Assert.Equal(5, after.Sum("sxl_issuer_tokens_issued_total"));
        Assert.Equal(1, after.Sum("sxl_issuer_redemptions_total", ("status", "Issued")));
        Assert.Equal(1, after.Sum("sxl_issuer_redemptions_total", ("status", "Replayed")));
        Assert.True(after.Samples.Any(s => s.Name == "sxl_grpc_requests_total" && s.Labels["method"].EndsWith("/Redeem", StringComparison.Ordinal) && s.Value == 2), "both Redeem calls are counted");
        Scrape.AssertNoLabelCarries(after, [code.Reveal(), code.ComputeHash().ToString()!, server.Key.KeyIdHex]);

        using var http = new HttpClient(server.PinnedHandler()) { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri(server.GrpcUrl, "/metrics"))).StatusCode);
    }
}
