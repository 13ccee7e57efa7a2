using System.Collections.Concurrent;
using SimpleXLedger.Net;
using SimpleXLedger.Relay.Client;
using SimpleXLedger.Wallet.Spending;

namespace SimpleXLedger.Wallet.Tests.Support;

/// <summary>
/// The wallet's real connector (fresh connections) with a record of every connection opened: what it was for,
/// which queue, and a serial number per connection, so a test sees which connection carried which payment.
/// Optionally fails the next connects, as an unreachable relay would.
/// </summary>
public sealed class RecordingConnector(IRelayConnector? inner = null) : IRelayConnector
{
    private readonly IRelayConnector _inner = inner ?? FreshRelayConnections.Instance;
    private readonly ConcurrentQueue<(int Connection, RelayUse Use, string? Queue)> _log = new();
    private int _serial;
    private int _failNext;

    public IReadOnlyList<(int Connection, RelayUse Use, string? Queue)> Log => [.. _log];

    public IReadOnlyList<(int Connection, string? Queue)> TopUps => [.. _log.Where(e => e.Use == RelayUse.TopUp).Select(e => (e.Connection, e.Queue))];

    /// <summary>The next <paramref name="count"/> connects fail as if the relay were down.</summary>
    public void FailNext(int count) => Volatile.Write(ref _failNext, count);

    public async Task<RelayLease> ConnectAsync(PinnedAddress relay, RelayUse use, string? queue, CancellationToken cancellationToken)
    {
        if (Interlocked.Decrement(ref _failNext) >= 0)
        {
            throw new HttpRequestException("the relay is down (test)");
        }

        var lease = await _inner.ConnectAsync(relay, use, queue, cancellationToken);
        _log.Enqueue((Interlocked.Increment(ref _serial), use, queue));
        return lease;
    }
}
