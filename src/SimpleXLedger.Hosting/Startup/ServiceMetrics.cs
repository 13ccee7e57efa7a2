using Prometheus;

namespace SimpleXLedger.Hosting.Startup;

/// <summary>
/// One service's Prometheus registry (prometheus-net), its own rather than the process-wide default: nothing but the
/// <c>sxl_</c> series the service defines (and the process's own), so no framework meter slips a label in that names
/// an address or a path. Services create their collectors through <see cref="Factory"/>. Label values are only ever
/// fixed vocabularies (a gRPC method, a status code, an outcome, a reason), never a token, key, queue, card or address.
/// </summary>
public sealed class ServiceMetrics
{
    public ServiceMetrics()
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        Factory = Prometheus.Metrics.WithCustomRegistry(Registry);
        DotNetStats.Register(Registry);
    }

    public CollectorRegistry Registry { get; }

    public IMetricFactory Factory { get; }

    /// <summary>A latency histogram in seconds, from 0.5 ms to about 16 s.</summary>
    public Histogram LatencyHistogram(string name, string help, params string[] labelNames) =>
        Factory.CreateHistogram(name, help, new HistogramConfiguration
        {
            LabelNames = labelNames,
            Buckets = Histogram.ExponentialBuckets(0.0005, 2, 16),
        });
}
