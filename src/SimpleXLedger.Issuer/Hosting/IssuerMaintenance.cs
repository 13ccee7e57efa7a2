using Mediator;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SimpleXLedger.Issuer.Keys;
using SimpleXLedger.Issuer.Maintenance;

namespace SimpleXLedger.Issuer.Hosting;

/// <summary>
/// The issuer's housekeeping while it serves: keeps the next key prepared (and anchored), activates funded
/// cards, purges idempotency records past their window, and once per epoch anchors the issued totals.
/// </summary>
public sealed class IssuerMaintenance(IServiceScopeFactory scopes, IssuerSettings settings, IssuingKeyDirectory directory, TimeProvider time, ILogger<IssuerMaintenance> logger)
    : BackgroundService
{
    /// <summary>One pass of key rotation, funding and purge; also run once at start, before the ready line.</summary>
    public async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var mediator = scope.ServiceProvider.GetRequiredService<IMediator>();
        var rotated = await mediator.Send(new RotateKeys(), cancellationToken);
        if (rotated.PreparedKeyId is not null || rotated.Anchored > 0)
        {
            directory.Invalidate();
        }

        await mediator.Send(new SyncFunding(), cancellationToken);
        var purged = await mediator.Send(new PurgeRedemptions(), cancellationToken);
        if (purged > 0)
        {
            logger.LogInformation("purged {Count} idempotency records past their window", purged);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var epochSeconds = (long)settings.Epoch.TotalSeconds;
        var epoch = time.GetUtcNow().ToUnixTimeSeconds() / epochSeconds;
        using var timer = new PeriodicTimer(settings.MaintenanceInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await RunOnceAsync(stoppingToken);
                var nowEpoch = time.GetUtcNow().ToUnixTimeSeconds() / epochSeconds;
                if (nowEpoch != epoch)
                {
                    epoch = nowEpoch;
                    await using var scope = scopes.CreateAsyncScope();
                    await scope.ServiceProvider.GetRequiredService<IMediator>().Send(new AnchorIssued(), stoppingToken);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError("maintenance pass failed: {Error}: {Message}", e.GetType().Name, e.Message);
            }
        }
    }
}
