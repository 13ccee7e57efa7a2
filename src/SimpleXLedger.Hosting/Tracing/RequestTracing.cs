using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace SimpleXLedger.Hosting.Tracing;

/// <summary>
/// The request trace every service can keep (off unless asked for): one line per request it received — time, call,
/// message and byte counts, duration, status — in <c>&lt;data&gt;/trace/requests.tsv</c>. It is what any operator could
/// record at its front door, so the privacy audit hands it to its adversary. Switched on by the environment variable
/// <c>SXL_REQUEST_TRACE=1</c> (the devnet's audit sets it) or by the host's caller.
/// </summary>
public static class RequestTracing
{
    public const string EnvironmentVariable = "SXL_REQUEST_TRACE";

    /// <summary>True when <c>SXL_REQUEST_TRACE</c> is <c>1</c>, <c>true</c> or <c>on</c>.</summary>
    public static bool EnabledByEnvironment =>
        Environment.GetEnvironmentVariable(EnvironmentVariable)?.Trim().ToLowerInvariant() is "1" or "true" or "on";

    /// <summary>Where a service with this data directory keeps its trace.</summary>
    public static string PathIn(string dataDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dataDirectory);
        return Path.Combine(dataDirectory, "trace", "requests.tsv");
    }

    /// <summary>
    /// Registers the trace writer and the gRPC interceptor when tracing is on (<paramref name="enabled"/>, or else the
    /// environment); does nothing otherwise. Pair with <see cref="UseRequestTrace"/>.
    /// </summary>
    public static IServiceCollection AddRequestTrace(this IServiceCollection services, string dataDirectory, bool? enabled = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (!(enabled ?? EnabledByEnvironment))
        {
            return services;
        }

        // From a factory, so the container owns it: stopping the host flushes and closes the file.
        var path = PathIn(dataDirectory);
        services.AddSingleton(_ => new RequestTraceWriter(path));
        services.AddSingleton<RequestTraceInterceptor>();
        services.Configure<GrpcServiceOptions>(o => o.Interceptors.Add<RequestTraceInterceptor>());
        return services;
    }

    /// <summary>Adds the HTTP middleware when <see cref="AddRequestTrace"/> switched tracing on.</summary>
    public static IApplicationBuilder UseRequestTrace(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.ApplicationServices.GetService<RequestTraceWriter>() is null ? app : app.UseMiddleware<RequestTraceMiddleware>();
    }
}
