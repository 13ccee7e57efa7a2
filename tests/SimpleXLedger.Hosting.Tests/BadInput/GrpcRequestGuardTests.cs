using System.Buffers.Binary;
using System.Net;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using SimpleXLedger.Hosting.BadInput;

namespace SimpleXLedger.Hosting.Tests.BadInput;

/// <summary>
/// The gRPC request guard on a real Kestrel host (HTTP/2 cleartext, loopback): every way a request body can be broken
/// gets a typed status (never Unknown or Internal) and never reaches the method; good calls pass unchanged.
/// </summary>
public sealed class GrpcRequestGuardTests : IAsyncLifetime
{
    private const string EchoPath = "/test.Guarded/Echo";
    private WebApplication _app = null!;
    private Uri _address = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc(o => o.MaxReceiveMessageSize = 64 * 1024);
        builder.Services.AddGrpcRequestGuard();
        _app = builder.Build();
        _app.UseGrpcRequestGuard();
        _app.MapGrpcService<GuardedService>();
        await _app.StartAsync();
        _address = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        _http = new HttpClient();
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _app.DisposeAsync();
    }

    public static TheoryData<string, byte[], string?, StatusCode> BrokenBodies()
    {
        var message = new BytesValue { Value = ByteString.CopyFromUtf8("hello") }.ToByteArray();
        var longer = Frame(message);
        BinaryPrimitives.WriteUInt32BigEndian(longer.AsSpan(1), (uint)message.Length + 10);
        var huge = Frame(message);
        BinaryPrimitives.WriteUInt32BigEndian(huge.AsSpan(1), uint.MaxValue);
        return new TheoryData<string, byte[], string?, StatusCode>
        {
            { "empty body", [], null, StatusCode.InvalidArgument },
            { "header cut short", Frame(message)[..3], null, StatusCode.InvalidArgument },
            { "length longer than the message", longer, null, StatusCode.InvalidArgument },
            { "two messages", [.. Frame(message), .. Frame(message)], null, StatusCode.InvalidArgument },
            { "data after the message", [.. Frame(message), 1, 2, 3], null, StatusCode.InvalidArgument },
            { "undefined flag", Frame(message, 7), null, StatusCode.InvalidArgument },
            { "compressed without an encoding", Frame(message, 1), null, StatusCode.InvalidArgument },
            { "compressed as identity", Frame(message, 1), "identity", StatusCode.InvalidArgument },
            { "gzip that is not gzip", Frame(message, 1), "gzip", StatusCode.InvalidArgument },
            { "an encoding not served", Frame(message, 1), "snappy", StatusCode.Unimplemented },
            { "not protobuf", Frame([0xFF, 0xFF, 0xFF, 0xFF, 0x0F]), null, StatusCode.InvalidArgument },
            { "nested past the limit", Frame([.. Enumerable.Repeat((byte)((15 << 3) | 3), 200)]), null, StatusCode.InvalidArgument },
            { "declared 4 GB", huge, null, StatusCode.ResourceExhausted },
            { "over the size limit", Frame(new BytesValue { Value = ByteString.CopyFrom(new byte[70 * 1024]) }.ToByteArray()), null, StatusCode.ResourceExhausted },
        };
    }

    [Theory]
    [MemberData(nameof(BrokenBodies))]
    public async Task A_broken_single_message_request_gets_a_typed_status_and_never_reaches_the_method(string what, byte[] body, string? encoding, StatusCode expected)
    {
        foreach (var path in new[] { EchoPath, "/test.Guarded/Repeat" })
        {
            var (http, status, reason) = await SendAsync(path, body, "application/grpc", encoding);
            Assert.True(status == expected, $"{what} on {path}: HTTP {http}, grpc-status {status}");
            Assert.Equal(GrpcRequestGuard.Reason, reason);
        }

        Assert.Equal(0, GuardedService.Calls);
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("text/plain")]
    [InlineData("application/grpc-web")]
    [InlineData("")]
    public async Task A_request_that_is_not_grpc_is_refused_with_415_and_a_typed_status(string contentType)
    {
        var (http, status, _) = await SendAsync(EchoPath, Frame(new BytesValue().ToByteArray()), contentType, null);
        Assert.Equal((415, StatusCode.InvalidArgument), (http, status));
    }

    [Fact]
    public async Task Good_calls_pass_unchanged_unary_server_streaming_and_duplex()
    {
        using var channel = GrpcChannel.ForAddress(_address);
        var invoker = channel.CreateCallInvoker();
        var hello = new BytesValue { Value = ByteString.CopyFromUtf8("hello") };
        Assert.Equal(hello, await invoker.AsyncUnaryCall(GuardedService.EchoMethod, null, default, hello));

        using var repeat = invoker.AsyncServerStreamingCall(GuardedService.RepeatMethod, null, default, hello);
        var received = 0;
        while (await repeat.ResponseStream.MoveNext(CancellationToken.None))
        {
            received++;
        }

        Assert.Equal(2, received);
        using var chat = invoker.AsyncDuplexStreamingCall(GuardedService.ChatMethod, null, default);
        await chat.RequestStream.WriteAsync(hello);
        await chat.RequestStream.WriteAsync(hello);
        await chat.RequestStream.CompleteAsync();
        var replies = 0;
        while (await chat.ResponseStream.MoveNext(CancellationToken.None))
        {
            replies++;
        }

        Assert.Equal(2, replies);
    }

    [Fact]
    public async Task A_message_that_is_not_protobuf_on_a_client_stream_ends_the_call_with_invalid_argument_after_the_good_ones()
    {
        var good = Frame(new BytesValue { Value = ByteString.CopyFromUtf8("ok") }.ToByteArray());
        var (http, status, reason) = await SendAsync("/test.Guarded/Chat", [.. good, .. Frame([0xFF, 0xFF, 0xFF, 0xFF, 0x0F])], "application/grpc", null);
        Assert.Equal((200, StatusCode.InvalidArgument, GrpcRequestGuard.Reason), (http, status, reason));

        var (_, cut, _) = await SendAsync("/test.Guarded/Chat", [.. good, .. good[..7]], "application/grpc", null);
        Assert.Equal(StatusCode.InvalidArgument, cut);
    }

    private async Task<(int Http, StatusCode? Status, string? Reason)> SendAsync(string path, byte[] body, string contentType, string? encoding)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_address, path)) { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        request.Headers.TryAddWithoutValidation("te", "trailers");
        if (encoding is not null)
        {
            request.Headers.TryAddWithoutValidation("grpc-encoding", encoding);
        }

        request.Content = new ByteArrayContent(body);
        if (contentType.Length > 0)
        {
            request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        using var response = await _http.SendAsync(request);
        await response.Content.ReadAsByteArrayAsync();
        string? Header(string name) =>
            response.TrailingHeaders.TryGetValues(name, out var t) ? t.First() : response.Headers.TryGetValues(name, out var h) ? h.First() : null;
        return ((int)response.StatusCode, Header("grpc-status") is { } s ? (StatusCode)int.Parse(s, System.Globalization.CultureInfo.InvariantCulture) : null, Header("sxl-error"));
    }

    private static byte[] Frame(byte[] message, byte flag = 0)
    {
        var framed = new byte[5 + message.Length];
        framed[0] = flag;
        BinaryPrimitives.WriteUInt32BigEndian(framed.AsSpan(1), (uint)message.Length);
        message.CopyTo(framed, 5);
        return framed;
    }
}

