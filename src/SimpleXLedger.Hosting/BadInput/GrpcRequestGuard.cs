using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace SimpleXLedger.Hosting.BadInput;

/// <summary>
/// Typed answers to malformed gRPC requests. Left to itself, grpc-dotnet answers a body it cannot read with
/// Internal ("Incomplete message.", a compressed flag without an encoding, a content type it does not serve) or
/// Unknown (a message protobuf cannot parse, an undefined flag): statuses that say "the server failed" when the
/// client did. Every service registers both halves: <see cref="AddGrpcRequestGuard"/> (the interceptor that reads
/// client streams) and <see cref="UseGrpcRequestGuard"/> (the middleware that checks single-message requests before
/// gRPC reads them). Either way the client gets INVALID_ARGUMENT (RESOURCE_EXHAUSTED when too large, UNIMPLEMENTED
/// for an encoding not served) with a message that names the problem and never the content.
/// </summary>
public static class GrpcRequestGuard
{
    /// <summary>The <c>sxl-error</c> reason every refusal of the guard carries.</summary>
    public const string Reason = "MalformedRequest";

    public static IServiceCollection AddGrpcRequestGuard(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton<GrpcStreamGuardInterceptor>();
        services.Configure<GrpcServiceOptions>(o => o.Interceptors.Add<GrpcStreamGuardInterceptor>());
        return services;
    }

    /// <summary>Adds the middleware; after routing (it needs the matched gRPC method), before the endpoints.</summary>
    public static IApplicationBuilder UseGrpcRequestGuard(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.UseMiddleware<GrpcRequestGuardMiddleware>();
    }
}
