using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using SimpleXLedger.Audit.Wire;
using SimpleXLedger.Devnet.Network;
using SimpleXLedger.Net;
using SimpleXLedger.Wallet.Issuance;
using SimpleXLedger.Wallet.Spending;

namespace SimpleXLedger.Audit;

/// <summary>What the proxies in front of one service saw of one population's wallets.</summary>
public sealed record WireService(string Population, string Service, int Connections, int ClientHellos, int PreSharedKeys, int SessionTickets, int FreshPromised)
{
    /// <summary>Fewer TCP connections than operations the wallet promised a connection of its own: one was reused.</summary>
    public int FreshReused => Math.Max(0, FreshPromised - Connections);

    /// <summary>Connections that began with no ClientHello: plain HTTP (the devnet issuer serves loopback without TLS).</summary>
    public int Plaintext => Connections - ClientHellos;

    public bool Ok => PreSharedKeys == 0 && SessionTickets == 0 && FreshReused == 0;
}

/// <summary>
/// Issue 21, point 1, proved on the wire: a TCP proxy (<see cref="ClientHelloRecordingProxy"/>) in front of every service
/// a population's wallets talk to — each relay, the issuer (gRPC and RFC 9578 HTTP), the clearing house and the TURN
/// credential service — reads every ClientHello. A <c>pre_shared_key</c> (TLS 1.3 resumption) or a non-empty TLS 1.2
/// session ticket from a wallet fails the run, and so does a wallet that promised a fresh connection per relay
/// operation (<see cref="FreshRelayConnections"/>) and made fewer connections than operations. Bytes pass untouched:
/// the wallets pin the services' certificates through the proxies as they would directly.
/// </summary>
internal sealed class WalletWire : IAsyncDisposable
{
    private readonly Dictionary<string, ClientHelloRecordingProxy> _proxies = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _relayAddresses = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _relayOf = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _realOf = new(StringComparer.Ordinal);

    private readonly IPAddress _listen;

    private WalletWire(string population, IPAddress listen)
    {
        Population = population;
        _listen = listen;
    }

    public string Population { get; }

    /// <summary>Counts the relay operations the population's careful wallets promised a fresh connection for.</summary>
    public CountingFreshConnections Fresh { get; } = new();

    /// <summary>The issuer, as the population's wallets reach it (through the proxies).</summary>
    public IssuerEndpoint Issuer { get; private set; } = null!;

    /// <summary>The clearing house's address through its proxy.</summary>
    public string Clearing { get; private set; } = string.Empty;

    /// <summary>The TURN credential service's address through its proxy, or null without one.</summary>
    public string? Turn { get; private set; }

    /// <summary>
    /// Starts the proxies on <paramref name="listen"/> (a loopback address of the population's own), each on its
    /// service's port: the issuer answers only requests whose Host names its port, as a client reaching it directly would.
    /// </summary>
    public static WalletWire Start(DevnetNetwork network, string population, IPAddress listen)
    {
        ArgumentNullException.ThrowIfNull(network);
        var wire = new WalletWire(population, listen);
        foreach (var relay in network.Relays)
        {
            var through = wire.Proxy(relay.Name, relay.Address);
            wire._relayAddresses[relay.Address] = through;
            wire._relayOf[relay.Name] = relay.Address;
            wire._realOf[through] = relay.Address;
        }

        wire.Fresh.RealAddress = a => wire._realOf.GetValueOrDefault(a, a);

        var grpc = wire.Proxy("issuer-grpc", network.Issuer.Grpc);
        var http = wire.Proxy("issuer-http", network.Issuer.Http);
        wire.Issuer = new IssuerEndpoint(grpc, http);
        wire.Clearing = wire.Proxy("clearing", network.Clearing.Address);
        wire.Turn = network.Turn is { } turn ? wire.Proxy("turn", turn.Address) : null;
        return wire;
    }

    /// <summary>The relay's address through its proxy (the same certificate fingerprint, the proxy's port).</summary>
    public string Relay(string address) => _relayAddresses[address];

    /// <summary>What every proxy saw, per service.</summary>
    public IReadOnlyList<WireService> Figures() =>
    [
        .. _proxies.Select(p =>
        {
            var connections = p.Value.Connections;
            var hellos = connections.Where(c => c.ClientHello is not null).Select(c => c.ClientHello!).ToList();
            var fresh = _relayOf.TryGetValue(p.Key, out var real) ? Fresh.Count(real) : 0;
            return new WireService(Population, p.Key, connections.Count, hellos.Count, hellos.Count(h => h.HasPreSharedKey), hellos.Count(h => h.HasSessionTicket), fresh);
        }),
    ];

    private string Proxy(string service, string pinned)
    {
        var address = PinnedAddress.Parse(pinned);
        var proxy = Start(address.HttpsUri);
        _proxies[service] = proxy;
        var at = pinned.LastIndexOf('@');
        return PinnedAddress.Parse($"{pinned[..at]}@{_listen}:{proxy.Port.ToString(CultureInfo.InvariantCulture)}").ToString();
    }

    private Uri Proxy(string service, Uri url)
    {
        var proxy = Start(url);
        _proxies[service] = proxy;
        return new UriBuilder(url) { Host = _listen.ToString(), Port = proxy.Port }.Uri;
    }

    private ClientHelloRecordingProxy Start(Uri target) =>
        ClientHelloRecordingProxy.Start(new IPEndPoint(IPAddress.Parse(target.Host), target.Port), _listen, target.Port);

    public async ValueTask DisposeAsync()
    {
        foreach (var proxy in _proxies.Values)
        {
            await proxy.DisposeAsync();
        }
    }

    public static JsonArray ToJson(IEnumerable<WireService> figures) =>
        new([.. figures.Select(f => (JsonNode)new JsonObject
        {
            ["population"] = f.Population,
            ["service"] = f.Service,
            ["connections"] = f.Connections,
            ["clientHellos"] = f.ClientHellos,
            ["plaintext"] = f.Plaintext,
            ["preSharedKeys"] = f.PreSharedKeys,
            ["sessionTickets"] = f.SessionTickets,
            ["freshPromised"] = f.FreshPromised,
            ["freshReused"] = f.FreshReused,
            ["ok"] = f.Ok,
        })]);
}

/// <summary><see cref="FreshRelayConnections"/>, counting per relay the operations it promised a connection of their own.</summary>
internal sealed class CountingFreshConnections : IRelayConnector
{
    private readonly ConcurrentDictionary<string, int> _counts = new(StringComparer.Ordinal);

    /// <summary>Relay addresses (through the proxy) back to the real ones, for counting.</summary>
    public Func<string, string> RealAddress { get; set; } = a => a;

    public int Count(string realRelay) => _counts.GetValueOrDefault(realRelay);

    public async Task<RelayLease> ConnectAsync(PinnedAddress relay, RelayUse use, string? queue, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(relay);
        var lease = await FreshRelayConnections.Instance.ConnectAsync(relay, use, queue, cancellationToken);
        _counts.AddOrUpdate(RealAddress(relay.ToString()), 1, (_, n) => n + 1);
        return lease;
    }
}
