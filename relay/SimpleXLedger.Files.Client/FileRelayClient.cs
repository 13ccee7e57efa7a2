using System.Net;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using NSec.Cryptography;
using SimpleXLedger.Net;
using SimpleXLedger.Net.Tls;
using SimpleXLedger.Protos.Files;
using GrpcFiles = SimpleXLedger.Protos.Files.Files;

namespace SimpleXLedger.Files.Client;

/// <summary>
/// One connection to one file relay, TLS pinned to the address's fingerprint, with the session nonce its
/// signatures are bound to. Every call signs its command with the key of the id it names.
/// </summary>
public sealed class FileRelayClient : IDisposable
{
    public const string ErrorTrailer = "sxl-error";
    public const string WwwAuthenticateTrailer = "www-authenticate";

    private readonly GrpcChannel _channel;
    private readonly PinnedCertificateValidator _pin;
    private byte[] _nonce = [];

    private FileRelayClient(PinnedAddress address, GrpcChannel channel, PinnedCertificateValidator pin)
    {
        Address = address;
        _channel = channel;
        _pin = pin;
        Grpc = new GrpcFiles.FilesClient(channel);
    }

    public PinnedAddress Address { get; }

    /// <summary>The generated client, for tests that send raw requests.</summary>
    public GrpcFiles.FilesClient Grpc { get; }

    /// <summary>The relay's limits and prices (after <see cref="ConnectAsync"/>).</summary>
    public FilesHelloReply Hello { get; private set; } = new();

    public ReadOnlyMemory<byte> SessionNonce => _nonce;

