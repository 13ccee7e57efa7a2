using System.Collections.Concurrent;
using System.Threading.Channels;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using SimpleXLedger.Protos.Relay;
using SimpleXLedger.Relay.Client;
using SimpleXLedger.Relay.Queues;
using GrpcRelay = SimpleXLedger.Protos.Relay.Relay;

namespace SimpleXLedger.Relay.Hosting;

/// <summary>The gRPC surface: thin, it finds the connection's session and hands transmissions to the engine.</summary>
internal sealed class RelayGrpcService(RelayEngine engine, SessionRegistry sessions, RelayOptions options, ILogger<RelayGrpcService> logger) : GrpcRelay.RelayBase
{
    public override Task<HelloReply> Hello(HelloRequest request, ServerCallContext context)
    {
        var nonce = sessions.Open(ConnectionId(context));
        return Task.FromResult(new HelloReply
        {
            SessionNonce = UnsafeByteOperations.UnsafeWrap(nonce),
            ProtocolVersion = RelayProtocol.Version,
            Limits = new Limits
            {
                MaxMessageBytes = (uint)options.MaxMessageBytes,
                QueueQuota = (uint)options.QueueQuota,
                MessageTtlSeconds = (ulong)options.MessageTtl.TotalSeconds,
                CreateRequiresPassword = options.CreatePassword is not null,
                Metering = engine.Metering.Id,
            },
        });
    }

    public override async Task<Reply> Execute(Transmission request, ServerCallContext context)
    {
        var nonce = RequireSession(context);
        var reply = await engine.ExecuteAsync(request, nonce, null, HeaderToken(context), context.CancellationToken);
        if (reply.ResultCase == Reply.ResultOneofCase.Error)
        {
            throw ToRpc(reply.Error);
        }

        return reply;
    }

    public override async Task Subscribe(Transmission request, IServerStreamWriter<Delivery> responseStream, ServerCallContext context)
    {
        var nonce = RequireSession(context);
        var sink = new StreamSink(single: true);
        try
        {
            var reply = await engine.ExecuteAsync(request, nonce, sink, null, context.CancellationToken);
            if (reply.ResultCase == Reply.ResultOneofCase.Error)
            {
                throw ToRpc(reply.Error);
            }

            await foreach (var e in sink.Events.ReadAllAsync(context.CancellationToken))
            {
                if (e.EventCase != SessionEvent.EventOneofCase.Delivery)
                {
                    break; // taken over by another subscriber
                }

                await responseStream.WriteAsync(e.Delivery, context.CancellationToken);
            }
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            // The client went away.
        }
        finally
        {
            engine.Unsubscribe(sink, sink.Queues);
        }
    }

    public override async Task Session(IAsyncStreamReader<Transmission> requestStream, IServerStreamWriter<SessionEvent> responseStream, ServerCallContext context)
    {
        var nonce = RequireSession(context);
        var ct = context.CancellationToken;
        var sink = new StreamSink(single: false);
        var inFlight = new SemaphoreSlim(options.MaxSessionInFlight, options.MaxSessionInFlight);
        // A command's permit is returned once its reply is written, so a client that sends without
        // reading its replies is stopped after MaxSessionInFlight instead of filling the relay's memory.
        var writer = Task.Run(() => WriteAllAsync(sink.Events, responseStream, ct, e =>
        {
            if (e.EventCase == SessionEvent.EventOneofCase.Reply)
            {
                inFlight.Release();
            }
        }), ct);
        async Task ExecuteOneAsync(Transmission transmission)
        {
            try
            {
                sink.Reply(await engine.ExecuteAsync(transmission, nonce, sink, null, ct));
            }
            catch (OperationCanceledException)
            {
                // The session ended while the command ran.
                inFlight.Release();
            }
            catch (Exception e)
            {
                // A bug must not end the session nor strand the command's permit: answer INTERNAL.
                logger.LogError("session command failed with {ExceptionType}", e.GetType().Name);
                sink.Reply(Replies.Error(Google.Protobuf.ByteString.Empty, ErrorCode.Internal, "internal error"));
            }
        }

        try
        {
            while (await requestStream.MoveNext(ct))
            {
                var transmission = requestStream.Current;
                await inFlight.WaitAsync(ct);
                // Runs inline up to its first wait (the group commit), then completes on its own.
                _ = ExecuteOneAsync(transmission);
            }

            // The client finished sending: wait until every reply is written, then end the stream.
            for (var i = 0; i < options.MaxSessionInFlight; i++)
            {
                await inFlight.WaitAsync(ct);
            }

            sink.Complete();
            await writer;
        }
        catch (IOException)
        {
            // The client reset the stream or went away.
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The client went away.
        }
        finally
        {
            sink.Complete();
            // The call must not end while a write is pending: gRPC would touch a disposed request.
            try
            {
                await writer;
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException or RpcException)
            {
                // The stream is gone; nothing left to write to.
            }

            engine.Unsubscribe(sink, sink.Queues);
        }
    }

