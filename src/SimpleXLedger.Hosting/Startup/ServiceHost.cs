using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Prometheus;
using Microsoft.Extensions.Logging;
using SimpleXLedger.Hosting.BadInput;
using SimpleXLedger.Hosting.Tracing;
using SimpleXLedger.Net;

namespace SimpleXLedger.Hosting.Startup;

/// <summary>
/// Start-up every service shares (eShop's ServiceDefaults): a slim host that reads and watches no configuration
/// files, logs only where the service says, serves gRPC without detailed errors behind the bad-input guard and
/// the request trace, hides its server header, and reports the address it bound.
/// </summary>
public static class ServiceHost
{
    private const string MetricsConnection = "sxl.metrics-connection";

    /// <summary>
    /// A slim builder with no logging providers. No configuration files are read, so none is watched: by default the
    /// host watches its content root (the working directory), and every SQLite write below it would wake the watcher.
    /// </summary>
    public static WebApplicationBuilder CreateBuilder(Action<ILoggingBuilder>? logging = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
        });
        builder.Logging.ClearProviders();
        logging?.Invoke(builder.Logging);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
        return builder;
    }

    /// <summary>gRPC (bodies up to <paramref name="maxReceiveMessageSize"/>, no detailed errors), the request trace kept in <paramref name="dataDirectory"/>, the bad-input guard.</summary>
    public static IServiceCollection AddServiceDefaults(this IServiceCollection services, string dataDirectory, int maxReceiveMessageSize)
    {
        services.TryAddSingleton<ServiceMetrics>();
        services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = maxReceiveMessageSize;
            o.EnableDetailedErrors = false;
            o.Interceptors.Add<GrpcMetricsInterceptor>();
        });
        // The standard grpc.health.v1 service: SERVING once the host serves (a check that the process answers).
        services.AddGrpcHealthChecks(o => o.UseHealthChecksCache = false)
            .AddCheck("serving", () => HealthCheckResult.Healthy());
        services.AddGrpcReflection();
        services.AddRequestTrace(dataDirectory);
        services.AddGrpcRequestGuard();
        return services;
    }

    /// <summary>
    /// The metrics listener (plain HTTP/1.1; only <c>/metrics</c> is served there, and only there) and reflection, as
    /// <paramref name="observability"/> says. Call after the service's own listeners are configured: the service's
    /// address is the first one bound.
    /// </summary>
    public static WebApplicationBuilder AddObservability(this WebApplicationBuilder builder, ServiceObservability observability)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(observability);
        builder.Services.AddSingleton(observability);
        if (observability.Metrics is { } metrics)
        {
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(metrics, listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                listen.Use(next => connection =>
                {
                    connection.Items[MetricsConnection] = true;
                    return next(connection);
                });
            }));
        }

        return builder;
    }

    /// <summary>
    /// The middleware of <see cref="AddServiceDefaults"/>, outermost first: the metrics listener's own branch, the
    /// request trace, then the guard; and the gRPC health service (and reflection when asked for).
    /// </summary>
    public static WebApplication UseServiceDefaults(this WebApplication app, Action<WebApplication>? between = null)
    {
        ArgumentNullException.ThrowIfNull(app);
        var observability = app.Services.GetService<ServiceObservability>() ?? ServiceObservability.None;
        if (observability.Metrics is not null)
        {
            var registry = app.Services.GetRequiredService<ServiceMetrics>().Registry;
            app.MapWhen(IsMetricsConnection, metrics => metrics.UseMetricServer("/metrics", registry));
        }

        app.MapGrpcHealthChecksService();
        if (observability.GrpcReflection)
        {
            app.MapGrpcReflectionService();
        }

        app.UseRequestTrace();
        between?.Invoke(app);
        app.UseGrpcRequestGuard();
        return app;
    }

    /// <summary>
    /// The pinned address of a started service: its certificate, the host it is known by (<paramref name="publicHost"/>,
    /// else the listen address, with 127.0.0.1 for the any-address) and the port it actually bound.
    /// </summary>
    public static PinnedAddress BoundAddress(WebApplication app, IPEndPoint listen, string? publicHost, byte[] fingerprint)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(listen);
        var port = BoundPort(app);
        var host = publicHost ?? (listen.Address.Equals(IPAddress.Any) ? "127.0.0.1" : listen.Address.ToString());
        return new PinnedAddress(fingerprint, host, port);
    }

    /// <summary>The port the service's own (first) listener bound.</summary>
    public static int BoundPort(WebApplication app) => new Uri(BoundAddresses(app)[0]).Port;

    /// <summary>The metrics listener's URL as bound (<c>http://ip:port</c>), or null without one.</summary>
    public static Uri? MetricsUrl(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var addresses = BoundAddresses(app);
        return app.Services.GetService<ServiceObservability>()?.Metrics is not null ? new Uri(addresses[^1]) : null;
    }

    private static List<string> BoundAddresses(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return [.. app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses];
    }

    private static bool IsMetricsConnection(HttpContext context) =>
        context.Features.Get<IConnectionItemsFeature>()?.Items.ContainsKey(MetricsConnection) == true;
}
