using System.Collections.Concurrent;
using SimpleXLedger.Net;
using SimpleXLedger.Relay.Client;

namespace SimpleXLedger.Wallet.Spending;

/// <summary>What a relay connection is for (so a test or an audit can see which connection served what).</summary>
public enum RelayUse
{
    CreateQueue,
    TopUp,
    Send,
    Receive,
}

/// <summary>A relay connection lent for one operation; disposing it closes it unless it is shared.</summary>
public sealed class RelayLease : IAsyncDisposable
{
    private readonly Func<ValueTask> _release;

    public RelayLease(RelayClient client, Func<ValueTask> release)
    {
        Client = client;
        _release = release;
    }

    public RelayClient Client { get; }

    public ValueTask DisposeAsync() => _release();
}

/// <summary>How the wallet reaches relays: a fresh connection per operation (careful) or one shared per relay (careless).</summary>
public interface IRelayConnector
{
    /// <param name="relay">The relay.</param>
    /// <param name="use">What the connection is for.</param>
    /// <param name="queue">The wallet's queue it serves (its local name), when there is one.</param>
    /// <param name="cancellationToken">Cancels the connect.</param>
    Task<RelayLease> ConnectAsync(PinnedAddress relay, RelayUse use, string? queue, CancellationToken cancellationToken);
}

/// <summary>
/// A new TLS connection (and so a new relay session, with its own nonce) for every operation: a relay cannot tell
/// that two queues paid over two connections belong to one wallet (beyond the network address: use Tor).
/// </summary>
public sealed class FreshRelayConnections : IRelayConnector
{
    public static FreshRelayConnections Instance { get; } = new();

    public async Task<RelayLease> ConnectAsync(PinnedAddress relay, RelayUse use, string? queue, CancellationToken cancellationToken)
    {
        var client = await RelayClient.ConnectAsync(relay, cancellationToken);
        return new RelayLease(client, client.DisposeAsync);
    }
}

/// <summary>One connection per relay for everything (what a careless client does; every queue on it is linkable).</summary>
public sealed class SharedRelayConnections : IRelayConnector, IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<Task<RelayClient>>> _clients = new(StringComparer.Ordinal);

    public async Task<RelayLease> ConnectAsync(PinnedAddress relay, RelayUse use, string? queue, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(relay);
        var lazy = _clients.GetOrAdd(relay.ToString(), _ => new Lazy<Task<RelayClient>>(() => RelayClient.ConnectAsync(relay, CancellationToken.None)));
        try
        {
            var client = await lazy.Value.WaitAsync(cancellationToken);
            return new RelayLease(client, () => ValueTask.CompletedTask);
        }
        catch (Exception) when (lazy.Value.IsFaulted)
        {
            _clients.TryRemove(relay.ToString(), out _);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var lazy in _clients.Values)
        {
            if (lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully)
            {
                await (await lazy.Value).DisposeAsync();
            }
        }

        _clients.Clear();
    }
}
