using Prometheus;
using SimpleXLedger.Hosting.Startup;

namespace SimpleXLedger.Issuer.Issuance;

/// <summary>The issuer's Prometheus series: redemptions by status, and tokens issued. No card, code or key in a label.</summary>
public sealed class IssuerMetrics(ServiceMetrics metrics)
{
    private readonly Counter _redemptions = metrics.Factory.CreateCounter("sxl_issuer_redemptions_total", "Gift card redemptions answered, by status", ["status"]);
    private readonly Counter _tokens = metrics.Factory.CreateCounter("sxl_issuer_tokens_issued_total", "Tokens blind-signed for a newly debited card (replays not counted)");

    public void Redeemed(RedeemStatus status, int tokens)
    {
        _redemptions.WithLabels(status.ToString()).Inc();
        if (status == RedeemStatus.Issued)
        {
            _tokens.Inc(tokens);
        }
    }
}