/// <summary>A hand-bound service with one method of each shape the guard treats differently; counts calls that got through.</summary>
[BindServiceMethod(typeof(GuardedService), nameof(BindService))]
public class GuardedService
{
    private static readonly Marshaller<BytesValue> Bytes = Marshallers.Create(m => m.ToByteArray(), BytesValue.Parser.ParseFrom);

    public static readonly Method<BytesValue, BytesValue> EchoMethod = new(MethodType.Unary, "test.Guarded", nameof(Echo), Bytes, Bytes);

    public static readonly Method<BytesValue, BytesValue> RepeatMethod = new(MethodType.ServerStreaming, "test.Guarded", nameof(Repeat), Bytes, Bytes);

    public static readonly Method<BytesValue, BytesValue> ChatMethod = new(MethodType.DuplexStreaming, "test.Guarded", nameof(Chat), Bytes, Bytes);

    private static int _calls;

    /// <summary>Calls of the single-message methods that reached them.</summary>
    public static int Calls => Volatile.Read(ref _calls);

    public static void BindService(ServiceBinderBase binder, GuardedService service)
    {
        ArgumentNullException.ThrowIfNull(binder);
        binder.AddMethod(EchoMethod, (UnaryServerMethod<BytesValue, BytesValue>)null!);
        binder.AddMethod(RepeatMethod, (ServerStreamingServerMethod<BytesValue, BytesValue>)null!);
        binder.AddMethod(ChatMethod, (DuplexStreamingServerMethod<BytesValue, BytesValue>)null!);
    }

    public virtual Task<BytesValue> Echo(BytesValue request, ServerCallContext context)
    {
        Interlocked.Increment(ref _calls);
        return Task.FromResult(request);
    }

    public virtual async Task Repeat(BytesValue request, IServerStreamWriter<BytesValue> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(responseStream);
        Interlocked.Increment(ref _calls);
        await responseStream.WriteAsync(request);
        await responseStream.WriteAsync(request);
    }

    public virtual async Task Chat(IAsyncStreamReader<BytesValue> requestStream, IServerStreamWriter<BytesValue> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requestStream);
        ArgumentNullException.ThrowIfNull(responseStream);
        while (await requestStream.MoveNext(CancellationToken.None))
        {
            await responseStream.WriteAsync(requestStream.Current);
        }
    }
}
