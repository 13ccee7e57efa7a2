using System.Net;
using System.Runtime.CompilerServices;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using NSec.Cryptography;
using SimpleXLedger.Net;
using SimpleXLedger.Net.Tls;
using SimpleXLedger.Protos.Relay;
using GrpcRelay = SimpleXLedger.Protos.Relay.Relay;

namespace SimpleXLedger.Relay.Client;

/// <summary>Remembers whether the pinned certificate check failed on this client's connection.</summary>
internal sealed class PinnedFingerprintCheck(PinnedCertificateValidator validator)
{
    public PinnedCertificateValidator Validator { get; } = validator;

    public bool Mismatched => Validator.Mismatched;
}

/// <summary>
/// A connection to one relay: TLS pinned to the address's fingerprint (never resuming an earlier TLS session, see
/// <see cref="ClientTls"/>), one HTTP/2 connection, its
/// session nonce from Hello, and the queue commands (recipient and sender) signed for that connection.
/// </summary>
public sealed class RelayClient : IAsyncDisposable, IDisposable
{
    private readonly GrpcChannel _channel;
    private readonly PinnedFingerprintCheck _pin;
    private HelloReply _hello = new();

    private RelayClient(PinnedAddress address, GrpcChannel channel, PinnedFingerprintCheck pin)
    {
        Address = address;
        _channel = channel;
        _pin = pin;
        Grpc = new GrpcRelay.RelayClient(channel);
    }

    public PinnedAddress Address { get; }

    /// <summary>The generated client, for tests that send raw transmissions.</summary>
    public GrpcRelay.RelayClient Grpc { get; }

    public ReadOnlyMemory<byte> SessionNonce => _hello.SessionNonce.Memory;

    public Limits Limits => _hello.Limits ?? new Limits();

    public static async Task<RelayClient> ConnectAsync(PinnedAddress address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        var pin = new PinnedFingerprintCheck(new PinnedCertificateValidator(address.Fingerprint));
        var handler = new SocketsHttpHandler
        {
            SslOptions = pin.Validator.ClientOptions(address.Host),
            EnableMultipleHttp2Connections = false,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = TimeSpan.FromSeconds(30),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(20),
            ConnectTimeout = TimeSpan.FromSeconds(15),
        };
        var channel = GrpcChannel.ForAddress(address.HttpsUri, new GrpcChannelOptions
        {
            HttpHandler = handler,
            HttpVersion = HttpVersion.Version20,
            MaxReceiveMessageSize = 1 << 20,
            DisposeHttpClient = true,
        });
        var client = new RelayClient(address, channel, pin);
        try
        {
            await client.HelloAsync(cancellationToken);
        }
        catch
        {
            client.Dispose();
            throw;
        }

        return client;
    }

