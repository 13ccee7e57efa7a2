using Grpc.Health.V1;
using System.Net;
using Grpc.Net.Client;
using SimpleXLedger.Net;
using SimpleXLedger.Net.Tls;

namespace SimpleXLedger.Testing.Observability;

/// <summary>What an operator's Prometheus and health prober do: scrape <c>/metrics</c>, ask <c>grpc.health.v1</c>.</summary>
public static class Scrape
{
    public static async Task<PrometheusText> MetricsAsync(Uri metricsListener)
    {
        using var http = new HttpClient();
        var response = await http.GetAsync(new Uri(metricsListener, "/metrics"));
        response.EnsureSuccessStatusCode();
        if (response.Content.Headers.ContentType?.MediaType != "text/plain")
        {
            throw new InvalidOperationException($"/metrics answered {response.Content.Headers.ContentType}, not the text format");
        }

        return PrometheusText.Parse(await response.Content.ReadAsStringAsync());
    }

    /// <summary>Throws when a label value of the scrape is (or contains) one of <paramref name="secrets"/>.</summary>
    public static void AssertNoLabelCarries(PrometheusText scrape, IEnumerable<string> secrets)
    {
        ArgumentNullException.ThrowIfNull(scrape);
        foreach (var secret in secrets.Where(s => s.Length >= 8))
        {
            foreach (var sample in scrape.Samples)
            {
                if (sample.Labels.Values.Any(v => v.Contains(secret, StringComparison.OrdinalIgnoreCase)))
                {
                    throw new InvalidOperationException($"a label of {sample.Name} carries a secret");
                }
            }
        }
    }

    /// <summary>The standard gRPC health check of the whole server ("" service) over <paramref name="channel"/>.</summary>
    public static async Task<HealthCheckResponse.Types.ServingStatus> HealthAsync(GrpcChannel channel)
    {
        var client = new Health.HealthClient(channel);
        var reply = await client.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(30));
        return reply.Status;
    }

    /// <summary>The health check over TLS to a pinned service (relay, clearing house).</summary>
    public static async Task<HealthCheckResponse.Types.ServingStatus> HealthAsync(PinnedAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        using var channel = GrpcChannel.ForAddress(address.HttpsUri, new GrpcChannelOptions { HttpHandler = Pinned(address), DisposeHttpClient = true });
        return await HealthAsync(channel);
    }

    /// <summary>What a plain HTTP/2 GET of <c>/metrics</c> gets on a pinned service's own (gRPC) port.</summary>
    public static async Task<HttpStatusCode> MetricsOnServicePortAsync(PinnedAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        using var http = new HttpClient(Pinned(address)) { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        using var response = await http.GetAsync(new Uri(address.HttpsUri, "/metrics"));
        return response.StatusCode;
    }

    private static SocketsHttpHandler Pinned(PinnedAddress address) =>
        new() { SslOptions = new PinnedCertificateValidator(address.Fingerprint).ClientOptions(address.Host) };
}
