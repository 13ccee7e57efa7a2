using System.Net;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SimpleXLedger.Clearing.Client;
using SimpleXLedger.Clearing.Epochs;
using SimpleXLedger.Clearing.Maintenance;
using SimpleXLedger.Clearing.Receipts;
using SimpleXLedger.Clearing.Registry;
using SimpleXLedger.Clearing.Storage;
using SimpleXLedger.Hosting.Startup;
using SimpleXLedger.Net;
using SimpleXLedger.Net.Tls;

namespace SimpleXLedger.Clearing.Hosting;

/// <summary>Where the clearing house listens.</summary>
public sealed record ClearingEndpoint
{
    public IPEndPoint Grpc { get; init; } = new(IPAddress.Loopback, 5224);

    /// <summary>Host name written in the address (defaults to the listen address).</summary>
    public string? PublicHost { get; init; }

    /// <summary>Prometheus metrics listener and gRPC reflection (health checks are always served).</summary>
    public ServiceObservability Observability { get; init; } = ServiceObservability.None;
}

/// <summary>
/// A running clearing house: its database migrated, gRPC on HTTP/2 with TLS under its persisted self-signed
/// certificate (the address pins it), and a maintenance loop that advances epochs and drops expired keys' nonces.
/// </summary>
public sealed class ClearingServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _maintenance;

    private ClearingServer(WebApplication app, PinnedAddress address, ClearingSettings settings)
    {
        _app = app;
        Address = address;
        _maintenance = MaintenanceLoopAsync(settings.MaintenanceInterval);
    }

    /// <summary>The pinned address, <c>sxl://fingerprint@host:port</c>.</summary>
    public PinnedAddress Address { get; }

    public IServiceProvider Services => _app.Services;

    public ClearingIdentity Identity => _app.Services.GetRequiredService<ClearingIdentity>();

    public ClearingMetrics Metrics => _app.Services.GetRequiredService<ClearingMetrics>();

    /// <summary>Where <c>/metrics</c> is served, or null without a metrics listener.</summary>
    public Uri? MetricsUrl => ServiceHost.MetricsUrl(_app);

    public static async Task<ClearingServer> StartAsync(
        ClearingSettings settings,
        ClearingEndpoint endpoint,
        ClearingDatabase database,
        IKeyRegistry registry,
        ClearingIdentity identity,
        Action<ILoggingBuilder>? logging = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(database);
        settings.Validate();
        Directory.CreateDirectory(settings.DataDirectory);
        await database.MigrateAsync(cancellationToken);
        var certificate = SelfSignedCertificate.LoadOrCreate(settings.DataDirectory, "sxl-clearing");
        var fingerprint = CertificateFingerprint.Sha256(certificate);

        var builder = ServiceHost.CreateBuilder(logging);
        builder.Services.AddClearingCore(settings, database, registry, identity);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = 8 * 1024 * 1024;

            // A batch is a few hundred kilobytes: windows that take whole batches without waiting for updates.
            kestrel.Limits.Http2.InitialConnectionWindowSize = 8 * 1024 * 1024;
            kestrel.Limits.Http2.InitialStreamWindowSize = 2 * 1024 * 1024;
            kestrel.Listen(endpoint.Grpc, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                listen.UseHttps(certificate);
            });
        });
        builder.AddObservability(endpoint.Observability);
        // A full batch of tokens and its envelope.
        builder.Services.AddServiceDefaults(settings.DataDirectory, (settings.MaxBatch * 400) + (64 * 1024));

        var app = builder.Build();
        app.UseServiceDefaults();
        app.MapGrpcService<ClearingGrpcService>();
        app.MapGrpcService<SimpleXLedger.Clearing.Settlement.SettlementGrpcService>();
        await app.StartAsync(cancellationToken);
        try
        {
            // Open an epoch at once when the registry answers (otherwise the first batch does).
            try
            {
                var snapshot = await registry.GetSnapshotAsync(cancellationToken);
                await app.Services.GetRequiredService<EpochSchedule>().EnsureOpenAsync(snapshot.Now, cancellationToken);
            }
            catch (RegistryUnavailableException)
            {
            }

            return new ClearingServer(app, ServiceHost.BoundAddress(app, endpoint.Grpc, endpoint.PublicHost, fingerprint), settings);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    /// <summary>Advances epochs and drops expired keys' spent rows now (tests move the registry's clock, then call this).</summary>
    public async Task MaintainAsync(CancellationToken cancellationToken = default)
    {
        var registry = Services.GetRequiredService<IKeyRegistry>();
        var snapshot = await registry.GetSnapshotAsync(cancellationToken);
        await Services.GetRequiredService<EpochSchedule>().EnsureOpenAsync(snapshot.Now, cancellationToken);
        await using var scope = Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<IMediator>().Send(new PurgeExpiredKeys(snapshot.Now), cancellationToken);
    }

    private async Task MaintenanceLoopAsync(TimeSpan interval)
    {
        var logger = _app.Services.GetRequiredService<ILoggerFactory>().CreateLogger<ClearingServer>();
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                try
                {
                    await MaintainAsync(_stopping.Token);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogWarning("maintenance failed: {Error}: {Message}", e.GetType().Name, e.Message);
                }
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
        await _maintenance;
        using (var stopTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await _app.StopAsync(stopTimeout.Token);
        }

        await _app.DisposeAsync();
        _stopping.Dispose();
    }
}
