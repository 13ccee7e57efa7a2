using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Prometheus;

namespace SimpleXLedger.Hosting.Startup;

/// <summary>
/// <c>/metrics</c> alone on a plain HTTP/1.1 listener, for a process that serves nothing else (the operator's watcher):
/// what <see cref="ServiceHost.AddObservability"/> gives a gRPC service, without the service.
/// </summary>
public sealed class MetricsListener : IAsyncDisposable
{
    private readonly WebApplication _app;

    private MetricsListener(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    /// <summary>The listener as bound, <c>http://ip:port</c>.</summary>
    public Uri Url { get; }

    public static async Task<MetricsListener> StartAsync(ServiceMetrics metrics, IPEndPoint listen, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(listen);
        var builder = ServiceHost.CreateBuilder();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(listen, l => l.Protocols = HttpProtocols.Http1));
        var app = builder.Build();
        app.UseMetricServer("/metrics", metrics.Registry);
        await app.StartAsync(ct);
        var bound = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return new MetricsListener(app, bound);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
