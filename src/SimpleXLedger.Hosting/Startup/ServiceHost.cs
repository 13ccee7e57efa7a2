using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
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
        services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = maxReceiveMessageSize;
            o.EnableDetailedErrors = false;
        });
        services.AddRequestTrace(dataDirectory);
        services.AddGrpcRequestGuard();
        return services;
    }

    /// <summary>The middleware of <see cref="AddServiceDefaults"/>, outermost first: the request trace, then the guard.</summary>
    public static WebApplication UseServiceDefaults(this WebApplication app, Action<WebApplication>? between = null)
    {
        ArgumentNullException.ThrowIfNull(app);
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
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var port = new Uri(bound).Port;
        var host = publicHost ?? (listen.Address.Equals(IPAddress.Any) ? "127.0.0.1" : listen.Address.ToString());
        return new PinnedAddress(fingerprint, host, port);
    }
}
