using SimpleXLedger.Devnet.Network;
using SimpleXLedger.Hosting.Tracing;

namespace SimpleXLedger.Audit;

/// <summary>
/// The request traces the services kept (<c>SXL_REQUEST_TRACE=1</c>): every request the issuer, each relay and the
/// clearing house received, with its time, call, sizes and status — what any operator could record. Read strictly:
/// a trace line holding anything else fails the read (and so the audit).
/// </summary>
public sealed record ServiceTraces(
    IReadOnlyList<RequestTraceEntry> Issuer,
    IReadOnlyDictionary<string, IReadOnlyList<RequestTraceEntry>> Relays,
    IReadOnlyList<RequestTraceEntry> Clearing)
{
    public int Count => Issuer.Count + Relays.Values.Sum(r => r.Count) + Clearing.Count;

    /// <summary>The trace files of every service of the devnet (the audit also searches them for secrets).</summary>
    public static IReadOnlyList<string> Files(DevnetNetwork network)
    {
        ArgumentNullException.ThrowIfNull(network);
        return [.. network.Relays.Select(r => r.DataDirectory).Append(network.Issuer.DataDirectory).Append(network.Clearing.DataDirectory)
            .Select(RequestTracing.PathIn).Where(File.Exists)];
    }

    /// <summary>Reads every service's trace; relays by their address (as payments name them).</summary>
    public static ServiceTraces Read(DevnetNetwork network)
    {
        ArgumentNullException.ThrowIfNull(network);
        return new ServiceTraces(
            ReadOf(network.Issuer.DataDirectory),
            network.Relays.ToDictionary(r => r.Address, r => ReadOf(r.DataDirectory), StringComparer.Ordinal),
            ReadOf(network.Clearing.DataDirectory));
    }

    private static IReadOnlyList<RequestTraceEntry> ReadOf(string dataDirectory)
    {
        var path = RequestTracing.PathIn(dataDirectory);
        return File.Exists(path)
            ? RequestTraceFile.Read(path)
            : throw new InvalidOperationException($"no request trace at {path}: was the service started with {RequestTracing.EnvironmentVariable}=1?");
    }
}

/// <summary>Reads the traces once they hold what the scenario did (the services flush them a few times a second).</summary>
internal static class TraceEvidence
{
    /// <summary>
    /// Waits (up to 30 s) until the issuer's trace has a successful Redeem call for every redemption row and each relay's
    /// trace a paying call for every payment seen there, then reads every trace.
    /// </summary>
    public static async Task<ServiceTraces> ReadFlushedAsync(DevnetNetwork network, IReadOnlyList<IssuerRedemption> redemptions, IReadOnlyList<RelayPayment> payments, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        while (true)
        {
            var traces = ServiceTraces.Read(network);
            var redeemCalls = traces.Issuer.Count(e => (e.Call == LinkabilityAdversary.IssuerRedeemCall && e.Status == "OK") || (e.Call == LinkabilityAdversary.IssuerHttpRedeemCall && e.Status == "200"));
            var relaysComplete = traces.Relays.All(r =>
                r.Value.Count(e => e.Call == LinkabilityAdversary.RelayExecuteCall && e.Status == "OK" && e.RequestBytes >= LinkabilityAdversary.TokenBytes)
                >= payments.Count(p => p.Relay == r.Key));
            if ((redeemCalls >= redemptions.Count && relaysComplete) || timeout.IsCancellationRequested)
            {
                return traces;
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), timeout.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                // Read what there is.
            }
        }
    }
}