    /// <summary>Asks for this connection's session nonce (again, after a reconnect).</summary>
    public async Task HelloAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            _hello = await Grpc.HelloAsync(new HelloRequest(), cancellationToken: cancellationToken);
        }
        catch (RpcException e)
        {
            throw RelayException.FromRpc(e, _pin);
        }
    }

    public Transmission Sign(Command command, Key? key) => RelayProtocol.Sign(command, key, SessionNonce.Span);

    /// <summary>Sends a signed transmission as it is; a refusal throws <see cref="RelayException"/>.</summary>
    public async Task<Reply> ExecuteRawAsync(Transmission transmission, byte[]? authorizationToken = null, CancellationToken cancellationToken = default)
    {
        var headers = authorizationToken is null ? null : new Metadata { { RelayHeaders.Authorization, RelayProtocol.AuthorizationHeader(authorizationToken) } };
        try
        {
            var reply = await Grpc.ExecuteAsync(transmission, headers, cancellationToken: cancellationToken);
            if (reply.ResultCase == Reply.ResultOneofCase.Error)
            {
                throw RelayException.From(reply.Error);
            }

            return reply;
        }
        catch (RpcException e)
        {
            throw RelayException.FromRpc(e, _pin);
        }
    }

    /// <summary>Signs and sends a command; after a reconnect (no session) it says Hello again and retries once.</summary>
    public async Task<Reply> ExecuteAsync(Command command, Key? key, byte[]? authorizationToken = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command.CorrelationId.IsEmpty)
        {
            command.CorrelationId = ByteString.CopyFrom(RelayProtocol.NewCorrelationId());
        }

        try
        {
            return await ExecuteRawAsync(Sign(command, key), authorizationToken, cancellationToken);
        }
        catch (RelayException e) when (e.Code == ErrorCode.NoSession)
        {
            await HelloAsync(cancellationToken);
            return await ExecuteRawAsync(Sign(command, key), authorizationToken, cancellationToken);
        }
    }

    public async Task<QueueCreated> CreateQueueAsync(Key recipientKey, string? password = null, byte[]? paymentToken = null, CancellationToken cancellationToken = default)
    {
        var create = new CreateQueue { RecipientKey = ByteString.CopyFrom(RelayProtocol.PublicKeyBytes(recipientKey)), Password = password ?? string.Empty };
        if (paymentToken is not null)
        {
            create.PaymentToken = ByteString.CopyFrom(paymentToken);
        }

        var reply = await ExecuteAsync(new Command { Create = create }, recipientKey, null, cancellationToken);
        return reply.Created;
    }

    public Task SecureAsync(ReadOnlyMemory<byte> recipientId, Key recipientKey, PublicKey senderKey, CancellationToken cancellationToken = default) =>
        ExecuteAsync(Recipient(recipientId, c => c.Secure = new SecureQueue { SenderKey = ByteString.CopyFrom(senderKey.Export(KeyBlobFormat.RawPublicKey)) }), recipientKey, null, cancellationToken);

    /// <summary>Sends a message; <paramref name="senderKey"/> null sends unsigned (only to a queue not yet secured).</summary>
    public Task SendAsync(ReadOnlyMemory<byte> senderId, Key? senderKey, ReadOnlyMemory<byte> body, byte[]? paymentToken = null, CancellationToken cancellationToken = default)
    {
        var send = new SendMessage { Body = ByteString.CopyFrom(body.Span) };
        if (paymentToken is not null)
        {
            send.PaymentToken = ByteString.CopyFrom(paymentToken);
        }

        return ExecuteAsync(new Command { EntityId = ByteString.CopyFrom(senderId.Span), Send = send }, senderKey, null, cancellationToken);
    }

    /// <summary>The queue's next message (delivered, awaiting its ack), or null when it is empty.</summary>
    public async Task<Delivery?> GetAsync(ReadOnlyMemory<byte> recipientId, Key recipientKey, CancellationToken cancellationToken = default)
    {
        var reply = await ExecuteAsync(Recipient(recipientId, c => c.Get = new GetMessage()), recipientKey, null, cancellationToken);
        return reply.ResultCase == Reply.ResultOneofCase.Message ? reply.Message : null;
    }

    public Task AckAsync(ReadOnlyMemory<byte> recipientId, Key recipientKey, ReadOnlyMemory<byte> messageId, CancellationToken cancellationToken = default) =>
        ExecuteAsync(Recipient(recipientId, c => c.Ack = new AckMessage { MessageId = ByteString.CopyFrom(messageId.Span) }), recipientKey, null, cancellationToken);

    public Task SuspendAsync(ReadOnlyMemory<byte> recipientId, Key recipientKey, CancellationToken cancellationToken = default) =>
        ExecuteAsync(Recipient(recipientId, c => c.Suspend = new SuspendQueue()), recipientKey, null, cancellationToken);

    public Task DeleteAsync(ReadOnlyMemory<byte> recipientId, Key recipientKey, CancellationToken cancellationToken = default) =>
        ExecuteAsync(Recipient(recipientId, c => c.Delete = new DeleteQueue()), recipientKey, null, cancellationToken);

    public async Task<QueueInfo> InfoAsync(ReadOnlyMemory<byte> recipientId, Key recipientKey, CancellationToken cancellationToken = default) =>
        (await ExecuteAsync(Recipient(recipientId, c => c.Info = new GetQueueInfo()), recipientKey, null, cancellationToken)).Info;

    public async Task<Balance> TopUpAsync(ReadOnlyMemory<byte> recipientId, Key recipientKey, byte[] paymentToken, CancellationToken cancellationToken = default) =>
        (await ExecuteAsync(Recipient(recipientId, c => c.TopUp = new TopUpQueue { PaymentToken = ByteString.CopyFrom(paymentToken) }), recipientKey, null, cancellationToken)).Balance;

    /// <summary>Subscribes and yields the queue's deliveries (ack each to get the next) until cancelled or taken over.</summary>
    public async IAsyncEnumerable<Delivery> SubscribeAsync(ReadOnlyMemory<byte> recipientId, Key recipientKey, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var command = Recipient(recipientId, c => c.Subscribe = new SubscribeQueue());
        command.CorrelationId = ByteString.CopyFrom(RelayProtocol.NewCorrelationId());
        using var call = Grpc.Subscribe(Sign(command, recipientKey), cancellationToken: cancellationToken);
        while (true)
        {
            Delivery delivery;
            try
            {
                if (!await call.ResponseStream.MoveNext(cancellationToken))
                {
                    yield break;
                }

                delivery = call.ResponseStream.Current;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
            {
                yield break;
            }
            catch (RpcException e)
            {
                throw RelayException.FromRpc(e, _pin);
            }

            yield return delivery;
        }
    }

    /// <summary>Opens the multiplexed command stream (the hot path).</summary>
    public RelaySession OpenSession(CancellationToken cancellationToken = default) => new(this, Grpc.Session(cancellationToken: cancellationToken));

    internal Exception Translate(RpcException e) => RelayException.FromRpc(e, _pin);

    private static Command Recipient(ReadOnlyMemory<byte> recipientId, Action<Command> body)
    {
        var command = new Command { EntityId = ByteString.CopyFrom(recipientId.Span) };
        body(command);
        return command;
    }

    public void Dispose() => _channel.Dispose();

    public ValueTask DisposeAsync()
    {
        _channel.Dispose();
        return ValueTask.CompletedTask;
    }
}
