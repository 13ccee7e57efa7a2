using Prometheus;
using SimpleXLedger.Hosting.Startup;
using SimpleXLedger.Relay.Metering;
using SimpleXLedger.Relay.Queues;

namespace SimpleXLedger.Relay.Hosting;

/// <summary>
/// The relay's own Prometheus series, read from the engine at each scrape: how many queues it holds, how often its
/// metering plugin failed, work the metering refused by reason (the denial's kind), and, for a plugin that credits on
/// risk (tokens), its outbox against its risk budget. Counts only; no queue id ever reaches a label.
/// </summary>
internal static class RelayMetrics
{
    public static void Register(ServiceMetrics metrics, RelayEngine engine)
    {
        var queues = metrics.Factory.CreateGauge("sxl_relay_queues", "Queues the relay holds");
        var failures = metrics.Factory.CreateCounter("sxl_relay_metering_failures_total", "Metering plugin calls that failed or timed out");
        var refusals = metrics.Factory.CreateCounter("sxl_relay_metering_refusals_total", "Work the metering refused, by reason", ["reason"]);
        var kinds = Enum.GetValues<DenialKind>().Select(k => (Kind: k, Child: refusals.WithLabels(Reason(k)))).ToArray();
        var outbox = metrics.Factory.CreateGauge("sxl_relay_outbox_tokens", "Tokens credited on the operator's risk while the clearing house was unreachable, not yet redeemed");
        var budget = metrics.Factory.CreateGauge("sxl_relay_risk_budget_tokens", "The most tokens that may wait in the outbox (the tokens plugin's riskBudget)");
        metrics.Registry.AddBeforeCollectCallback(() =>
        {
            queues.Set(engine.QueueCount);
            failures.IncTo(engine.Metering.Failures);
            foreach (var (kind, child) in kinds)
            {
                child.IncTo(engine.Metering.Refusals(kind));
            }

            if (engine.Metering.Outbox is { } o)
            {
                outbox.Set(o.Tokens);
                budget.Set(o.Budget);
            }
        });
    }

    private static string Reason(DenialKind kind) => kind switch
    {
        DenialKind.PaymentRequired => "payment_required",
        DenialKind.QuotaExceeded => "quota_exceeded",
        DenialKind.PaymentRefused => "payment_refused",
        DenialKind.Unavailable => "unavailable",
        _ => "other",
    };
}
