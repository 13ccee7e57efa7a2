using Prometheus;
using SimpleXLedger.Hosting.Startup;
using SimpleXLedger.Relay.Queues;

namespace SimpleXLedger.Relay.Hosting;

/// <summary>
/// The relay's own Prometheus series, read from the engine at each scrape: how many queues it holds and how often its
/// metering plugin failed. Counts only; no queue id ever reaches a label.
/// </summary>
internal static class RelayMetrics
{
    public static void Register(ServiceMetrics metrics, RelayEngine engine)
    {
        var queues = metrics.Factory.CreateGauge("sxl_relay_queues", "Queues the relay holds");
        var failures = metrics.Factory.CreateCounter("sxl_relay_metering_failures_total", "Metering plugin calls that failed or timed out");
        metrics.Registry.AddBeforeCollectCallback(() =>
        {
            queues.Set(engine.QueueCount);
            failures.IncTo(engine.Metering.Failures);
        });
    }
}
