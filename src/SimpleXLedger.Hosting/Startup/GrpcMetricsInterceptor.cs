using System.Diagnostics;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Prometheus;

namespace SimpleXLedger.Hosting.Startup;

/// <summary>
/// Counts every gRPC call by method and status code and times it by method
/// (<c>sxl_grpc_requests_total</c>, <c>sxl_grpc_request_duration_seconds</c>). The method is the service's own fixed
/// name (<c>/package.Service/Method</c>); nothing from the request reaches a label.
/// </summary>
public sealed class GrpcMetricsInterceptor : Interceptor
{
    private readonly Counter _requests;
    private readonly Histogram _duration;

    public GrpcMetricsInterceptor(ServiceMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        _requests = metrics.Factory.CreateCounter("sxl_grpc_requests_total", "gRPC calls handled, by method and status code", ["method", "code"]);
        _duration = metrics.LatencyHistogram("sxl_grpc_request_duration_seconds", "gRPC call duration in seconds, by method", "method");
    }

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        return ObserveAsync(context, () => continuation(request, context));
    }

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        return ObserveAsync(context, () => continuation(requestStream, context));
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        return ObserveAsync(context, async () =>
        {
            await continuation(request, responseStream, context);
            return true;
        });
    }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        return ObserveAsync(context, async () =>
        {
            await continuation(requestStream, responseStream, context);
            return true;
        });
    }

    private async Task<T> ObserveAsync<T>(ServerCallContext context, Func<Task<T>> call)
    {
        ArgumentNullException.ThrowIfNull(context);
        var started = Stopwatch.GetTimestamp();
        var code = StatusCode.Unknown;
        try
        {
            var result = await call();
            code = context.Status.StatusCode;
            return result;
        }
        catch (RpcException e)
        {
            code = e.StatusCode;
            throw;
        }
        catch (OperationCanceledException)
        {
            code = StatusCode.Cancelled;
            throw;
        }
        finally
        {
            _requests.WithLabels(context.Method, code.ToString()).Inc();
            _duration.WithLabels(context.Method).Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }
}
