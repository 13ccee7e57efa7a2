using System.Globalization;
using System.Text.Json.Nodes;

namespace SimpleXLedger.Audit.Soak;

/// <summary>Latency figures of one kind of operation (or all of them).</summary>
public sealed record LatencySummary(long Count, double P50Ms, double P99Ms, double MaxMs)
{
    /// <summary>Nearest-rank percentiles of the given latencies.</summary>
    public static LatencySummary Of(IReadOnlyCollection<double> milliseconds)
    {
        ArgumentNullException.ThrowIfNull(milliseconds);
        if (milliseconds.Count == 0)
        {
            return new LatencySummary(0, 0, 0, 0);
        }

        var sorted = milliseconds.Order().ToArray();
        return new LatencySummary(sorted.Length, Percentile(sorted, 0.50), Percentile(sorted, 0.99), sorted[^1]);
    }

    /// <summary>The nearest-rank percentile of an ascending array: the smallest value with at least p of the values at or below it.</summary>
    public static double Percentile(double[] sorted, double p)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        var rank = (int)Math.Ceiling(p * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}

/// <summary>
/// One service's memory over the soak: where it started and ended, and the growth check — the largest sample of the
/// last quarter of the measured phase (after warm-up) against the largest of its first quarter.
/// </summary>
public sealed record ServiceMemory(string Service, long StartBytes, long EndBytes, long FirstQuarterMaxBytes, long LastQuarterMaxBytes, long AllowedBytes)
{
    public bool Bounded => LastQuarterMaxBytes <= AllowedBytes;

    /// <summary>
    /// Splits the samples after <paramref name="warmUpSeconds"/> into quarters by time and allows the last quarter's
    /// maximum to exceed the first's by <paramref name="growthFactor"/> plus <paramref name="slackBytes"/> (garbage
    /// collection, caches filling to their caps); growth beyond that, over a bounded run with a steady load, is a leak.
    /// </summary>
    public static IReadOnlyList<ServiceMemory> Assess(IReadOnlyList<MemorySample> samples, double warmUpSeconds, double growthFactor, long slackBytes)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var names = samples.SelectMany(s => s.RssBytes.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        var result = new List<ServiceMemory>();
        foreach (var name in names)
        {
            var series = samples.Where(s => s.RssBytes.ContainsKey(name)).Select(s => (s.Seconds, Bytes: s.RssBytes[name])).ToList();
            var measured = series.Where(s => s.Seconds >= warmUpSeconds).ToList();
            if (measured.Count < 4)
            {
                measured = series;
            }

            var from = measured[0].Seconds;
            var span = Math.Max(measured[^1].Seconds - from, 1e-9);
            var first = measured.Where(s => s.Seconds - from <= span / 4).Max(s => s.Bytes);
            var last = measured.Where(s => s.Seconds - from >= span * 3 / 4).Max(s => s.Bytes);
            result.Add(new ServiceMemory(name, series[0].Bytes, series[^1].Bytes, first, last, (long)(first * growthFactor) + slackBytes));
        }

        return result;
    }
}

/// <summary>What the soak measured: throughput, latencies, messages through, memory over time.</summary>
public sealed record SoakResult(
    double DurationSeconds,
    int Users,
    int Relays,
    long Operations,
    long Failures,
    LatencySummary All,
    IReadOnlyDictionary<string, LatencySummary> ByOperation,
    long MessagesSent,
    long MessagesReceived,
    double WarmUpSeconds,
    IReadOnlyList<ServiceMemory> Memory,
    IReadOnlyList<MemorySample> Samples,
    IReadOnlyList<string> FailureKinds)
{
    public double Throughput => DurationSeconds <= 0 ? 0 : Operations / DurationSeconds;

    public bool MemoryBounded => Memory.Count > 0 && Memory.All(m => m.Bounded);

    public JsonObject ToJson()
    {
        static double Mb(long bytes) => Math.Round(bytes / (1024.0 * 1024.0), 1);
        return new JsonObject
        {
            ["durationSeconds"] = Math.Round(DurationSeconds, 1),
            ["users"] = Users,
            ["relays"] = Relays,
            ["operations"] = Operations,
            ["failures"] = Failures,
            ["failureKinds"] = new JsonArray([.. FailureKinds.Select(f => (JsonNode)f)]),
            ["throughput"] = Math.Round(Throughput, 1),
            ["p50Ms"] = Math.Round(All.P50Ms, 2),
            ["p99Ms"] = Math.Round(All.P99Ms, 2),
            ["maxMs"] = Math.Round(All.MaxMs, 2),
            ["operationsByKind"] = new JsonObject([.. ByOperation.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => KeyValuePair.Create(o.Key, (JsonNode?)new JsonObject
            {
                ["count"] = o.Value.Count,
                ["p50Ms"] = Math.Round(o.Value.P50Ms, 2),
                ["p99Ms"] = Math.Round(o.Value.P99Ms, 2),
            }))]),
            ["messages"] = new JsonObject { ["sent"] = MessagesSent, ["received"] = MessagesReceived },
            ["memory"] = new JsonObject
            {
                ["unit"] = "MiB (resident set size)",
                ["bounded"] = MemoryBounded,
                ["warmUpSeconds"] = Math.Round(WarmUpSeconds, 1),
                ["start"] = new JsonObject([.. Memory.Select(m => KeyValuePair.Create(m.Service, (JsonNode?)Mb(m.StartBytes)))]),
                ["end"] = new JsonObject([.. Memory.Select(m => KeyValuePair.Create(m.Service, (JsonNode?)Mb(m.EndBytes)))]),
                ["services"] = new JsonArray([.. Memory.Select(m => (JsonNode)new JsonObject
                {
                    ["name"] = m.Service,
                    ["firstQuarterMax"] = Mb(m.FirstQuarterMaxBytes),
                    ["lastQuarterMax"] = Mb(m.LastQuarterMaxBytes),
                    ["allowed"] = Mb(m.AllowedBytes),
                    ["bounded"] = m.Bounded,
                })]),
                ["samples"] = new JsonArray([.. Samples.Select(s => (JsonNode)new JsonObject
                {
                    ["t"] = Math.Round(s.Seconds, 1),
                    ["rss"] = new JsonObject([.. s.RssBytes.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => KeyValuePair.Create(r.Key, (JsonNode?)Mb(r.Value)))]),
                })]),
            },
        };
    }

    public string Summary() => string.Create(CultureInfo.InvariantCulture,
        $"{Users} users at {Relays} relays for {DurationSeconds:F0} s: {Operations} operations ({Throughput:F1}/s, p50 {All.P50Ms:F1} ms, p99 {All.P99Ms:F1} ms), {MessagesSent} messages sent and {MessagesReceived} received, {Failures} failures; memory {string.Join(", ", Memory.Select(m => $"{m.Service} {m.StartBytes / 1048576.0:F0}→{m.EndBytes / 1048576.0:F0} MiB"))}");
}
