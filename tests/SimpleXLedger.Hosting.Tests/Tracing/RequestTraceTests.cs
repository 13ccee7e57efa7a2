using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using SimpleXLedger.Hosting.Tracing;

namespace SimpleXLedger.Hosting.Tests.Tracing;

/// <summary>
/// The request trace on a real Kestrel host (gRPC on HTTP/2, routes on HTTP/1.1, loopback): one line per request with
/// its call, sizes and status, and nothing of what the requests carried.
/// </summary>
public sealed class RequestTraceTests : IAsyncLifetime
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "sxl-trace-" + Guid.NewGuid().ToString("N")[..8]);
    private WebApplication _app = null!;
    private Uri _grpc = null!;
    private Uri _http = null!;

    public async Task InitializeAsync() => (_app, _grpc, _http) = await StartAsync(_data, enabled: true);

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }

    [Fact]
    public async Task A_unary_call_is_one_line_with_its_method_message_sizes_and_status_and_not_its_content()
    {
        var secret = RandomNumberGenerator.GetBytes(48);
        var request = new BytesValue { Value = ByteString.CopyFrom(secret) };
        using var channel = GrpcChannel.ForAddress(_grpc);
        var reply = await channel.CreateCallInvoker().AsyncUnaryCall(EchoServiceBase.EchoMethod, null, default, request);

        var entry = Assert.Single(await TraceAsync(e => e.Call == "/test.Echo/Echo"));
        Assert.Equal(RequestKind.Grpc, entry.Kind);
        Assert.Equal((1, (long)request.CalculateSize(), 1, (long)reply.CalculateSize(), "OK"), (entry.RequestMessages, entry.RequestBytes, entry.ResponseMessages, entry.ResponseBytes, entry.Status));
        Assert.True(entry.DurationMicros >= 0);
        Assert.InRange(entry.At, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddSeconds(1));
        AssertAbsent(secret);
    }

    [Fact]
    public async Task A_refused_call_is_traced_with_its_status_and_a_stream_with_its_message_count()
    {
        using var channel = GrpcChannel.ForAddress(_grpc);
        var invoker = channel.CreateCallInvoker();
        var refused = await Assert.ThrowsAsync<RpcException>(() => invoker.AsyncUnaryCall(EchoServiceBase.RefuseMethod, null, default, new BytesValue()).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);

        var request = new BytesValue { Value = ByteString.CopyFrom(new byte[10]) };
        using var stream = invoker.AsyncServerStreamingCall(EchoServiceBase.RepeatMethod, null, default, request);
        var received = 0;
        while (await stream.ResponseStream.MoveNext(CancellationToken.None))
        {
            received++;
        }

        Assert.Equal("PermissionDenied", Assert.Single(await TraceAsync(e => e.Call == "/test.Echo/Refuse")).Status);
        var repeat = Assert.Single(await TraceAsync(e => e.Call == "/test.Echo/Repeat"));
        Assert.Equal((1, received, 3 * (long)request.CalculateSize(), "OK"), (repeat.RequestMessages, repeat.ResponseMessages, repeat.ResponseBytes, repeat.Status));
    }

    [Fact]
    public async Task An_http_request_is_traced_by_its_route_pattern_and_body_sizes_not_its_path_or_headers()
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));
        var body = RandomNumberGenerator.GetBytes(300);
        using var http = new HttpClient();
        using var content = new ByteArrayContent(body);
        using var post = new HttpRequestMessage(HttpMethod.Post, new Uri(_http, $"/items/{id}")) { Content = content };
        post.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var reply = await http.SendAsync(post);
        Assert.Equal(HttpStatusCode.OK, reply.StatusCode);
        var answered = await reply.Content.ReadAsByteArrayAsync();
        using var missing = await http.GetAsync(new Uri(_http, $"/nothing/{id}"));

        var entry = Assert.Single(await TraceAsync(e => e.Call == "POST /items/{id}"));
        Assert.Equal((RequestKind.Http, 300L, (long)answered.Length, "200"), (entry.Kind, entry.RequestBytes, entry.ResponseBytes, entry.Status));
        var unmatched = Assert.Single(await TraceAsync(e => e.Call == RequestTraceEntry.Unmatched && e.Kind == RequestKind.Http));
        Assert.Equal("404", unmatched.Status);
        AssertAbsent(Encoding.ASCII.GetBytes(id));
        AssertAbsent(Encoding.ASCII.GetBytes(token));
        AssertAbsent(body);
    }

    [Fact]
    public async Task A_restarted_service_continues_the_file_after_a_line_cut_short_by_a_crash()
    {
        using var channel = GrpcChannel.ForAddress(_grpc);
        await channel.CreateCallInvoker().AsyncUnaryCall(EchoServiceBase.EchoMethod, null, default, new BytesValue());
        await _app.DisposeAsync();
        var path = RequestTracing.PathIn(_data);
        await File.AppendAllTextAsync(path, "1764241234567\t12\tgrpc\t/test.Ec");   // what a SIGKILL mid-write leaves

        (_app, _grpc, _) = await StartAsync(_data, enabled: true);
        using var again = GrpcChannel.ForAddress(_grpc);
        await again.CreateCallInvoker().AsyncUnaryCall(EchoServiceBase.EchoMethod, null, default, new BytesValue());
        Assert.Equal(2, (await TraceAsync(e => e.Call == "/test.Echo/Echo", atLeast: 2)).Count);
        Assert.Contains(RequestTraceEntry.Restarted, await File.ReadAllLinesAsync(path));
    }

    [Fact]
    public async Task Without_the_switch_nothing_is_traced()
    {
        var data = _data + "-off";
        var (app, grpc, _) = await StartAsync(data, enabled: false);
        await using (app)
        {
            using var channel = GrpcChannel.ForAddress(grpc);
            await channel.CreateCallInvoker().AsyncUnaryCall(EchoServiceBase.EchoMethod, null, default, new BytesValue());
        }

        Assert.False(File.Exists(RequestTracing.PathIn(data)));
        if (Directory.Exists(data))
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Theory]
    [InlineData("1764241234567\t12\tgrpc\t/test.Echo/Echo\t1\t50\t1\t98\tOK\textra")]
    [InlineData("1764241234567\t12\tgrpc\t/items/0123456789abcdef0123456789abcdef/x y\t1\t50\t1\t98\tOK")]
    [InlineData("1764241234567\t12\thttp\tPOST /items?code=ABCD-EFGH\t1\t50\t1\t98\t200")]
    [InlineData("1764241234567\t12\tgrpc\t/test.Echo/Echo\t1\t50\t1\t98\tOK because token=abc")]
    [InlineData("not a trace line at all")]
    public void A_line_holding_anything_but_the_trace_fields_is_refused_by_the_reader(string line)
    {
        Assert.False(RequestTraceEntry.TryParse(line, out _));
        var path = Path.Combine(Path.GetTempPath(), "sxl-trace-bad-" + Guid.NewGuid().ToString("N")[..8] + ".tsv");
        try
        {
            File.WriteAllText(path, $"{RequestTraceEntry.Header}\n{line}\n1764241234567\t12\tgrpc\t/test.Echo/Echo\t1\t50\t1\t98\tOK\n");
            var error = Assert.Throws<InvalidDataException>(() => RequestTraceFile.Read(path));
            Assert.DoesNotContain(line, error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void An_entry_reads_back_as_written()
    {
        var entry = new RequestTraceEntry(DateTimeOffset.FromUnixTimeMilliseconds(1_764_241_234_567), 1234, RequestKind.Http, "GET /.well-known/private-token-issuer-directory", 1, 0, 1, 512, "200");
        Assert.True(RequestTraceEntry.TryParse(entry.ToLine(), out var back));
        Assert.Equal(entry, back);
    }

    /// <summary>The trace's entries matching <paramref name="match"/>, once at least <paramref name="atLeast"/> are flushed (or after 30 s, so a test sees too few rather than hangs).</summary>
    private async Task<List<RequestTraceEntry>> TraceAsync(Func<RequestTraceEntry, bool> match, int atLeast = 1)
    {
        _app.Services.GetRequiredService<RequestTraceWriter>().Flush();
        // The call's line is written when the server finishes the call, which may be just after the client has its answer.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var path = RequestTracing.PathIn(_data);
            var found = File.Exists(path) ? RequestTraceFile.Read(path).Where(match).ToList() : [];
            if (found.Count >= atLeast || timeout.IsCancellationRequested)
            {
                return found;
            }

            await Task.Delay(50, timeout.Token).ContinueWith(_ => { }, TaskScheduler.Default);
            _app.Services.GetRequiredService<RequestTraceWriter>().Flush();
        }
    }

    private void AssertAbsent(byte[] value)
    {
        var file = File.ReadAllBytes(RequestTracing.PathIn(_data));
        foreach (var form in new[] { value, Encoding.ASCII.GetBytes(Convert.ToHexString(value)), Encoding.ASCII.GetBytes(Convert.ToHexStringLower(value)), Encoding.ASCII.GetBytes(Convert.ToBase64String(value)) })
        {
            Assert.True(file.AsSpan().IndexOf(form) < 0, "a request's content is in the trace");
        }
    }

    private static async Task<(WebApplication App, Uri Grpc, Uri Http)> StartAsync(string data, bool enabled)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2);
            k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http1);
        });
        builder.Services.AddGrpc();
        builder.Services.AddRequestTrace(data, enabled);
        var app = builder.Build();
        app.UseRequestTrace();
        app.MapGrpcService<EchoService>();
        app.MapPost("/items/{id}", async (HttpContext context, string id) =>
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer);
            await context.Response.WriteAsync($"stored {buffer.Length} bytes");
        });
        await app.StartAsync();
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a)).ToList();
        return (app, addresses[0], addresses[1]);
    }
}
