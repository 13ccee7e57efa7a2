using System.Net;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using SimpleXLedger.Net;
using SimpleXLedger.Net.Tls;

namespace SimpleXLedger.Operator.Dashboard;

/// <summary>Asks a pinned service's standard gRPC health check (<c>grpc.health.v1</c>, the whole server) over TLS.</summary>
public static class HealthProbe
{
    public static async Task<ServiceHealth> CheckAsync(string name, PinnedAddress address, TimeSpan timeout, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(address);
        var pin = new PinnedCertificateValidator(address.Fingerprint);
        var handler = new SocketsHttpHandler { SslOptions = pin.ClientOptions(address.Host), ConnectTimeout = timeout };
        using var channel = GrpcChannel.ForAddress(address.HttpsUri, new GrpcChannelOptions { HttpHandler = handler, HttpVersion = HttpVersion.Version20, DisposeHttpClient = true });
        try
        {
            var reply = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.Add(timeout), cancellationToken: ct);
            return new ServiceHealth(name, reply.Status == HealthCheckResponse.Types.ServingStatus.Serving, reply.Status.ToString());
        }
        catch (RpcException e)
        {
            return new ServiceHealth(name, false, $"unreachable ({e.StatusCode})");
        }
    }
}
