using System.Net;

namespace SimpleXLedger.Hosting.Startup;

/// <summary>
/// What a service exposes to its operator besides its own gRPC: Prometheus metrics on a listener of their own
/// (<see cref="Metrics"/>, off when null; loopback is the sensible choice), and gRPC reflection (off by default).
/// Standard gRPC health checks (<c>grpc.health.v1</c>) are always served beside the service's gRPC.
/// </summary>
public sealed record ServiceObservability
{
    public static readonly ServiceObservability None = new();

    /// <summary>Where <c>/metrics</c> is served (plain HTTP/1.1, nothing else on it); null: no metrics listener.</summary>
    public IPEndPoint? Metrics { get; init; }

    /// <summary>Serve gRPC server reflection (<c>grpc.reflection.v1alpha</c>), for grpcurl and the like.</summary>
    public bool GrpcReflection { get; init; }
}
