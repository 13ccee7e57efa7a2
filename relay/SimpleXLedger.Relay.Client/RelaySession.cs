using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Threading.Channels;
using Google.Protobuf;
using Grpc.Core;
using NSec.Cryptography;
using SimpleXLedger.Protos.Relay;

namespace SimpleXLedger.Relay.Client;

/// <summary>
/// Many commands and deliveries on one bidirectional stream, matched by correlation id: the relay's
/// hot path (one HTTP/2 stream instead of a call per command).
/// </summary>
public sealed class RelaySession : IAsyncDisposable
{
    private readonly RelayClient _client;
    private readonly AsyncDuplexStreamingCall<Transmission, SessionEvent> _call;
    private readonly Channel<Transmission> _outgoing = Channel.CreateUnbounded<Transmission>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<Delivery> _deliveries = Channel.CreateUnbounded<Delivery>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly ConcurrentDictionary<ulong, TaskCompletionSource<Reply>> _pending = new();
    private readonly Task _writer;
    private readonly Task _reader;
    private long _nextCorrelation;

    internal RelaySession(RelayClient client, AsyncDuplexStreamingCall<Transmission, SessionEvent> call)
    {
        _client = client;
        _call = call;
        _writer = Task.Run(WriteLoopAsync);
        _reader = Task.Run(ReadLoopAsync);
    }

    /// <summary>Deliveries of the queues subscribed on this session.</summary>
    public ChannelReader<Delivery> Deliveries => _deliveries.Reader;

    /// <summary>Signs and sends a command on the stream; completes with its reply, or throws <see cref="RelayException"/>.</summary>
    public Task<Reply> ExecuteAsync(Command command, Key? key)
    {
        ArgumentNullException.ThrowIfNull(command);
        var id = (ulong)Interlocked.Increment(ref _nextCorrelation);
        var correlation = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(correlation, id);
        command.CorrelationId = UnsafeByteOperations.UnsafeWrap(correlation);
        var completion = new TaskCompletionSource<Reply>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = completion;
        if (!_outgoing.Writer.TryWrite(_client.Sign(command, key)))
        {
            _pending.TryRemove(id, out _);
            completion.SetException(new RelayException(ErrorCode.Unavailable, "the session is closed"));
        }

        return completion.Task;
    }

    public Task<Reply> SendAsync(ReadOnlyMemory<byte> senderId, Key? senderKey, ReadOnlyMemory<byte> body) =>
        ExecuteAsync(new Command { EntityId = ByteString.CopyFrom(senderId.Span), Send = new SendMessage { Body = ByteString.CopyFrom(body.Span) } }, senderKey);

    public Task<Reply> SubscribeAsync(ReadOnlyMemory<byte> recipientId, Key recipientKey) =>
        ExecuteAsync(new Command { EntityId = ByteString.CopyFrom(recipientId.Span), Subscribe = new SubscribeQueue() }, recipientKey);

    public Task<Reply> AckAsync(ReadOnlyMemory<byte> recipientId, Key recipientKey, ByteString messageId) =>
        ExecuteAsync(new Command { EntityId = ByteString.CopyFrom(recipientId.Span), Ack = new AckMessage { MessageId = messageId } }, recipientKey);

    private async Task WriteLoopAsync()
    {
        try
        {
            // Flush only when the queue runs dry: many commands share one TLS record and syscall.
            var buffered = new WriteOptions(WriteFlags.BufferHint);
            var flush = new WriteOptions();
            var reader = _outgoing.Reader;
            while (await reader.WaitToReadAsync())
            {
                while (reader.TryRead(out var t))
                {
                    _call.RequestStream.WriteOptions = (reader.CanPeek ? reader.TryPeek(out _) : reader.CanCount && reader.Count > 0) ? buffered : flush;
                    await _call.RequestStream.WriteAsync(t);
                }
            }

            await _call.RequestStream.CompleteAsync();
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException or IOException or OperationCanceledException)
        {
            // ObjectDisposedException is an InvalidOperationException: disposed while writing.
            Fail(e is RpcException rpc ? _client.Translate(rpc) : e);
        }
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (await _call.ResponseStream.MoveNext(CancellationToken.None))
            {
                var e = _call.ResponseStream.Current;
                switch (e.EventCase)
                {
                    case SessionEvent.EventOneofCase.Reply:
                        var reply = e.Reply;
                        if (reply.CorrelationId.Length == 8 && _pending.TryRemove(BinaryPrimitives.ReadUInt64BigEndian(reply.CorrelationId.Span), out var completion))
                        {
                            if (reply.ResultCase == Reply.ResultOneofCase.Error)
                            {
                                completion.TrySetException(RelayException.From(reply.Error));
                            }
                            else
                            {
                                completion.TrySetResult(reply);
                            }
                        }

                        break;
                    case SessionEvent.EventOneofCase.Delivery:
                        _deliveries.Writer.TryWrite(e.Delivery);
                        break;
                }
            }

            Fail(new RelayException(ErrorCode.Unavailable, "the relay ended the session"));
        }
        catch (RpcException e)
        {
            Fail(_client.Translate(e));
        }
        catch (Exception e) when (e is ObjectDisposedException or OperationCanceledException or IOException)
        {
            // Disposed (or torn down) while reading: the session is over.
            Fail(new RelayException(ErrorCode.Unavailable, "the session is closed", null, e));
        }
    }

    private void Fail(Exception cause)
    {
        // Callers see one exception type for a session that ended, whatever ended it.
        var e = cause as RelayException ?? new RelayException(ErrorCode.Unavailable, "the session is closed", null, cause);
        _outgoing.Writer.TryComplete();
        _deliveries.Writer.TryComplete(e);
        foreach (var id in _pending.Keys)
        {
            if (_pending.TryRemove(id, out var completion))
            {
                completion.TrySetException(e);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _outgoing.Writer.TryComplete();
        try
        {
            await _writer.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
            // The relay stopped reading; cancelling below ends it.
        }

        _call.Dispose();
        try
        {
            await _reader.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
        }
    }
}
