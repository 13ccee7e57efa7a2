using System.Net;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Nethereum.JsonRpc.Client;
using SimpleXLedger.Chain.Contracts;
using SimpleXLedger.Hosting.Startup;

namespace SimpleXLedger.Operator.Dashboard;

/// <summary>
/// The operator dashboard served over plain HTTP/1.1 (keep it on loopback, or behind a proxy that authenticates):
/// <c>/</c> is the page, read fresh from the chain, receipts and services at each request. Nothing else is served.
/// </summary>
public sealed class DashboardServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private DashboardServer(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    /// <summary>The page's URL as bound (<c>http://ip:port/</c>).</summary>
    public Uri Url { get; }

    public static async Task<DashboardServer> StartAsync(DashboardReader reader, IPEndPoint listen, ILogger logger, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(listen);
        var builder = ServiceHost.CreateBuilder();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(listen, l => l.Protocols = HttpProtocols.Http1));
        var app = builder.Build();
        app.MapGet("/", async (HttpContext context) =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = DashboardPage.ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers.CacheControl = "no-store";
            string html;
            try
            {
                html = DashboardPage.Render(await reader.ReadAsync(context.RequestAborted), reader.Settings);
            }
            catch (Exception e) when (e is HttpRequestException or RpcClientUnknownException or RpcResponseException or RpcClientTimeoutException or LedgerRevertException or IOException or RpcException)
            {
                logger.LogWarning("the dashboard cannot be read: {Error}: {Message}", e.GetType().Name, e.Message);
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                html = DashboardPage.RenderUnavailable($"the chain or the receipts cannot be read ({e.GetType().Name})");
            }

            context.Response.ContentType = "text/html; charset=utf-8";
            await context.Response.WriteAsync(html, context.RequestAborted);
        });
        await app.StartAsync(ct);
        var bound = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return new DashboardServer(app, new Uri(bound, "/"));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
