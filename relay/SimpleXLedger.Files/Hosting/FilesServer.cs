using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SimpleXLedger.Files.Client;
using SimpleXLedger.Files.Engine;
using SimpleXLedger.Files.Storage;
using SimpleXLedger.Hosting.Startup;
using SimpleXLedger.Net;
using SimpleXLedger.Net.Tls;
using SimpleXLedger.Relay.Hosting;
using SimpleXLedger.Relay.Metering;
using SimpleXLedger.Relay.Metering.Tokens;
using SimpleXLedger.Relay.Plugins;

namespace SimpleXLedger.Files.Hosting;

/// <summary>
/// A running file relay: its metering plugin loaded from the plugins directory as the message relay loads it (given
/// the host's redeemer and key source), the chunk records and the plugin's state in <c>files.db</c>, chunk bodies
/// under <c>chunks/</c>, an expiry sweep, and Kestrel serving gRPC on HTTP/2 with TLS under the relay's own persisted
/// certificate (pinned address <c>sxl://fingerprint@host:port</c>).
/// </summary>
public sealed class FilesServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly IMeteringPolicy _policy;
    private readonly MetadataStore _metadata;
    private readonly ServiceProvider _hostServices;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _sweeper;

    private FilesServer(WebApplication app, PinnedAddress address, FileEngine engine, IMeteringPolicy policy, MetadataStore metadata, ServiceProvider hostServices, TimeProvider time)
    {
        _app = app;
        Address = address;
        Engine = engine;
        _policy = policy;
        _metadata = metadata;
        _hostServices = hostServices;
        _sweeper = SweepLoopAsync(time, engine.Options.SweepInterval);
    }

    public PinnedAddress Address { get; }

    internal FileEngine Engine { get; }

    /// <summary>Where <c>/metrics</c> is served, or null without a metrics listener.</summary>
    public Uri? MetricsUrl => ServiceHost.MetricsUrl(_app);

    /// <summary>
    /// Starts a file relay. Throws <see cref="PluginLoadException"/> or <see cref="ArgumentException"/> (bad options)
    /// before anything listens. <paramref name="redeemer"/> and <paramref name="keySource"/> stay the caller's.
    /// </summary>
    public static async Task<FilesServer> StartAsync(FilesOptions options, ITokenRedeemer? redeemer = null, ITokenKeySource? keySource = null, TimeProvider? time = null, ILoggerFactory? loggers = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Validate() is { } error)
        {
            throw new ArgumentException(error, nameof(options));
        }

        time ??= TimeProvider.System;
        loggers ??= LoggerFactory.Create(logging => logging
            .AddSimpleConsole(o => o.SingleLine = true)
            .AddFilter("Microsoft", LogLevel.Warning)
            .AddFilter("Grpc", LogLevel.Warning)
            .Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
        var plugin = PluginLoader.Load(options.PluginsDirectory, options.Metering);
        Directory.CreateDirectory(options.DataDirectory);
        var certificate = SelfSignedCertificate.LoadOrCreate(options.DataDirectory, "sxl-files");
        var fingerprint = CertificateFingerprint.Sha256(certificate);

        var hostServices = new ServiceCollection();
        if (redeemer is not null)
        {
            hostServices.AddSingleton(redeemer);
        }

        if (keySource is not null)
        {
            hostServices.AddSingleton(keySource);
        }

        var provider = hostServices.BuildServiceProvider();
        var metadata = MetadataStore.Open(Path.Combine(options.DataDirectory, "files.db"));
        var meteringStore = new FilesMeteringStore(metadata);
        IMeteringPolicy? policy = null;
        WebApplication? app = null;
        try
        {
            var settings = new Dictionary<string, string>(options.MeteringSettings, StringComparer.OrdinalIgnoreCase)
            {
                ["devnet"] = options.Devnet ? "true" : "false",
            };
            if (options.Issuer is not null)
            {
                settings["issuer"] = options.Issuer;
            }

            var pluginDirectory = Path.Combine(options.DataDirectory, "metering", plugin.Id);
            Directory.CreateDirectory(pluginDirectory);
            try
            {
                policy = plugin.Register(new MeteringPluginContext(settings, loggers.CreateLogger($"SimpleXLedger.Files.Metering.{plugin.Id}"), time, pluginDirectory, meteringStore, provider));
            }
            catch (Exception e) when (e is ArgumentException or FormatException or InvalidOperationException)
            {
                throw new PluginLoadException($"metering plugin '{plugin.Id}' refused to start: {e.Message}", e);
            }

            var logger = loggers.CreateLogger("SimpleXLedger.Files");
            var engine = new FileEngine(options, metadata, new ChunkStore(options.DataDirectory), meteringStore, new ChunkPayments(policy, options), plugin.Id, time, logger);
            await engine.RecoverAsync(cancellationToken);
            var sessions = new SessionRegistry();
            var builder = ServiceHost.CreateBuilder();
            builder.Services.AddSingleton(engine);
            builder.Services.AddSingleton(sessions);
            builder.WebHost.ConfigureKestrel(kestrel =>
            {
                kestrel.Limits.MaxRequestBodySize = null;
                kestrel.Listen(options.Listen, listen =>
                {
                    listen.Protocols = HttpProtocols.Http2;
                    sessions.ForgetOnClose(listen);
                    listen.UseHttps(certificate);
                });
            });
            builder.AddObservability(options.Observability);
            builder.Services.AddServiceDefaults(options.DataDirectory, FilesProtocol.PartBytes + (16 * 1024));
            app = builder.Build();
            app.UseServiceDefaults();
            app.MapGrpcService<FilesGrpcService>();
            await app.StartAsync(cancellationToken);
            var address = ServiceHost.BoundAddress(app, options.Listen, options.PublicHost, fingerprint);
            logger.LogInformation("file relay: metering {Metering}, chunks live {Hours} h, quota {Quota} bytes", plugin.Id, options.ChunkTtl.TotalHours, options.QuotaBytes);
            return new FilesServer(app, address, engine, policy, metadata, provider, time);
        }
        catch
        {
            if (app is not null)
            {
                await app.DisposeAsync();
            }

            if (policy is not null)
            {
                await policy.DisposeAsync();
            }

            metadata.Dispose();
            await provider.DisposeAsync();
            throw;
        }
    }

    /// <summary>Removes expired chunks now (tests move a fake clock, then call this).</summary>
    public Task<int> SweepAsync(CancellationToken cancellationToken = default) => Engine.SweepAsync(cancellationToken);

    /// <summary>Blocks the chunk a sender or recipient id names (the operator's answer to an abuse report).</summary>
    public Task<bool> BlockAsync(byte[] id, CancellationToken cancellationToken = default) => Engine.Metadata.BlockAsync(id, cancellationToken);

    /// <summary>Chunks and recipient ids on record, and the bytes uploaded.</summary>
    public Task<(long Chunks, long Recipients, long Bytes)> CountsAsync(CancellationToken cancellationToken = default) => Engine.Metadata.CountsAsync(cancellationToken);

    /// <summary>Blocks a chunk in a relay's data directory, from another process (<c>sxl files block</c>); false if no chunk has the id.</summary>
    public static async Task<bool> BlockOfflineAsync(string dataDirectory, byte[] id, CancellationToken cancellationToken = default)
    {
        var path = Path.Combine(dataDirectory, "files.db");
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"no file relay data in {dataDirectory} (files.db is missing)");
        }

        using var metadata = MetadataStore.Open(path);
        return await metadata.BlockAsync(id, cancellationToken);
    }

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

        await _app.DisposeAsync();
        await _policy.DisposeAsync();
        _metadata.Dispose();
        await _hostServices.DisposeAsync();
        _stopping.Dispose();
    }
}
