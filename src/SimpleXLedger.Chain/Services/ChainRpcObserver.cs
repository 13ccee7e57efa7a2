using Nethereum.JsonRpc.Client;

namespace SimpleXLedger.Chain.Services;

/// <summary>How a JSON-RPC call failed: the node answered with an error (a revert included), or no answer came.</summary>
public enum ChainRpcFailure
{
    /// <summary>The node answered with a JSON-RPC error.</summary>
    Response,

    /// <summary>No answer: connection refused, reset, timed out, or unreadable.</summary>
    Transport,
}

/// <summary>
/// Sees every JSON-RPC call a <see cref="ChainConnection"/> makes (Nethereum's request interceptor) and reports each
/// failure with its method name (<c>eth_call</c>, <c>eth_getLogs</c>, …: a fixed vocabulary, never a parameter), so a
/// service can count chain RPC errors by method. Retries are counted as the calls they are.
/// </summary>
public sealed class ChainRpcObserver : RequestInterceptor
{
    /// <summary>Raised on every failed call, before the error reaches the caller.</summary>
    public event Action<string, ChainRpcFailure>? Failed;

    public override async Task<object> InterceptSendRequestAsync<T>(Func<RpcRequest, string, Task<T>> interceptedSendRequestAsync, RpcRequest request, string route = null!)
    {
        ArgumentNullException.ThrowIfNull(interceptedSendRequestAsync);
        ArgumentNullException.ThrowIfNull(request);
        try
        {
            return (await interceptedSendRequestAsync(request, route))!;
        }
        catch (Exception e) when (Kind(e) is { } kind)
        {
            Failed?.Invoke(request.Method, kind);
            throw;
        }
    }

    public override async Task InterceptSendRequestAsync(Func<RpcRequest, string, Task> interceptedSendRequestAsync, RpcRequest request, string route = null!)
    {
        ArgumentNullException.ThrowIfNull(interceptedSendRequestAsync);
        ArgumentNullException.ThrowIfNull(request);
        try
        {
            await interceptedSendRequestAsync(request, route);
        }
        catch (Exception e) when (Kind(e) is { } kind)
        {
            Failed?.Invoke(request.Method, kind);
            throw;
        }
    }

    public override async Task<object> InterceptSendRequestAsync<T>(Func<string, string, object[], Task<T>> interceptedSendRequestAsync, string method, string route = null!, params object[] paramList)
    {
        ArgumentNullException.ThrowIfNull(interceptedSendRequestAsync);
        try
        {
            return (await interceptedSendRequestAsync(method, route, paramList))!;
        }
        catch (Exception e) when (Kind(e) is { } kind)
        {
            Failed?.Invoke(method, kind);
            throw;
        }
    }

    public override async Task InterceptSendRequestAsync(Func<string, string, object[], Task> interceptedSendRequestAsync, string method, string route = null!, params object[] paramList)
    {
        ArgumentNullException.ThrowIfNull(interceptedSendRequestAsync);
        try
        {
            await interceptedSendRequestAsync(method, route, paramList);
        }
        catch (Exception e) when (Kind(e) is { } kind)
        {
            Failed?.Invoke(method, kind);
            throw;
        }
    }

    private static ChainRpcFailure? Kind(Exception e) => e switch
    {
        OperationCanceledException and not TaskCanceledException => null,
        RpcResponseException => ChainRpcFailure.Response,
        _ => ChainRpcFailure.Transport,
    };
}
