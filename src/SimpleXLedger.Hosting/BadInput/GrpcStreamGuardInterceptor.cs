using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace SimpleXLedger.Hosting.BadInput;

/// <summary>
/// Reads client streams through a guard: a message that is cut short, wrongly flagged or not protobuf ends the call
/// with INVALID_ARGUMENT instead of Internal or Unknown (or, as an IOException, being mistaken for a client that went
/// away). Too large stays RESOURCE_EXHAUSTED (grpc-dotnet's own answer).
/// </summary>
public sealed class GrpcStreamGuardInterceptor : Interceptor
{
    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        return continuation(new GuardedReader<TRequest>(requestStream), context);
    }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        return continuation(new GuardedReader<TRequest>(requestStream), responseStream, context);
    }

    private sealed class GuardedReader<T>(IAsyncStreamReader<T> inner) : IAsyncStreamReader<T>
    {
        public T Current => inner.Current;

        public async Task<bool> MoveNext(CancellationToken cancellationToken)
        {
            try
            {
                return await inner.MoveNext(cancellationToken);
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.Internal or StatusCode.Unknown && !cancellationToken.IsCancellationRequested)
            {
                throw Malformed("a message on the stream is incomplete or wrongly framed");
            }
            catch (InvalidProtocolBufferException)
            {
                throw Malformed("a message on the stream is not a valid request");
            }
            catch (InvalidDataException)
            {
                throw Malformed("a message on the stream is wrongly framed or compressed");
            }
        }

        private static RpcException Malformed(string message) =>
            new(new Status(StatusCode.InvalidArgument, message), new Metadata { { "sxl-error", GrpcRequestGuard.Reason } });
    }
}