    /// <summary>Connects and says hello (the session nonce); a relay that cannot be reached throws <see cref="FileRelayException"/>.</summary>
    public static async Task<FileRelayClient> ConnectAsync(PinnedAddress address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        var pin = new PinnedCertificateValidator(address.Fingerprint);
        var handler = new SocketsHttpHandler
        {
            SslOptions = pin.ClientOptions(address.Host),
            EnableMultipleHttp2Connections = false,
            ConnectTimeout = TimeSpan.FromSeconds(15),
        };
        var channel = GrpcChannel.ForAddress(address.HttpsUri, new GrpcChannelOptions
        {
            HttpHandler = handler,
            HttpVersion = HttpVersion.Version20,
            MaxReceiveMessageSize = FilesProtocol.PartBytes + (4 * 1024),
            MaxSendMessageSize = FilesProtocol.PartBytes + (16 * 1024),
            DisposeHttpClient = true,
        });
        var client = new FileRelayClient(address, channel, pin);
        try
        {
            var hello = await client.CallAsync(() => client.Grpc.HelloAsync(new FilesHelloRequest(), deadline: Deadline(), cancellationToken: cancellationToken).ResponseAsync);
            client.Hello = hello;
            client._nonce = hello.SessionNonce.ToByteArray();
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>Registers a chunk: a new sender id and one recipient id per key, unrelated to each other.</summary>
    public async Task<ChunkIds> RegisterAsync(Key senderKey, int size, ReadOnlyMemory<byte> digest, IReadOnlyList<byte[]> recipientKeys, string? password = null, IReadOnlyList<byte[]>? tokens = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(senderKey);
        ArgumentNullException.ThrowIfNull(recipientKeys);
        var register = new RegisterChunk
        {
            SenderKey = ByteString.CopyFrom(senderKey.PublicKey.Export(KeyBlobFormat.RawPublicKey)),
            Size = (uint)size,
            Digest = ByteString.CopyFrom(digest.Span),
            Password = password ?? string.Empty,
        };
        register.RecipientKeys.AddRange(recipientKeys.Select(k => ByteString.CopyFrom(k)));
        register.PaymentTokens.AddRange((tokens ?? []).Select(t => ByteString.CopyFrom(t)));
        var reply = await ExecuteAsync(new FileCommand { Register = register }, ReadOnlyMemory<byte>.Empty, senderKey, cancellationToken);
        return reply.Ids ?? throw new FileRelayException(FileErrorCode.Internal, "the relay answered register without ids");
    }

    public async Task<IReadOnlyList<byte[]>> AddRecipientsAsync(ReadOnlyMemory<byte> senderId, Key senderKey, IReadOnlyList<byte[]> recipientKeys, IReadOnlyList<byte[]>? tokens = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(recipientKeys);
        var add = new AddRecipients();
        add.RecipientKeys.AddRange(recipientKeys.Select(k => ByteString.CopyFrom(k)));
        add.PaymentTokens.AddRange((tokens ?? []).Select(t => ByteString.CopyFrom(t)));
        var reply = await ExecuteAsync(new FileCommand { AddRecipients = add }, senderId, senderKey, cancellationToken);
        return reply.RecipientIds?.RecipientIds_.Select(i => i.ToByteArray()).ToArray() ?? throw new FileRelayException(FileErrorCode.Internal, "the relay answered without recipient ids");
    }

    /// <summary>Uploads a chunk in parts; it is acknowledged only once the relay has it durably, with the registered size and digest.</summary>
    public async Task UploadAsync(ReadOnlyMemory<byte> senderId, Key senderKey, ReadOnlyMemory<byte> chunk, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        var put = Sign(new FileCommand { Put = new PutChunk() }, senderId, senderKey);
        await CallAsync(async () =>
        {
            using var call = Grpc.Upload(deadline: Deadline(300), cancellationToken: cancellationToken);
            try
            {
                await call.RequestStream.WriteAsync(new UploadPart { Put = put }, cancellationToken);
                for (var offset = 0; offset < chunk.Length; offset += FilesProtocol.PartBytes)
                {
                    var part = chunk.Slice(offset, Math.Min(FilesProtocol.PartBytes, chunk.Length - offset));
                    await call.RequestStream.WriteAsync(new UploadPart { Data = UnsafeByteOperations.UnsafeWrap(part) }, cancellationToken);
                    progress?.Report(part.Length);
                }

                await call.RequestStream.CompleteAsync();
            }
            catch (Exception e) when (e is RpcException or IOException or InvalidOperationException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // The relay answered before it read everything (a refusal): its answer is the call's response.
            }

            return await call.ResponseAsync;
        });
    }

    public Task DeleteAsync(ReadOnlyMemory<byte> senderId, Key senderKey, CancellationToken cancellationToken = default) =>
        ExecuteAsync(new FileCommand { Delete = new DeleteChunk() }, senderId, senderKey, cancellationToken);

    public Task AckAsync(ReadOnlyMemory<byte> recipientId, Key recipientKey, CancellationToken cancellationToken = default) =>
        ExecuteAsync(new FileCommand { Ack = new AckChunk() }, recipientId, recipientKey, cancellationToken);

    /// <summary>Downloads a chunk and removes the relay's layer; what arrives is checked segment by segment (the chunk's digest is the caller's to check).</summary>
    public async Task<byte[]> DownloadAsync(ReadOnlyMemory<byte> recipientId, Key recipientKey, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        using var dh = DownloadCipher.NewRecipientKey();
        var get = Sign(new FileCommand { Get = new GetChunk { DhKey = ByteString.CopyFrom(DownloadCipher.PublicBytes(dh)) } }, recipientId, recipientKey);
        return await CallAsync(async () =>
        {
            using var call = Grpc.Download(get, deadline: Deadline(300), cancellationToken: cancellationToken);
            var stream = call.ResponseStream;
            if (!await stream.MoveNext(cancellationToken) || stream.Current.PartCase != DownloadPart.PartOneofCase.Header)
            {
                throw new FileRelayException(FileErrorCode.Internal, "the relay's download did not start with a header");
            }

            var header = stream.Current.Header;
            if (!FilesProtocol.IsChunkSize(header.Size) || header.SegmentBytes != FilesProtocol.PartBytes)
            {
                throw new FileRelayException(FileErrorCode.Internal, "the relay's download header is malformed");
            }

            using var cipher = DownloadCipher.ForRelay(dh, header.DhKey.Span, header.NoncePrefix.Span, header.Size)
                ?? throw new FileRelayException(FileErrorCode.Internal, "the relay's download key is unusable");
            var chunk = new byte[header.Size];
            var offset = 0;
            long index = 0;
            while (await stream.MoveNext(cancellationToken))
            {
                var segment = stream.Current.Segment.Span;
                var length = segment.Length - DownloadCipher.TagBytes;
                if (stream.Current.PartCase != DownloadPart.PartOneofCase.Segment || length <= 0 || offset + length > chunk.Length
                    || !cipher.TryDecrypt(index, segment, chunk.AsSpan(offset, length)))
                {
                    throw new FileRelayException(FileErrorCode.Internal, "a downloaded segment failed to decrypt");
                }

                offset += length;
                index++;
                progress?.Report(length);
            }

            if (offset != chunk.Length)
            {
                throw new FileRelayException(FileErrorCode.Size, "the download ended before the whole chunk arrived");
            }

            return chunk;
        });
    }

    private async Task<FileReply> ExecuteAsync(FileCommand command, ReadOnlyMemory<byte> entityId, Key key, CancellationToken cancellationToken)
    {
        var transmission = Sign(command, entityId, key);
        return await CallAsync(() => Grpc.ExecuteAsync(transmission, deadline: Deadline(), cancellationToken: cancellationToken).ResponseAsync);
    }

    /// <summary>Signs a command for this connection (tests use it to make raw transmissions).</summary>
    public FileTransmission Sign(FileCommand command, ReadOnlyMemory<byte> entityId, Key key)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.CorrelationId = ByteString.CopyFrom(Relay.Client.RelayProtocol.NewCorrelationId());
        command.EntityId = ByteString.CopyFrom(entityId.Span);
        return FilesProtocol.Sign(command, key, _nonce);
    }

    private async Task<T> CallAsync<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (RpcException e)
        {
            throw Translate(e);
        }
        catch (HttpRequestException e)
        {
            throw new FileRelayException(FileErrorCode.Unspecified, "the file relay could not be reached", null, e);
        }
    }

    private FileRelayException Translate(RpcException e)
    {
        if (_pin.Mismatched)
        {
            return new FileRelayException(FileErrorCode.Unspecified, "the relay's certificate does not match the pinned fingerprint", null, e);
        }

        var code = e.Trailers.GetValue(ErrorTrailer);
        if (code is not null && Enum.TryParse<FileErrorCode>(code, ignoreCase: false, out var parsed))
        {
            return new FileRelayException(parsed, e.Status.Detail, e.Trailers.GetValue(WwwAuthenticateTrailer), e);
        }

        return new FileRelayException(FileErrorCode.Unspecified, $"the file relay did not answer ({e.StatusCode})", null, e);
    }

    private static DateTime Deadline(int seconds = 30) => DateTime.UtcNow.AddSeconds(seconds);

    public void Dispose() => _channel.Dispose();
}
