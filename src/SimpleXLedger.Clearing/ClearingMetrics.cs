using System.Diagnostics.Metrics;
using SimpleXLedger.Hosting.Startup;
using SimpleXLedger.Clearing.Redemption;

namespace SimpleXLedger.Clearing;

/// <summary>
/// The clearing house's metrics (meter <c>SimpleXLedger.Clearing</c>): tokens by outcome, batches, and the
/// proof-of-liabilities alarm (tokens refused because their key's anchored issued total is used up and the issuer's
/// time to anchor more has passed), and, without an alarm, tokens refused for now because the issuer has not yet
/// anchored them (issued since its last anchoring; retried by the relay).
/// </summary>
public sealed class ClearingMetrics : IDisposable
{
    public const string MeterName = "SimpleXLedger.Clearing";

    private readonly Meter _meter;
    private readonly Counter<long> _tokens;
    private readonly Counter<long> _batches;
    private readonly Counter<long> _overIssued;
    private readonly Counter<long> _notYetAnchored;
    private readonly Prometheus.Counter? _promTokens;
    private readonly Prometheus.Counter? _promBatches;
    private readonly Prometheus.Counter? _promOverIssued;
    private readonly Prometheus.Counter? _promNotYetAnchored;
    private long _overIssuedTotal;
    private long _notYetAnchoredTotal;

    public ClearingMetrics()
        : this(null)
    {
    }

    /// <summary>
    /// Also counted in the service's Prometheus registry (<c>sxl_clearing_*</c>): tokens by outcome, batches by
    /// replay, the two over-issue counts without their key (a key id names an issuer key, so no label carries it).
    /// </summary>
    public ClearingMetrics(ServiceMetrics? prometheus)
    {
        if (prometheus is not null)
        {
            _promTokens = prometheus.Factory.CreateCounter("sxl_clearing_tokens_total", "Tokens redeemed, by outcome", ["outcome"]);
            _promBatches = prometheus.Factory.CreateCounter("sxl_clearing_batches_total", "Batches answered, by whether they were replays", ["replayed"]);
            _promOverIssued = prometheus.Factory.CreateCounter("sxl_clearing_over_issued_tokens_total", "ALARM: tokens refused beyond their key's anchored issued total");
            _promNotYetAnchored = prometheus.Factory.CreateCounter("sxl_clearing_not_yet_anchored_tokens_total", "Tokens refused for now: issued since the issuer's last anchoring (no alarm)");
        }

        _meter = new Meter(MeterName);
        _tokens = _meter.CreateCounter<long>("sxl.clearing.tokens", description: "Tokens redeemed, by outcome");
        _batches = _meter.CreateCounter<long>("sxl.clearing.batches", description: "Batches answered (replays included)");
        _overIssued = _meter.CreateCounter<long>("sxl.clearing.over_issued", description: "ALARM: tokens refused beyond their key's anchored issued total");
        _notYetAnchored = _meter.CreateCounter<long>("sxl.clearing.not_yet_anchored", description: "Tokens refused for now beyond their key's anchored issued total while the issuer may still anchor them (no alarm)");
    }

    /// <summary>Tokens refused as over-issued since start (the alarm's count).</summary>
    public long OverIssuedTotal => Interlocked.Read(ref _overIssuedTotal);

    /// <summary>Tokens refused as not yet anchored since start (no alarm: the issuer may still anchor them).</summary>
    public long NotYetAnchoredTotal => Interlocked.Read(ref _notYetAnchoredTotal);

    public void Batch(IReadOnlyList<TokenOutcomeCode> outcomes, bool replayed)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        _batches.Add(1, new KeyValuePair<string, object?>("replayed", replayed));
        _promBatches?.WithLabels(replayed ? "true" : "false").Inc();
        if (replayed)
        {
            return;
        }

        Span<int> counts = stackalloc int[16];
        foreach (var o in outcomes)
        {
            counts[(int)o & 15]++;
        }

        for (var i = 0; i < counts.Length; i++)
        {
            if (counts[i] > 0)
            {
                _tokens.Add(counts[i], new KeyValuePair<string, object?>("outcome", ((TokenOutcomeCode)i).ToString()));
                _promTokens?.WithLabels(((TokenOutcomeCode)i).ToString()).Inc(counts[i]);
            }
        }
    }

    public void OverIssued(int count, string keyIdHex)
    {
        Interlocked.Add(ref _overIssuedTotal, count);
        _promOverIssued?.Inc(count);
        _overIssued.Add(count, new KeyValuePair<string, object?>("key", keyIdHex));
    }

    public void NotYetAnchored(int count, string keyIdHex)
    {
        Interlocked.Add(ref _notYetAnchoredTotal, count);
        _promNotYetAnchored?.Inc(count);
        _notYetAnchored.Add(count, new KeyValuePair<string, object?>("key", keyIdHex));
    }

    public void Dispose() => _meter.Dispose();
}
