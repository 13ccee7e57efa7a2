using System.Diagnostics;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace SimpleXLedger.Hosting.Tracing;

/// <summary>
/// Traces every gRPC call a service handles: its method (from the service definition), the protobuf sizes of the
/// messages each way (streams: their count and total), the duration and the status. Nothing of the messages' content.
/// </summary>
public sealed class RequestTraceInterceptor(RequestTraceWriter writer) : Interceptor
{
    /// <summary>Set on the call's HTTP context so the HTTP middleware does not trace the same request again.</summary>
    internal const string TracedItem = "sxl.request-trace.grpc";

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(continuation);
        var call = Begin(context);
        call.In(request);
        try
        {
            var response = await continuation(request, context);
            call.Out(response);
            return response;
        }
        catch (Exception e)
        {
            call.Failed(e);
            throw;
        }
        finally
        {
            call.End(context);
        }
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(continuation);
        var call = Begin(context);
        try
        {
            var response = await continuation(new CountingReader<TRequest>(requestStream, call), context);
            call.Out(response);
            return response;
        }
        catch (Exception e)
        {
            call.Failed(e);
            throw;
        }
        finally
        {
            call.End(context);
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(continuation);
        var call = Begin(context);
        call.In(request);
        try
        {
            await continuation(request, new CountingWriter<TResponse>(responseStream, call), context);
        }
        catch (Exception e)
        {
            call.Failed(e);
            throw;
        }
        finally
        {
            call.End(context);
        }
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(continuation);
        var call = Begin(context);
        try
        {
            await continuation(new CountingReader<TRequest>(requestStream, call), new CountingWriter<TResponse>(responseStream, call), context);
        }
        catch (Exception e)
        {
            call.Failed(e);
            throw;
        }
        finally
        {
            call.End(context);
        }
    }

    private TracedCall Begin(ServerCallContext context)
    {
        context.GetHttpContext().Items[TracedItem] = true;
        return new TracedCall(writer, context.Method);
    }

    /// <summary>One call's counters; streams may count from two threads (a reader and a writer).</summary>
    private sealed class TracedCall(RequestTraceWriter writer, string method)
    {
        private readonly DateTimeOffset _at = writer.Time.GetUtcNow();
        private readonly long _started = Stopwatch.GetTimestamp();
        private int _inMessages;
        private long _inBytes;
        private int _outMessages;
        private long _outBytes;
        private StatusCode? _failed;

        public void In(object? message)
        {
            Interlocked.Increment(ref _inMessages);
            Interlocked.Add(ref _inBytes, SizeOf(message));
        }

        public void Out(object? message)
        {
            Interlocked.Increment(ref _outMessages);
            Interlocked.Add(ref _outBytes, SizeOf(message));
        }

        public void Failed(Exception e) => _failed = e switch
        {
            RpcException rpc => rpc.StatusCode,
            OperationCanceledException => StatusCode.Cancelled,
            _ => StatusCode.Unknown,
        };

        public void End(ServerCallContext context)
        {
            // A handler may also end a call by setting its status instead of throwing.
            var status = _failed ?? context.Status.StatusCode;
            var micros = (long)Stopwatch.GetElapsedTime(_started).TotalMicroseconds;
            writer.Write(new RequestTraceEntry(_at, micros, RequestKind.Grpc, RequestTraceEntry.IsCallName(method) ? method : RequestTraceEntry.Unmatched,
                Volatile.Read(ref _inMessages), Interlocked.Read(ref _inBytes), Volatile.Read(ref _outMessages), Interlocked.Read(ref _outBytes), status.ToString()));
        }

        private static long SizeOf(object? message) => message is IMessage m ? m.CalculateSize() : 0;
    }

    private sealed class CountingReader<T>(IAsyncStreamReader<T> inner, TracedCall call) : IAsyncStreamReader<T>
    {
        public T Current => inner.Current;

        public async Task<bool> MoveNext(CancellationToken cancellationToken)
        {
            var more = await inner.MoveNext(cancellationToken);
            if (more)
            {
                call.In(inner.Current);
            }

            return more;
        }
    }

    private sealed class CountingWriter<T>(IServerStreamWriter<T> inner, TracedCall call) : IServerStreamWriter<T>
    {
        public WriteOptions? WriteOptions
        {
            get => inner.WriteOptions;
            set => inner.WriteOptions = value;
        }

        public async Task WriteAsync(T message)
        {
            await inner.WriteAsync(message);
            call.Out(message);
        }

        public async Task WriteAsync(T message, CancellationToken cancellationToken)
        {
            await inner.WriteAsync(message, cancellationToken);
            call.Out(message);
        }
    }
}
