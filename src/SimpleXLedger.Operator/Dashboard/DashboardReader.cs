using System.Globalization;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using SimpleXLedger.Chain.Contracts;
using SimpleXLedger.Chain.Services;
using SimpleXLedger.Clearing.Client;
using SimpleXLedger.Operator.Payouts;

namespace SimpleXLedger.Operator.Dashboard;

/// <summary>
/// Reads the dashboard's <see cref="DashboardSnapshot"/>: the payee's epochs as <c>sxl operator earnings</c> sees them
/// (receipts against the chain and the published leaf lists, never acting), the claims paid to it (the ledger's
/// Claimed events, read incrementally), its gas balance, and the health of the clearing house and relay. One read
/// at a time: the watcher's caches are not shared between threads.
/// </summary>
public sealed class DashboardReader(LedgerClient ledger, SettlementClient? settlement, string receiptsPath, DashboardSettings settings, ILogger logger) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly PayoutWatcher _watcher = new(ledger, settlement, receiptsPath, logger, settings.Payee);
    private readonly PayoutWatcher _offline = new(ledger, null, receiptsPath, logger, settings.Payee);
    private readonly List<ClaimPaid> _claims = [];
    private readonly EventCursor<ClaimedEvent> _claimed = new(ledger.Connection, ledger.Ledger);

    public DashboardSettings Settings => settings;

    public async Task<DashboardSnapshot> ReadAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var alarms = new List<string>();
            var services = new List<ServiceHealth>();
            if (settings.Clearing is { } clearing)
            {
                services.Add(await HealthProbe.CheckAsync("clearing house", clearing, settings.ProbeTimeout, ct));
            }

            if (settings.Relay is { } relay)
            {
                services.Add(await HealthProbe.CheckAsync("relay", relay, settings.ProbeTimeout, ct));
            }

            IReadOnlyList<EpochEarnings> epochs;
            try
            {
                epochs = await _watcher.CheckAsync(act: false, ct);
            }
            catch (RpcException e)
            {
                // The leaf lists cannot be read: show what the chain alone says, and say why.
                logger.LogWarning("the clearing house's leaf lists cannot be read: {Status}", e.StatusCode);
                alarms.Add($"clearing house unreachable: its leaf lists cannot be read ({e.StatusCode})");
                epochs = await _offline.CheckAsync(act: false, ct);
            }

            foreach (var s in services.Where(s => !s.Serving))
            {
                alarms.Add($"{s.Name} not serving: {s.Detail}");
            }

            foreach (var e in epochs.Where(e => DashboardSnapshot.NotHonoured(e.State)))
            {
                alarms.Add($"epoch {e.Epoch.ToString(CultureInfo.InvariantCulture)}: receipts not honoured ({e.State})");
            }

            var claimed = await _claimed.NextAsync(ct);
            if (claimed.StartedOver)
            {
                _claims.Clear();
            }

            _claims.AddRange(claimed.Events
                .Where(c => string.Equals(c.Event.Payee, settings.Payee, StringComparison.OrdinalIgnoreCase))
                .Select(c => new ClaimPaid(c.Event.Epoch, c.Event.Amount, c.TransactionHash, c.BlockNumber)));

            var connection = ledger.Connection;
            var gas = await _watcher.GasBalanceAsync(ct);
            if (gas < settings.GasAlarmWei)
            {
                alarms.Add($"gas balance low: {gas.ToString(CultureInfo.InvariantCulture)} wei, below the alarm at {settings.GasAlarmWei.ToString(CultureInfo.InvariantCulture)} wei");
            }

            var receipts = ReceiptLog.ReadAll(receiptsPath)
                .Where(r => string.Equals(r.Payee, settings.Payee, StringComparison.OrdinalIgnoreCase)
                    && string.Equals(r.Ledger, ledger.Ledger, StringComparison.OrdinalIgnoreCase))
                .ToList();
            var block = await connection.BlockNumberAsync(ct);
            var time = await connection.LatestBlockTimeAsync(ct);
            return new DashboardSnapshot(
                settings.Payee, ledger.Ledger, (ulong)connection.ChainId, block, time,
                receipts.Count, receipts.Sum(r => (long)r.Accepted), epochs, [.. _claims], gas, settings.GasAlarmWei, services, alarms);
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();
}
