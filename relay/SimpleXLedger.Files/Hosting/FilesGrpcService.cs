using System.Runtime.CompilerServices;
using Google.Protobuf;
using Grpc.Core;
using SimpleXLedger.Files.Client;
using SimpleXLedger.Files.Engine;
using SimpleXLedger.Protos.Files;
using SimpleXLedger.Relay.Hosting;
using GrpcFiles = SimpleXLedger.Protos.Files.Files;

namespace SimpleXLedger.Files.Hosting;

/// <summary>The gRPC surface: thin, it finds the connection's session and hands transmissions and bytes to the engine.</summary>
internal sealed class FilesGrpcService(FileEngine engine, SessionRegistry sessions) : GrpcFiles.FilesBase
{
    public override Task<FilesHelloReply> Hello(FilesHelloRequest request, ServerCallContext context)
    {
        var o = engine.Options;
        var reply = new FilesHelloReply
        {
            SessionNonce = UnsafeByteOperations.UnsafeWrap(sessions.Open(ConnectionId(context))),
            ProtocolVersion = FilesProtocol.Version,
            ChunkTtlSeconds = (ulong)o.ChunkTtl.TotalSeconds,
            UploadRequiresPassword = o.UploadPassword is not null,
            Metering = engine.MeteringId,
            MaxRecipients = (uint)o.MaxRecipients,
            StorageMicrosPerMibDay = (ulong)engine.Payments.StorageMicrosPerMiBDay,
            DownloadMicrosPerMib = (ulong)engine.Payments.DownloadMicrosPerMiB,
        };
        reply.ChunkSizes.AddRange(FilesProtocol.ChunkSizes.Select(s => (uint)s));
        return Task.FromResult(reply);
    }

    public override async Task<FileReply> Execute(FileTransmission request, ServerCallContext context)
    {
        var nonce = RequireSession(context);
        try
        {
            return await engine.ExecuteAsync(request, nonce, context.CancellationToken);
        }
        catch (FileRefusedException e)
        {
            throw ToRpc(e);
        }
    }

    public override async Task<FileReply> Upload(IAsyncStreamReader<UploadPart> requestStream, ServerCallContext context)
    {
        var nonce = RequireSession(context);
        var ct = context.CancellationToken;
        try
        {
            if (!await requestStream.MoveNext(ct) || requestStream.Current.PartCase != UploadPart.PartOneofCase.Put)
            {
                throw new FileRefusedException(FileErrorCode.Syntax, "an upload starts with a put command");
            }

            return await engine.UploadAsync(requestStream.Current.Put, nonce, Parts(requestStream, ct), ct);
        }
        catch (FileRefusedException e)
        {
            throw ToRpc(e);
        }
    }

    public override async Task Download(FileTransmission request, IServerStreamWriter<DownloadPart> responseStream, ServerCallContext context)
    {
        var nonce = RequireSession(context);
        var ct = context.CancellationToken;
        ChunkDownload download;
        try
        {
            download = await engine.StartDownloadAsync(request, nonce, ct);
        }
        catch (FileRefusedException e)
        {
            throw ToRpc(e);
        }

        using (download)
        {
            await responseStream.WriteAsync(new DownloadPart { Header = download.Header }, ct);
            var buffer = new byte[FilesProtocol.PartBytes];
            long index = 0;
            while (await download.NextSegmentAsync(index++, buffer, ct) is { } segment)
            {
                await responseStream.WriteAsync(new DownloadPart { Segment = UnsafeByteOperations.UnsafeWrap(segment) }, ct);
            }
        }
    }

    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> Parts(IAsyncStreamReader<UploadPart> stream, [EnumeratorCancellation] CancellationToken ct)
    {
        while (await stream.MoveNext(ct))
        {
            if (stream.Current.PartCase != UploadPart.PartOneofCase.Data)
            {
                throw new FileRefusedException(FileErrorCode.Syntax, "after the put command an upload carries only data parts");
            }

            yield return stream.Current.Data.Memory;
        }
    }

    private byte[] RequireSession(ServerCallContext context) =>
        sessions.Find(ConnectionId(context)) ?? throw ToRpc(new FileRefusedException(FileErrorCode.NoSession, "no session on this connection: call Hello first"));

    private static string ConnectionId(ServerCallContext context) => context.GetHttpContext().Connection.Id;

    internal static RpcException ToRpc(FileRefusedException e)
    {
        var status = e.Code switch
        {
            FileErrorCode.Auth or FileErrorCode.PaymentRefused => StatusCode.PermissionDenied,
            FileErrorCode.Syntax or FileErrorCode.Size or FileErrorCode.Digest => StatusCode.InvalidArgument,
            FileErrorCode.Quota => StatusCode.ResourceExhausted,
            FileErrorCode.NoFile => StatusCode.NotFound,
            FileErrorCode.NoSession => StatusCode.Unauthenticated,
            FileErrorCode.PaymentRequired => StatusCode.FailedPrecondition,
            FileErrorCode.Unavailable => StatusCode.Unavailable,
            _ => StatusCode.Internal,
        };
        var trailers = new Metadata { { FileRelayClient.ErrorTrailer, e.Code.ToString() } };
        if (!string.IsNullOrEmpty(e.WwwAuthenticate))
        {
            trailers.Add(FileRelayClient.WwwAuthenticateTrailer, e.WwwAuthenticate);
        }

        return new RpcException(new Status(status, e.Message), trailers);
    }
}
