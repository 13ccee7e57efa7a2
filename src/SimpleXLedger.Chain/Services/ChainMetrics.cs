using System.Numerics;
using Microsoft.Extensions.Logging;
using Nethereum.RPC.Eth.DTOs;
using Prometheus;

namespace SimpleXLedger.Chain.Services;

/// <summary>
/// The chain-facing Prometheus series every chain-using service shares (the operator's watcher, the clearing house,
/// the issuer): its role account's ETH balance for gas against an alarm threshold (<c>sxl_&lt;role&gt;_gas_balance_wei</c>,
/// <c>…_gas_alarm_wei</c>, <c>…_gas_balance_low</c>), failed JSON-RPC calls by method (<c>sxl_chain_rpc_errors_total</c>)
/// and reorganisations deeper than the confirmation depth (<c>sxl_chain_reorgs_total</c>). Labels are fixed
/// vocabularies only (an RPC method, a failure kind), never an address.
/// </summary>
public sealed class ChainMetrics
{
    private readonly Gauge _gas;
    private readonly Gauge _gasLow;
    private readonly Counter _rpcErrors;
    private readonly Counter _reorgs;
    private int _wasLow;

    /// <param name="factory">The service's own registry's factory.</param>
    /// <param name="role">The series' prefix after <c>sxl_</c> (<c>operator</c>, <c>clearing</c>, <c>issuer</c>): a fixed word.</param>
    /// <param name="account">What the account is, for the series' help text (<c>the payee</c>, <c>the clearing house</c>).</param>
    /// <param name="gasAlarmWei">The balance below which the alarm is raised (<c>--gas-alarm-wei</c>).</param>
    public ChainMetrics(IMetricFactory factory, string role, string account, BigInteger gasAlarmWei)
    {
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentException.ThrowIfNullOrWhiteSpace(role);
        ArgumentException.ThrowIfNullOrWhiteSpace(account);
        ArgumentOutOfRangeException.ThrowIfNegative(gasAlarmWei);
        GasAlarmWei = gasAlarmWei;
        _gas = factory.CreateGauge($"sxl_{role}_gas_balance_wei", $"The {account} account's ETH balance for gas, in wei");
        var alarm = factory.CreateGauge($"sxl_{role}_gas_alarm_wei", "The gas balance below which the alarm is raised (--gas-alarm-wei)");
        _gasLow = factory.CreateGauge($"sxl_{role}_gas_balance_low", $"ALARM: 1 while the {account} account's gas balance is below --gas-alarm-wei");
        _rpcErrors = factory.CreateCounter("sxl_chain_rpc_errors_total", "Failed chain JSON-RPC calls, by method and kind (response: the node answered an error; transport: no answer)", ["method", "kind"]);
        _reorgs = factory.CreateCounter("sxl_chain_reorgs_total", "ALARM: chain reorganisations deeper than the confirmation depth (--confirmations) noticed by a reader, which then read again");
        alarm.Set((double)gasAlarmWei);
    }

    public BigInteger GasAlarmWei { get; }

    /// <summary>Counts the failed calls and the deep reorganisations of <paramref name="connection"/> (each connection once).</summary>
    public void Observe(ChainConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var observer = new ChainRpcObserver();
        observer.Failed += (method, kind) => _rpcErrors.WithLabels(method, kind == ChainRpcFailure.Response ? "response" : "transport").Inc();
        connection.Observe(observer);
        connection.ReorgDetected += _ => _reorgs.Inc();
    }

    /// <summary>Records the account's gas balance; true when it is below the alarm threshold.</summary>
    public bool GasBalance(BigInteger wei)
    {
        _gas.Set((double)wei);
        var low = wei < GasAlarmWei;
        _gasLow.Set(low ? 1 : 0);
        return low;
    }

    /// <summary>
    /// Reads <paramref name="address"/>'s balance through <paramref name="connection"/> and records it; logs a warning
    /// when it falls below the alarm (once, until it recovers). Returns the balance.
    /// </summary>
    public async Task<BigInteger> CheckGasAsync(ChainConnection connection, string address, ILogger log, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(log);
        var wei = (await connection.ReadAsync(() => connection.Web3.Eth.GetBalance.SendRequestAsync(address, BlockParameter.CreateLatest()), ct)).Value;
        var low = GasBalance(wei);
        if (Interlocked.Exchange(ref _wasLow, low ? 1 : 0) == 0 && low)
        {
            log.LogWarning("the account {Address}'s gas balance is below the alarm at {Alarm} wei: top it up, or its transactions will fail", address, GasAlarmWei);
        }

        return wei;
    }

    /// <summary>Like <see cref="CheckGasAsync"/>, but a failed read is logged (and counted as an RPC error when the connection is observed), not thrown.</summary>
    public async Task TryCheckGasAsync(ChainConnection connection, string address, ILogger log, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(log);
        try
        {
            await CheckGasAsync(connection, address, log, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogWarning("reading the gas balance failed: {Error}: {Message}", e.GetType().Name, e.Message);
        }
    }

    /// <summary>
    /// Checks the gas balance every <paramref name="interval"/> until cancelled; a failed read is logged and counted
    /// (as an RPC error, when the connection is observed) and tried again on the next tick.
    /// </summary>
    public async Task WatchGasAsync(ChainConnection connection, string address, TimeSpan interval, ILogger log, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(log);
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                await TryCheckGasAsync(connection, address, log, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopping.
        }
    }
}
