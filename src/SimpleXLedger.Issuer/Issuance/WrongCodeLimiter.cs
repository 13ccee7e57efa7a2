using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;

namespace SimpleXLedger.Issuer.Issuance;

/// <summary>
/// Holds off clients that present wrong card codes, per client and for everybody together, in memory only.
/// A client is known by a keyed hash of its address (HMAC-SHA-256 under a random key made at start, never stored),
/// kept in a bounded least-recently-used table: no address is stored, and nothing survives a restart.
/// With 140-bit codes guessing is hopeless anyway; this keeps it from even costing the issuer anything.
/// </summary>
public sealed class WrongCodeLimiter
{
    private const int MaxClients = 10_000;
    private readonly byte[] _processKey = RandomNumberGenerator.GetBytes(32);
    private readonly int _perClient;
    private readonly int _global;
    private readonly TimeProvider _time;
    private readonly ILogger<WrongCodeLimiter> _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<ClientId, LinkedListNode<Entry>> _clients = [];
    private readonly LinkedList<Entry> _recency = new();
    private Window _globalWindow;
    private long _lastWarned;

    public WrongCodeLimiter(IssuerSettings settings, TimeProvider time, ILogger<WrongCodeLimiter> logger)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _perClient = settings.WrongCodesPerClientPerMinute;
        _global = settings.WrongCodesGlobalPerMinute;
        _time = time;
        _logger = logger;
    }

    /// <summary>True when this client may try a code now (checked before any lookup).</summary>
    public bool MayTry(IPAddress? client)
    {
        var minute = CurrentMinute();
        var id = Identify(client);
        lock (_gate)
        {
            if (_globalWindow.CountIn(minute) >= _global)
            {
                Warn("global");
                return false;
            }

            if (_clients.TryGetValue(id, out var node) && node.Value.Window.CountIn(minute) >= _perClient)
            {
                Warn("per-client");
                return false;
            }

            return true;
        }
    }

    /// <summary>Counts a wrong code (malformed or unknown) against the client and against everybody.</summary>
    public void RecordWrong(IPAddress? client)
    {
        var minute = CurrentMinute();
        var id = Identify(client);
        lock (_gate)
        {
            _globalWindow = _globalWindow.Add(minute);
            if (_clients.TryGetValue(id, out var node))
            {
                _recency.Remove(node);
                node.Value = node.Value with { Window = node.Value.Window.Add(minute) };
                _recency.AddFirst(node);
                return;
            }

            if (_clients.Count >= MaxClients)
            {
                var oldest = _recency.Last!;
                _recency.RemoveLast();
                _clients.Remove(oldest.Value.Id);
            }

            _clients[id] = _recency.AddFirst(new Entry(id, default(Window).Add(minute)));
        }
    }

    internal int TrackedClients
    {
        get
        {
            lock (_gate)
            {
                return _clients.Count;
            }
        }
    }

    private void Warn(string which)
    {
        // Once a minute at most, and only which limit: never the code, never the client.
        var minute = CurrentMinute();
        if (Interlocked.Exchange(ref _lastWarned, minute) != minute)
        {
            _logger.LogWarning("wrong card code limit hit ({Limit}); further attempts are refused for now", which);
        }
    }

    private long CurrentMinute() => _time.GetUtcNow().ToUnixTimeSeconds() / 60;

    private ClientId Identify(IPAddress? client)
    {
        var address = client is null ? [] : client.IsIPv4MappedToIPv6 ? client.MapToIPv4().GetAddressBytes() : client.GetAddressBytes();
        var mac = HMACSHA256.HashData(_processKey, address);
        return new ClientId(BitConverter.ToUInt64(mac, 0), BitConverter.ToUInt64(mac, 8));
    }

    private readonly record struct ClientId(ulong A, ulong B);

    private sealed record Entry(ClientId Id, Window Window);

    /// <summary>A sliding count over the current and the previous minute.</summary>
    private readonly record struct Window(long Minute, int Current, int Previous)
    {
        public int CountIn(long minute) =>
            minute == Minute ? Current + Previous : minute == Minute + 1 ? Current : 0;

        public Window Add(long minute) =>
            minute == Minute ? this with { Current = Current + 1 }
            : minute == Minute + 1 ? new Window(minute, 1, Current)
            : new Window(minute, 1, 0);
    }
}
