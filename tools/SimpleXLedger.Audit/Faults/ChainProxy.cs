using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SimpleXLedger.Audit.Faults;

/// <summary>How the proxy cuts the connection that carries the marked request.</summary>
public enum CutMode
{
    /// <summary>The request reaches the chain (the transaction is mined) but its answer never comes back: the sender cannot know it landed.</summary>
    AfterForwarding,

    /// <summary>The request never reaches the chain.</summary>
    BeforeForwarding,
}

/// <summary>What the proxy cut, and when.</summary>
public sealed record ProxyCut(CutMode Mode, DateTimeOffset At);

/// <summary>
/// A TCP proxy in front of the chain's JSON-RPC endpoint, for one service: the fault scenario points that service's
/// <c>--rpc</c> here, then makes the chain unreachable for it (every connection reset, new ones refused) and reachable
/// again, while everyone else keeps talking to the chain directly. Armed with a marker, it cuts at the first request
/// that carries it (an <c>eth_sendRawTransaction</c> of <c>postEpoch</c>, say): the chain becomes unreachable exactly
/// while the service anchors. Bytes pass through unchanged; nothing is parsed but the marker search.
/// </summary>
public sealed class ChainProxy : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly Uri _upstream;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<Link, byte> _links = new();
    private readonly Task _accepting;
    private readonly Lock _gate = new();
    private Armed? _armed;
    private volatile bool _open = true;
    private int _refused;
    private int _connections;

    private ChainProxy(Uri upstream)
    {
        _upstream = upstream;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _accepting = Task.Run(AcceptLoopAsync);
    }

    /// <summary>The URL to give the service instead of the chain's.</summary>
    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    public bool IsOpen => _open;

    /// <summary>Connections refused (reset at once) while the proxy was closed: the service's attempts to reach the chain.</summary>
    public int Refused => Volatile.Read(ref _refused);

    /// <summary>Connections passed through to the chain so far.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Starts a proxy on a free loopback port in front of <paramref name="upstreamUrl"/> (http only).</summary>
    public static ChainProxy Start(string upstreamUrl)
    {
        var upstream = new Uri(upstreamUrl);
        if (upstream.Scheme != Uri.UriSchemeHttp)
        {
            throw new ArgumentException("the proxy forwards plain http (a loopback devnet chain)", nameof(upstreamUrl));
        }

        return new ChainProxy(upstream);
    }

    /// <summary>The chain becomes unreachable: every open connection is reset, new ones are refused.</summary>
    public void Close()
    {
        _open = false;
        foreach (var link in _links.Keys)
        {
            link.Abort();
        }
    }

    /// <summary>The chain is reachable again.</summary>
    public void Open() => _open = true;

    /// <summary>
    /// Arms a cut: the first request whose bytes hold every one of <paramref name="markers"/> (ASCII, case-insensitive)
    /// is cut as <paramref name="mode"/> says, and the proxy closes. The task completes at the cut.
    /// </summary>
    public Task<ProxyCut> CutAtNext(IReadOnlyList<string> markers, CutMode mode)
    {
        ArgumentNullException.ThrowIfNull(markers);
        var armed = new Armed([.. markers.Select(m => Encoding.ASCII.GetBytes(m.ToLowerInvariant()))], mode);
        lock (_gate)
        {
            if (_armed is { Cut.Task.IsCompleted: false })
            {
                throw new InvalidOperationException("a cut is armed already");
            }

            _armed = armed;
        }

        return armed.Cut.Task;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        foreach (var link in _links.Keys)
        {
            link.Abort();
        }

        try
        {
            await _accepting;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // Stopped.
        }

        lock (_gate)
        {
            _armed?.Cut.TrySetCanceled();
        }

        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stopping.Token);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                return;
            }

            if (!_open)
            {
                Interlocked.Increment(ref _refused);
                Reset(client);
                continue;
            }

            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(Socket client)
    {
        var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.NoDelay = true;
        var link = new Link(client, upstream);
        _links[link] = 0;
        try
        {
            await upstream.ConnectAsync(_upstream.Host, _upstream.Port, _stopping.Token);
            Interlocked.Increment(ref _connections);
            var up = PumpRequestsAsync(link);
            var down = PumpAnswersAsync(link);
            await Task.WhenAny(up, down);
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The chain or the service went away, or the proxy cut: the link ends.
        }
        finally
        {
            link.Abort();
            _links.TryRemove(link, out _);
        }
    }

    /// <summary>Service → chain. Watches each request for the armed markers.</summary>
    private async Task PumpRequestsAsync(Link link)
    {
        var buffer = new byte[16 * 1024];
        while (true)
        {
            var n = await link.Client.ReceiveAsync(buffer, SocketFlags.None, _stopping.Token);
            if (n == 0 || !_open)
            {
                return;
            }

            var chunk = buffer.AsMemory(0, n);
            link.Request.Write(chunk.Span);
            if (Match(link) is { } armed)
            {
                if (armed.Mode == CutMode.BeforeForwarding)
                {
                    CutNow(armed);
                    return;
                }

                // Forwarded: the answer (sent once the transaction is mined) is what gets lost.
                link.CutOnAnswer = armed;
            }

            await link.Upstream.SendAsync(chunk, SocketFlags.None, _stopping.Token);
        }
    }

    /// <summary>Chain → service. A new answer starts a new request on the link.</summary>
    private async Task PumpAnswersAsync(Link link)
    {
        var buffer = new byte[16 * 1024];
        while (true)
        {
            var n = await link.Upstream.ReceiveAsync(buffer, SocketFlags.None, _stopping.Token);
            if (n == 0 || !_open)
            {
                return;
            }

            if (link.CutOnAnswer is { } armed)
            {
                CutNow(armed);
                return;
            }

            link.Request.SetLength(0);
            await link.Client.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, _stopping.Token);
        }
    }

    private Armed? Match(Link link)
    {
        Armed? armed;
        lock (_gate)
        {
            armed = _armed;
        }

        if (armed is null || armed.Cut.Task.IsCompleted)
        {
            return null;
        }

        var seen = link.Request.GetBuffer().AsSpan(0, (int)link.Request.Length);
        foreach (var marker in armed.Markers)
        {
            if (!ContainsIgnoringCase(seen, marker))
            {
                return null;
            }
        }

        return armed;
    }

    private void CutNow(Armed armed)
    {
        Close();
        armed.Cut.TrySetResult(new ProxyCut(armed.Mode, DateTimeOffset.UtcNow));
    }

    internal static bool ContainsIgnoringCase(ReadOnlySpan<byte> haystack, ReadOnlySpan<byte> lowerNeedle)
    {
        for (var i = 0; i + lowerNeedle.Length <= haystack.Length; i++)
        {
            var j = 0;
            while (j < lowerNeedle.Length && ToLower(haystack[i + j]) == lowerNeedle[j])
            {
                j++;
            }

            if (j == lowerNeedle.Length)
            {
                return true;
            }
        }

        return false;
    }

    private static byte ToLower(byte b) => b is >= (byte)'A' and <= (byte)'Z' ? (byte)(b + 32) : b;

    private static void Reset(Socket socket)
    {
        try
        {
            // Linger 0: close sends a reset, as a host that went away would.
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Gone already.
        }
    }

    private sealed record Armed(IReadOnlyList<byte[]> Markers, CutMode Mode)
    {
        public TaskCompletionSource<ProxyCut> Cut { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class Link(Socket client, Socket upstream)
    {
        private int _aborted;

        public Socket Client { get; } = client;

        public Socket Upstream { get; } = upstream;

        /// <summary>The bytes of the request in progress (since the last answer began).</summary>
        public MemoryStream Request { get; } = new();

        public Armed? CutOnAnswer { get; set; }

        public void Abort()
        {
            if (Interlocked.Exchange(ref _aborted, 1) == 0)
            {
                Reset(Client);
                Reset(Upstream);
            }
        }
    }
}
