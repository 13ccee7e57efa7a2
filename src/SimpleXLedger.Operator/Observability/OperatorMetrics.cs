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
    private readonly Gauge _gas;
    private readonly Gauge _gasAlarm;
    private readonly Gauge _gasLow;
    private readonly Counter _rpcErrors;
    private readonly Counter _reorgs;

    public OperatorMetrics(ServiceMetrics metrics, BigInteger gasAlarmWei)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        Metrics = metrics;
        GasAlarmWei = gasAlarmWei;
        var f = metrics.Factory;
        _epochs = f.CreateGauge("sxl_operator_epochs", "Epochs with receipts, by the watcher's state of each", ["state"]);
        _claims = f.CreateCounter("sxl_operator_claims_total", "Leaves this watcher claimed");
        _claimed = f.CreateCounter("sxl_operator_claimed_amount_total", "What the claims of this watcher paid, in the ledger token's base units");
        _disputes = f.CreateCounter("sxl_operator_disputes_total", "Disputes this watcher filed or settled, by kind", ["kind"]);
        _checks = f.CreateCounter("sxl_operator_checks_total", "Checks of the ledger against the receipts, by outcome", ["outcome"]);
        _gas = f.CreateGauge("sxl_operator_gas_balance_wei", "The payee account's ETH balance for gas, in wei");
        _gasAlarm = f.CreateGauge("sxl_operator_gas_alarm_wei", "The gas balance below which the watcher raises its alarm (--gas-alarm-wei)");
        _gasLow = f.CreateGauge("sxl_operator_gas_balance_low", "ALARM: 1 while the payee's gas balance is below --gas-alarm-wei");
        _rpcErrors = f.CreateCounter("sxl_chain_rpc_errors_total", "Failed chain JSON-RPC calls, by method and kind (response: the node answered an error; transport: no answer)", ["method", "kind"]);
        _reorgs = f.CreateCounter("sxl_chain_reorgs_total", "ALARM: chain reorganisations deeper than the confirmation depth (--confirmations) noticed by a reader, which then read again");
        _gasAlarm.Set((double)gasAlarmWei);
        foreach (var state in Enum.GetValues<EarningState>())
        {
            _epochs.WithLabels(state.ToString()).Set(0);
        }
    }

    public ServiceMetrics Metrics { get; }

    public BigInteger GasAlarmWei { get; }

    /// <summary>Counts the failed calls of <paramref name="connection"/> by method.</summary>
    public void Observe(ChainConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var observer = new ChainRpcObserver();
        observer.Failed += (method, kind) => _rpcErrors.WithLabels(method, kind == ChainRpcFailure.Response ? "response" : "transport").Inc();
        connection.Observe(observer);
        connection.ReorgDetected += _ => _reorgs.Inc();
    }

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
    public bool GasBalance(BigInteger wei)
    {
        _gas.Set((double)wei);
        var low = wei < GasAlarmWei;
        _gasLow.Set(low ? 1 : 0);
        return low;
    }
}
