using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace SimpleXLedger.Audit.Wire;

/// <summary>What the proxy saw on one TCP connection: its number and the client's ClientHello (null if none was read).</summary>
public sealed record ProxiedConnection(int Number, TlsClientHello? ClientHello);

/// <summary>
/// A TCP proxy on loopback in front of a TLS server: it passes bytes both ways untouched, counts the TCP
/// connections it accepts, and reads the ClientHello at the start of each (<see cref="TlsClientHello"/>), so a
/// test can see on the wire whether a client tried to resume a TLS session.
/// </summary>
public sealed class ClientHelloRecordingProxy : IAsyncDisposable
{
    private const int MaxClientHelloBytes = 1 << 16;

    private readonly TcpListener _listener;
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<int, ProxiedConnection> _connections = new();
    private readonly ConcurrentBag<Task> _pumps = [];
    private readonly Task _accepting;
    private int _accepted;

    private ClientHelloRecordingProxy(IPEndPoint target, IPAddress listen, int port)
    {
        _target = target;
        _listener = new TcpListener(listen, port);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Every TCP connection accepted so far, in order.</summary>
    public IReadOnlyList<ProxiedConnection> Connections => [.. _connections.Values.OrderBy(c => c.Number)];

    /// <summary>Starts a proxy to <paramref name="target"/> on a free loopback port.</summary>
    public static ClientHelloRecordingProxy Start(IPEndPoint target) => new(target, IPAddress.Loopback, 0);

    /// <summary>Starts a proxy to <paramref name="target"/> on the given loopback address and port.</summary>
    public static ClientHelloRecordingProxy Start(IPEndPoint target, IPAddress listen, int port)
    {
        ArgumentNullException.ThrowIfNull(listen);
        if (!IPAddress.IsLoopback(listen))
        {
            throw new ArgumentException("the proxy listens on loopback only", nameof(listen));
        }

        return new(target, listen, port);
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            var number = Interlocked.Increment(ref _accepted);
            _connections[number] = new ProxiedConnection(number, null);
            _pumps.Add(ServeAsync(number, client));
        }
    }

    private async Task ServeAsync(int number, TcpClient client)
    {
        using var _ = client;
        using var upstream = new TcpClient();
        try
        {
            await upstream.ConnectAsync(_target, _stop.Token);
            var down = client.GetStream();
            var up = upstream.GetStream();
            var toServer = ClientToServerAsync(number, down, up);
            var toClient = CopyAsync(up, down);
            await Task.WhenAny(toServer, toClient);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // The connection ended; what was seen is kept.
        }
    }

    private async Task ClientToServerAsync(int number, NetworkStream from, NetworkStream to)
    {
        var seen = new List<byte>();
        var reading = true;
        var buffer = new byte[16 * 1024];
        while (true)
        {
            var read = await from.ReadAsync(buffer, _stop.Token);
            if (read == 0)
            {
                to.Socket.Shutdown(SocketShutdown.Send);
                return;
            }

            if (reading)
            {
                seen.AddRange(buffer.AsSpan(0, read));
                var result = TlsClientHello.TryParse(seen.ToArray(), out var hello);
                if (result == ClientHelloParse.Parsed)
                {
                    _connections[number] = new ProxiedConnection(number, hello);
                }

                reading = result == ClientHelloParse.NeedMoreData && seen.Count < MaxClientHelloBytes;
            }

            await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
        }
    }

    private async Task CopyAsync(NetworkStream from, NetworkStream to)
    {
        await from.CopyToAsync(to, _stop.Token);
        to.Socket.Shutdown(SocketShutdown.Send);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        await Task.WhenAll(_pumps);
        _stop.Dispose();
    }
}