    /// <summary>Writes queued events, flushing only when the queue runs dry: one TLS record and syscall for many events.</summary>
    private static async Task WriteAllAsync<T>(ChannelReader<T> events, IAsyncStreamWriter<T> stream, CancellationToken ct, Action<T>? written = null)
    {
        var buffered = new WriteOptions(WriteFlags.BufferHint);
        var flush = new WriteOptions();
        while (await events.WaitToReadAsync(ct))
        {
            while (events.TryRead(out var e))
            {
                stream.WriteOptions = (events.CanPeek ? events.TryPeek(out _) : events.CanCount && events.Count > 0) ? buffered : flush;
                await stream.WriteAsync(e, ct);
                written?.Invoke(e);
            }
        }
    }

    private byte[] RequireSession(ServerCallContext context) =>
        sessions.Find(ConnectionId(context)) ?? throw ToRpc(new Error { Code = ErrorCode.NoSession, Message = "no session on this connection: call Hello first" });

    private static string ConnectionId(ServerCallContext context) => context.GetHttpContext().Connection.Id;

    private static byte[]? HeaderToken(ServerCallContext context)
    {
        var value = context.RequestHeaders.GetValue(RelayHeaders.Authorization);
        return RelayProtocol.TryParseAuthorization(value, out var token) ? token : null;
    }

    internal static RpcException ToRpc(Error error)
    {
        var status = error.Code switch
        {
            ErrorCode.Auth or ErrorCode.PaymentRefused => StatusCode.PermissionDenied,
            ErrorCode.Syntax or ErrorCode.LargeMessage => StatusCode.InvalidArgument,
            ErrorCode.Quota => StatusCode.ResourceExhausted,
            ErrorCode.NoMessage => StatusCode.NotFound,
            ErrorCode.NoSession => StatusCode.Unauthenticated,
            ErrorCode.PaymentRequired => StatusCode.FailedPrecondition,
            ErrorCode.Duplicate => StatusCode.AlreadyExists,
            ErrorCode.Suspended => StatusCode.FailedPrecondition,
            ErrorCode.Unavailable => StatusCode.Unavailable,
            _ => StatusCode.Internal,
        };
        var trailers = new Metadata { { RelayHeaders.Error, error.Code.ToString() } };
        if (!string.IsNullOrEmpty(error.WwwAuthenticate))
        {
            trailers.Add(RelayHeaders.WwwAuthenticate, error.WwwAuthenticate);
        }

        return new RpcException(new Status(status, error.Message), trailers);
    }

    /// <summary>Deliveries and replies queued for one stream; the stream's writer drains it.</summary>
    private sealed class StreamSink(bool single) : IDeliverySink
    {
        private readonly Channel<SessionEvent> _events = Channel.CreateUnbounded<SessionEvent>(new UnboundedChannelOptions { SingleReader = true });
        private readonly ConcurrentDictionary<QueueKey, byte[]> _queues = new();

        public ChannelReader<SessionEvent> Events => _events.Reader;

        public IEnumerable<byte[]> Queues => _queues.Values;

        public void Attached(byte[] recipientId)
        {
            if (QueueKey.TryFrom(recipientId, out var key))
            {
                _queues[key] = recipientId;
            }
        }

        public void Deliver(Delivery delivery) => _events.Writer.TryWrite(new SessionEvent { Delivery = delivery });

        public void SubscriptionEnded(byte[] recipientId)
        {
            if (QueueKey.TryFrom(recipientId, out var key))
            {
                _queues.TryRemove(key, out _);
            }

            _events.Writer.TryWrite(new SessionEvent { SubscriptionEnded = UnsafeByteOperations.UnsafeWrap(recipientId) });
            if (single)
            {
                _events.Writer.TryComplete();
            }
        }

        public void Reply(Reply reply) => _events.Writer.TryWrite(new SessionEvent { Reply = reply });

        public void Complete() => _events.Writer.TryComplete();
    }
}
