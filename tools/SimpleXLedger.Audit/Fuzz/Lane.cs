using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using SimpleXLedger.Net.Tls;

namespace SimpleXLedger.Audit.Fuzz;

/// <summary>
/// One client connection pool to one service: HTTP/2 (over pinned TLS, or cleartext to loopback) or HTTP/1.1, from an
/// optional source address (the issuer holds off wrong card codes per client address). Reused by every case.
/// </summary>
internal sealed class Lane : IDisposable
{
    private readonly HttpMessageInvoker _http;
    private int _connections;

    public Lane(string name, Uri baseUri, byte[]? fingerprint, IPAddress? source, bool singleConnection, Version version)
    {
        Name = name;
        BaseUri = baseUri;
        Version = version;
        Handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = !singleConnection,
            MaxConnectionsPerServer = singleConnection ? 1 : 16,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            ConnectTimeout = TimeSpan.FromSeconds(15),
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
        };
        if (fingerprint is not null)
        {
            Handler.SslOptions = new PinnedCertificateValidator(fingerprint).ClientOptions(baseUri.Host);
        }

        // Every connection is made here (and counted): a relay session lives as long as its connection, so a fuzz case
        // must know whether the connection it said Hello on was replaced since.
        Handler.ConnectCallback = async (context, ct) =>
        {
            var socket = source is null
                ? new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true }
                : new Socket(source.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                if (source is not null)
                {
                    socket.Bind(new IPEndPoint(source, 0));
                }

                await socket.ConnectAsync(context.DnsEndPoint, ct);
                Interlocked.Increment(ref _connections);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        };

        _http = new HttpMessageInvoker(Handler, disposeHandler: false);
    }

    public string Name { get; }

    public Uri BaseUri { get; }

    public Version Version { get; }

    public SocketsHttpHandler Handler { get; }

    /// <summary>Connections made so far (a server that closes one gets a new one on the next request).</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Sends one request and reads the whole answer (at most <paramref name="maxBody"/> bytes of body).</summary>
    public async Task<WireAnswer> SendAsync(HttpRequestMessage request, TimeSpan timeout, int maxBody, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Version = Version;
        request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        try
        {
            using var response = await _http.SendAsync(request, deadline.Token);
            var body = await ReadLimitedAsync(response.Content, maxBody, deadline.Token);
            var grpcStatus = Header(response, "grpc-status");
            return new WireAnswer(
                (int)response.StatusCode,
                int.TryParse(grpcStatus, NumberStyles.None, CultureInfo.InvariantCulture, out var code) ? code : null,
                Header(response, "grpc-message") is { } m ? Uri.UnescapeDataString(m) : null,
                Header(response, "sxl-error"),
                response.Content.Headers.ContentType?.ToString() ?? (response.Headers.TryGetValues("content-type", out var c) ? string.Join(",", c) : null),
                body,
                Frames(body));
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return WireAnswer.Timeout();
        }
        catch (HttpRequestException e)
        {
            return WireAnswer.DroppedWith(Describe(e));
        }
        catch (IOException e)
        {
            return WireAnswer.DroppedWith(Describe(e));
        }
    }

    /// <summary>A gRPC call with the given raw body (normally one framed message) and content type.</summary>
    public Task<WireAnswer> GrpcAsync(string path, byte[] body, TimeSpan timeout, CancellationToken ct, string contentType = "application/grpc", HttpMethod? method = null, IEnumerable<(string Name, string Value)>? headers = null)
    {
        var request = new HttpRequestMessage(method ?? HttpMethod.Post, new Uri(BaseUri, path));
        request.Headers.TryAddWithoutValidation("te", "trailers");
        foreach (var (name, value) in headers ?? [])
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        var content = new ByteArrayContent(body);
        if (contentType.Length > 0)
        {
            content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        request.Content = content;
        return SendAsync(request, timeout, 4 << 20, ct);
    }

    /// <summary>A gRPC message framed as the protocol says: uncompressed flag, big-endian length, message.</summary>
    public static byte[] Frame(ReadOnlySpan<byte> message, byte flag = 0)
    {
        var framed = new byte[5 + message.Length];
        framed[0] = flag;
        BinaryPrimitives.WriteUInt32BigEndian(framed.AsSpan(1), (uint)message.Length);
        message.CopyTo(framed.AsSpan(5));
        return framed;
    }

    /// <summary>The messages framed in a gRPC body (as far as they are complete).</summary>
    public static IReadOnlyList<byte[]> Frames(ReadOnlySpan<byte> body)
    {
        var messages = new List<byte[]>();
        while (body.Length >= 5)
        {
            var length = BinaryPrimitives.ReadUInt32BigEndian(body[1..]);
            if (length > body.Length - 5)
            {
                break;
            }

            messages.Add(body.Slice(5, (int)length).ToArray());
            body = body[(5 + (int)length)..];
        }

        return messages;
    }

    private static string? Header(HttpResponseMessage response, string name)
    {
        if (response.TrailingHeaders.TryGetValues(name, out var t))
        {
            return t.FirstOrDefault();
        }

        return response.Headers.TryGetValues(name, out var h) ? h.FirstOrDefault() : null;
    }

    private static async Task<byte[]> ReadLimitedAsync(HttpContent content, int max, CancellationToken ct)
    {
        await using var stream = await content.ReadAsStreamAsync(ct);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length < max)
            {
                buffer.Write(chunk, 0, (int)Math.Min(read, max - buffer.Length));
            }
        }

        return buffer.ToArray();
    }

    private static string Describe(Exception e)
    {
        var inner = e;
        while (inner.InnerException is not null)
        {
            inner = inner.InnerException;
        }

        return inner is HttpProtocolException p ? $"stream reset ({p.ErrorCode})" : inner.GetType().Name;
    }

    public void Dispose()
    {
        _http.Dispose();
        Handler.Dispose();
    }
}
