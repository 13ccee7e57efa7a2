using System.Net;
using System.Net.Sockets;
using System.Text;
using SimpleXLedger.Audit.Faults;

namespace SimpleXLedger.Audit.Tests.Faults;

/// <summary>
/// The proxy the fault section puts between the clearing house and the chain: it passes requests through unchanged,
/// makes the chain unreachable and reachable again, and cuts exactly at a marked request (after it reached the
/// upstream, or before). Against a small real HTTP server on loopback, over real sockets.
/// </summary>
public sealed class ChainProxyTests : IAsyncLifetime
{
    private readonly Upstream _upstream = new();
    private ChainProxy _proxy = null!;

    public Task InitializeAsync()
    {
        _proxy = ChainProxy.Start(_upstream.Url);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    [Fact]
    public async Task Requests_and_answers_pass_through_unchanged_on_kept_alive_connections()
    {
        using var http = NewClient();
        for (var i = 0; i < 3; i++)
        {
            var answer = await PostAsync(http, $"{{\"method\":\"eth_call\",\"id\":{i}}}");
            Assert.Equal($"echo {{\"method\":\"eth_call\",\"id\":{i}}}", answer);
        }

        Assert.Equal(3, _upstream.Bodies.Count);
        Assert.Equal(1, _proxy.Connections);
    }

    [Fact]
    public async Task A_closed_proxy_refuses_every_connection_until_it_is_opened_again()
    {
        using var http = NewClient();
        Assert.StartsWith("echo", await PostAsync(http, "{\"method\":\"eth_blockNumber\"}"), StringComparison.Ordinal);

        _proxy.Close();
        Assert.False(_proxy.IsOpen);
        await FailsAsync(() => PostAsync(http, "{\"method\":\"eth_blockNumber\"}"));
        await FailsAsync(() => PostAsync(http, "{\"method\":\"eth_blockNumber\"}"));
        Assert.True(_proxy.Refused >= 1);
        Assert.Single(_upstream.Bodies);

        _proxy.Open();
        Assert.StartsWith("echo", await PostAsync(http, "{\"method\":\"eth_blockNumber\"}"), StringComparison.Ordinal);
        Assert.Equal(2, _upstream.Bodies.Count);
    }

    [Fact]
    public async Task A_cut_after_forwarding_delivers_the_marked_request_but_loses_its_answer_and_closes()
    {
        using var http = NewClient();
        var cut = _proxy.CutAtNext(["eth_sendRawTransaction", "C0FFEE"], CutMode.AfterForwarding);
        Assert.StartsWith("echo", await PostAsync(http, "{\"method\":\"eth_sendRawTransaction\",\"params\":[\"0x02aa\"]}"), StringComparison.Ordinal);
        Assert.False(cut.IsCompleted);

        await FailsAsync(() => PostAsync(http, "{\"method\":\"eth_sendRawTransaction\",\"params\":[\"0x02c0ffee\"]}"));
        var at = await cut.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(CutMode.AfterForwarding, at.Mode);
        Assert.False(_proxy.IsOpen);
        Assert.Contains(_upstream.Bodies, b => b.Contains("c0ffee", StringComparison.Ordinal));
        await FailsAsync(() => PostAsync(http, "{\"method\":\"eth_blockNumber\"}"));
    }

    [Fact]
    public async Task A_cut_before_forwarding_never_delivers_the_marked_request()
    {
        using var http = NewClient();
        var cut = _proxy.CutAtNext(["eth_sendRawTransaction"], CutMode.BeforeForwarding);
        await FailsAsync(() => PostAsync(http, "{\"method\":\"eth_sendRawTransaction\",\"params\":[\"0x02bb\"]}"));
        await cut.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Empty(_upstream.Bodies);
        Assert.False(_proxy.IsOpen);

        _proxy.Open();
        Assert.StartsWith("echo", await PostAsync(http, "{\"method\":\"eth_chainId\"}"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("abc eth_SENDRAWTRANSACTION xyz", "eth_sendrawtransaction", true)]
    [InlineData("eth_sendRawTransactio", "eth_sendrawtransaction", false)]
    [InlineData("0x02F8C0FFEE", "c0ffee", true)]
    [InlineData("", "a", false)]
    public void Markers_are_found_whatever_their_case(string haystack, string needle, bool found) =>
        Assert.Equal(found, ChainProxy.ContainsIgnoringCase(Encoding.ASCII.GetBytes(haystack), Encoding.ASCII.GetBytes(needle)));

    private HttpClient NewClient() => new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { BaseAddress = new Uri(_proxy.Url), Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>
    /// The request fails for want of a connection. A connection the proxy accepts and drops at once usually surfaces as an
    /// HttpRequestException, but HttpClient lets a SocketException through when the drop comes while it is still setting
    /// the connection up (it asks the socket for its remote end after the peer has gone).
    /// </summary>
    private static async Task FailsAsync(Func<Task> request)
    {
        var e = await Assert.ThrowsAnyAsync<Exception>(request);
        Assert.True(e is HttpRequestException or SocketException or IOException, $"not a connection failure: {e.GetType().Name}");
    }

    private static async Task<string> PostAsync(HttpClient http, string body)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(new Uri("/", UriKind.Relative), content);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>A minimal HTTP/1.1 server that answers every POST with "echo " + its body, keeping connections alive.</summary>
    private sealed class Upstream : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        public Upstream()
        {
            _listener.Start();
            _loop = Task.Run(AcceptAsync);
        }

        public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

        public System.Collections.Concurrent.ConcurrentQueue<string> Bodies { get; } = new();

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            try
            {
                await _loop;
            }
            catch (OperationCanceledException)
            {
            }

            _stop.Dispose();
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
                catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                    return;
                }

                _ = Task.Run(() => ServeAsync(client));
            }
        }

        private async Task ServeAsync(TcpClient client)
        {
            using (client)
            {
                try
                {
                    var stream = client.GetStream();
                    var reader = new StreamReader(stream, Encoding.ASCII);
                    while (true)
                    {
                        var length = -1;
                        string? line;
                        while (!string.IsNullOrEmpty(line = await reader.ReadLineAsync(_stop.Token)))
                        {
                            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                            {
                                length = int.Parse(line["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
                            }
                        }

                        if (line is null || length < 0)
                        {
                            return;
                        }

                        var body = new char[length];
                        var read = 0;
                        while (read < length)
                        {
                            var n = await reader.ReadAsync(body.AsMemory(read), _stop.Token);
                            if (n == 0)
                            {
                                return;
                            }

                            read += n;
                        }

                        var text = new string(body);
                        Bodies.Enqueue(text);
                        var answer = Encoding.ASCII.GetBytes("echo " + text);
                        var head = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {answer.Length}\r\n\r\n");
                        await stream.WriteAsync(head, _stop.Token);
                        await stream.WriteAsync(answer, _stop.Token);
                    }
                }
                catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
                {
                    // The proxy reset the connection, or the server stops.
                }
            }
        }
    }
}
