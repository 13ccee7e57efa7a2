using System.Numerics;
using Prometheus;
using SimpleXLedger.Chain.Services;
using SimpleXLedger.Hosting.Startup;
using SimpleXLedger.Operator.Payouts;

namespace SimpleXLedger.Operator.Observability;

/// <summary>
/// The operator side's Prometheus series (<c>sxl operator watch --metrics</c>): epochs with receipts by state, claims and
/// the amount they paid, disputes by kind, checks by outcome, the payee's ETH balance for gas against its alarm
/// threshold, chain JSON-RPC errors by method, and reorganisations deeper than the confirmation depth. Labels are fixed vocabularies only (a state, a kind, an RPC method).
/// </summary>
public sealed class OperatorMetrics
{
    private readonly Gauge _epochs;
    private readonly Counter _claims;
    private readonly Counter _claimed;
    private readonly Counter _disputes;
    private readonly Counter _checks;
    private readonly ChainMetrics _chain;

    public OperatorMetrics(ServiceMetrics metrics, BigInteger gasAlarmWei)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        Metrics = metrics;
        var f = metrics.Factory;
        _epochs = f.CreateGauge("sxl_operator_epochs", "Epochs with receipts, by the watcher's state of each", ["state"]);
        _claims = f.CreateCounter("sxl_operator_claims_total", "Leaves this watcher claimed");
        _claimed = f.CreateCounter("sxl_operator_claimed_amount_total", "What the claims of this watcher paid, in the ledger token's base units");
        _disputes = f.CreateCounter("sxl_operator_disputes_total", "Disputes this watcher filed or settled, by kind", ["kind"]);
        _checks = f.CreateCounter("sxl_operator_checks_total", "Checks of the ledger against the receipts, by outcome", ["outcome"]);
        _chain = new ChainMetrics(f, "operator", "payee", gasAlarmWei);
        foreach (var state in Enum.GetValues<EarningState>())
        {
            _epochs.WithLabels(state.ToString()).Set(0);
        }
    }

    public ServiceMetrics Metrics { get; }

    public BigInteger GasAlarmWei => _chain.GasAlarmWei;

    /// <summary>Counts the failed calls of <paramref name="connection"/> by method.</summary>
    public void Observe(ChainConnection connection) => _chain.Observe(connection);

    /// <summary>One completed check: the epochs' states now, and what was done.</summary>
    public void Checked(IReadOnlyList<EpochEarnings> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        _checks.WithLabels("ok").Inc();
        foreach (var state in Enum.GetValues<EarningState>())
        {
            _epochs.WithLabels(state.ToString()).Set(results.Count(r => r.State == state));
        }

        foreach (var r in results)
        {
            switch (r.Action)
            {
                case "claimed":
                    _claims.Inc();
                    _claimed.Inc((double)(r.Leaf ?? 0));
                    break;
                case "disputed underpaid":
                    _disputes.WithLabels("underpaid").Inc();
                    break;
                case "disputed missing":
                    _disputes.WithLabels("missing").Inc();
                    break;
                case "settled unanswered dispute":
                    _disputes.WithLabels("settled").Inc();
                    break;
            }
        }
    }

    public void CheckFailed() => _checks.WithLabels("failed").Inc();

    /// <summary>The payee's gas balance; true when it is below the alarm threshold.</summary>
    public bool GasBalance(BigInteger wei) => _chain.GasBalance(wei);
}
