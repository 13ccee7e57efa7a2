using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SimpleXLedger.Hosting.Startup;
using SimpleXLedger.Net;
using SimpleXLedger.Net.Tls;
using SimpleXLedger.Relay.Client;
using SimpleXLedger.Relay.Plugins;
using SimpleXLedger.Relay.Queues;
using SimpleXLedger.Relay.Storage;

namespace SimpleXLedger.Relay.Hosting;

/// <summary>
/// A running relay: the engine over its SQLite store, the metering plugin loaded from the plugins
/// directory, and Kestrel serving gRPC on HTTP/2 with TLS under the relay's own persisted certificate.
/// </summary>
public sealed class RelayServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _sweeper;

    private RelayServer(WebApplication app, RelayEngine engine, PinnedAddress address, SessionRegistry sessions, TimeProvider time, TimeSpan sweepInterval)
    {
        _app = app;
        Engine = engine;
        Address = address;
        Sessions = sessions;
        _sweeper = SweepLoopAsync(time, sweepInterval);
    }

    /// <summary>The relay's pinned address, <c>sxl://fingerprint@host:port</c>.</summary>
    public PinnedAddress Address { get; }

    internal RelayEngine Engine { get; }

    internal SessionRegistry Sessions { get; }

    public string MeteringId => Engine.Metering.Id;

    /// <summary>Where <c>/metrics</c> is served, or null without a metrics listener.</summary>
    public Uri? MetricsUrl => ServiceHost.MetricsUrl(_app);

    public long MeteringFailures => Engine.Metering.Failures;

    /// <summary>
    /// Starts a relay. Without <paramref name="loggers"/> it logs to standard error (standard output
    /// stays for the address line). <paramref name="configureServices"/> adds the host's services to the
    /// relay's container, where the metering plugin finds them through its context's <see cref="IServiceProvider"/>
    /// (an <c>ITokenRedeemer</c>, an <c>ITokenKeySource</c>); instances registered as such stay the caller's to dispose.
    /// </summary>
    public static async Task<RelayServer> StartAsync(RelayOptions options, Action<IServiceCollection>? configureServices = null, TimeProvider? time = null, ILoggerFactory? loggers = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        time ??= TimeProvider.System;
        loggers ??= LoggerFactory.Create(logging => logging
            .AddSimpleConsole(o => o.SingleLine = true)
            .AddFilter("Microsoft", LogLevel.Warning)
            .AddFilter("Grpc", LogLevel.Warning)
            .Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
        var plugin = PluginLoader.Load(options.PluginsDirectory, options.Metering);
        Directory.CreateDirectory(options.DataDirectory);
        var certificate = SelfSignedCertificate.LoadOrCreate(options.DataDirectory, "sxl-relay");
        var fingerprint = CertificateFingerprint.Sha256(certificate);
        var sessions = new SessionRegistry();
        var store = await RelayStore.OpenAsync(options, plugin.Id, loggers.CreateLogger("SimpleXLedger.Relay"));
        WebApplication? app = null;
        try
        {
            var builder = ServiceHost.CreateBuilder();
            builder.Services.AddSingleton(loggers);
            builder.Services.AddSingleton(sessions);
            builder.Services.AddSingleton(options);
            builder.Services.AddRelayEngine(store, plugin, time);
            configureServices?.Invoke(builder.Services);
            builder.WebHost.ConfigureKestrel(kestrel =>
            {
                kestrel.Limits.Http2.MaxStreamsPerConnection = 256;
                kestrel.Listen(options.Listen, listen =>
                {
                    listen.Protocols = HttpProtocols.Http2;
                    // Forget a connection's session nonce when the connection closes.
                    sessions.ForgetOnClose(listen);
                    listen.UseHttps(certificate);
                });
            });
            builder.AddObservability(options.Observability);
            // Room for the largest body plus a token and the envelope; beyond that gRPC refuses the frame itself.
            builder.Services.AddServiceDefaults(options.DataDirectory, options.MaxMessageBytes + (8 * 1024));
            app = builder.Build();

            // Registers the metering plugin now, before anything listens: a plugin that refuses to start stops the start.
            var engine = app.Services.GetRequiredService<RelayEngine>();
            RelayMetrics.Register(app.Services.GetRequiredService<ServiceMetrics>(), engine);
            return await FinishAsync(app, options, engine, sessions, fingerprint, time, cancellationToken);
        }
        catch
        {
            if (app is not null)
            {
                await app.DisposeAsync();
            }

            await store.DisposeAsync();
            throw;
        }
    }

    private static async Task<RelayServer> FinishAsync(WebApplication app, RelayOptions options, RelayEngine engine, SessionRegistry sessions, byte[] fingerprint, TimeProvider time, CancellationToken ct)
    {
        app.UseServiceDefaults();
        app.MapGrpcService<RelayGrpcService>();
        await app.StartAsync(ct);
        var address = ServiceHost.BoundAddress(app, options.Listen, options.PublicHost, fingerprint);
        return new RelayServer(app, engine, address, sessions, time, options.SweepInterval);
    }

    /// <summary>Expires messages and charges storage now (tests move a fake clock, then call this).</summary>
    public Task SweepAsync(CancellationToken cancellationToken = default) => Engine.SweepAsync(cancellationToken);

    private async Task SweepLoopAsync(TimeProvider time, TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                await Engine.SweepAsync(_stopping.Token);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _sweeper;
        using (var stopTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await _app.StopAsync(stopTimeout.Token);
        }

        // The container disposes the engine, then the plugin host, then the store.
        await _app.DisposeAsync();
        _stopping.Dispose();
    }
}
