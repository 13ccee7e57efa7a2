using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace SimpleXLedger.Hosting.Tests.Tracing;

/// <summary>A small hand-bound gRPC service (no .proto needed): echo, a refusal, and a server stream.</summary>
/// <remarks>Bound the way generated code is: gRPC finds each method as a virtual on the attributed base type.</remarks>
[BindServiceMethod(typeof(EchoServiceBase), nameof(BindService))]
public abstract class EchoServiceBase
{
    private static readonly Marshaller<BytesValue> Bytes = Marshallers.Create(m => m.ToByteArray(), BytesValue.Parser.ParseFrom);

    public static readonly Method<BytesValue, BytesValue> EchoMethod = new(MethodType.Unary, "test.Echo", nameof(Echo), Bytes, Bytes);

    public static readonly Method<BytesValue, BytesValue> RefuseMethod = new(MethodType.Unary, "test.Echo", nameof(Refuse), Bytes, Bytes);

    public static readonly Method<BytesValue, BytesValue> RepeatMethod = new(MethodType.ServerStreaming, "test.Echo", nameof(Repeat), Bytes, Bytes);

    public static void BindService(ServiceBinderBase binder, EchoServiceBase service)
    {
        ArgumentNullException.ThrowIfNull(binder);
        binder.AddMethod(EchoMethod, (UnaryServerMethod<BytesValue, BytesValue>)null!);
        binder.AddMethod(RefuseMethod, (UnaryServerMethod<BytesValue, BytesValue>)null!);
        binder.AddMethod(RepeatMethod, (ServerStreamingServerMethod<BytesValue, BytesValue>)null!);
    }

    public virtual Task<BytesValue> Echo(BytesValue request, ServerCallContext context) => Task.FromResult(new BytesValue { Value = ByteString.CopyFrom([.. request.Value.Span, .. request.Value.Span]) });

    public virtual Task<BytesValue> Refuse(BytesValue request, ServerCallContext context) => throw new RpcException(new Status(StatusCode.PermissionDenied, "no"));

    public virtual async Task Repeat(BytesValue request, IServerStreamWriter<BytesValue> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(responseStream);
        for (var i = 0; i < 3; i++)
        {
            await responseStream.WriteAsync(request);
        }
    }
}

public sealed class EchoService : EchoServiceBase
{
}
