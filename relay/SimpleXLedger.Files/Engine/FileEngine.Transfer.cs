using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using SimpleXLedger.Files.Client;
using SimpleXLedger.Files.Storage;
using SimpleXLedger.Net.Crash;
using SimpleXLedger.Protos.Files;

namespace SimpleXLedger.Files.Engine;

/// <summary>A download under way: the header to send first, then the body's segments, each encrypted once more.</summary>
internal sealed class ChunkDownload(DownloadHeader header, FileStream body, DownloadCipher cipher) : IDisposable
{
    public DownloadHeader Header => header;

    /// <summary>The next encrypted segment, or null at the end of the chunk.</summary>
    public async Task<byte[]?> NextSegmentAsync(long index, byte[] buffer, CancellationToken ct)
    {
        var read = await body.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, ct);
        return read == 0 ? null : cipher.Encrypt(index, buffer.AsSpan(0, read));
    }

    public void Dispose()
    {
        body.Dispose();
        cipher.Dispose();
    }
}

internal sealed partial class FileEngine
{
    /// <summary>
    /// Receives a chunk's body: the sender's signed put, then the parts. The bytes go to a temporary file, hashed and
    /// counted on the way; only when the size and digest match the registration is the file flushed, moved into place
    /// and the record marked uploaded, and only then is the sender answered. Anything else leaves nothing stored.
    /// </summary>
    public async Task<FileReply> UploadAsync(FileTransmission put, byte[] nonce, IAsyncEnumerable<ReadOnlyMemory<byte>> parts, CancellationToken ct)
    {
        var command = Parse(put);
        if (command.BodyCase != FileCommand.BodyOneofCase.Put)
        {
            throw new FileRefusedException(FileErrorCode.Syntax, "an upload starts with a put command");
        }

        var chunk = await SenderChunkAsync(command, put, nonce, ct);
        if (chunk.Blocked)
        {
            throw new FileRefusedException(FileErrorCode.NoFile, "the chunk is blocked");
        }

        var (temporary, stream) = _chunks.CreateTemporary();
        var keep = false;
        try
        {
            using var hash = FilesProtocol.DigestFor(chunk.Digest.Length);
            long received = 0;
            await using (stream)
            {
                await foreach (var part in parts.WithCancellation(ct))
                {
                    received += part.Length;
                    if (received > chunk.Size)
                    {
                        throw new FileRefusedException(FileErrorCode.Size, "more bytes than the chunk's registered size");
                    }

                    hash.AppendData(part.Span);
                    await stream.WriteAsync(part, ct);
                }

                if (received != chunk.Size)
                {
                    throw new FileRefusedException(FileErrorCode.Size, $"{received} bytes, not the chunk's registered size");
                }

                if (!CryptographicOperations.FixedTimeEquals(hash.GetHashAndReset(), chunk.Digest))
                {
                    throw new FileRefusedException(FileErrorCode.Digest, "the bytes do not have the chunk's registered digest");
                }

                if (chunk.Uploaded)
                {
                    // The same bytes again (a retry whose answer was lost): nothing to change.
                    return new FileReply { CorrelationId = command.CorrelationId, Ok = new FileOk() };
                }

                await stream.FlushAsync(ct);
                stream.Flush(flushToDisk: true);
            }

            CrashPoint.Reach("files.upload.before-commit");
            _chunks.Commit(temporary, chunk.StorageId);
            keep = true;
            await _metadata.MarkUploadedAsync(chunk.StorageId, CancellationToken.None);
            CrashPoint.Reach("files.upload.after-commit");
            return new FileReply { CorrelationId = command.CorrelationId, Ok = new FileOk() };
        }
        finally
        {
            if (!keep)
            {
                ChunkStore.DeleteTemporary(temporary);
            }
        }
    }

    /// <summary>Starts serving a chunk to a recipient: checked (signature, uploaded, not blocked, not expired) before anything is sent.</summary>
    public async Task<ChunkDownload> StartDownloadAsync(FileTransmission get, byte[] nonce, CancellationToken ct)
    {
        var command = Parse(get);
        if (command.BodyCase != FileCommand.BodyOneofCase.Get)
        {
            throw new FileRefusedException(FileErrorCode.Syntax, "a download takes a get command");
        }

        var recipient = await RecipientAsync(command, get, nonce, ct);
        var chunk = recipient.Chunk;
        if (!chunk.Uploaded || chunk.Blocked || chunk.Expires <= _time.GetUtcNow().ToUnixTimeSeconds())
        {
            throw new FileRefusedException(FileErrorCode.NoFile, "the chunk is not available");
        }

        var body = _chunks.Open(chunk.StorageId) ?? throw new FileRefusedException(FileErrorCode.NoFile, "the chunk is not available");
        var made = DownloadCipher.ForRecipient(command.Get.DhKey.Span, (uint)chunk.Size);
        if (made is not { } m)
        {
            await body.DisposeAsync();
            throw new FileRefusedException(FileErrorCode.Syntax, "the download key must be a 32-byte X25519 public key");
        }

        var header = new DownloadHeader
        {
            DhKey = Google.Protobuf.ByteString.CopyFrom(m.RelayKey),
            NoncePrefix = Google.Protobuf.ByteString.CopyFrom(m.Cipher.NoncePrefix),
            Size = (uint)chunk.Size,
            SegmentBytes = FilesProtocol.PartBytes,
        };
        return new ChunkDownload(header, body, m.Cipher);
    }

    /// <summary>Removes expired chunks (record, then body). Returns how many.</summary>
    public async Task<int> SweepAsync(CancellationToken ct)
    {
        var expired = await _metadata.ExpiredAsync(_time.GetUtcNow().ToUnixTimeSeconds(), ct);
        foreach (var id in expired)
        {
            await _metadata.DeleteChunkAsync(id, ct);
            _chunks.Delete(id);
        }

        if (expired.Count > 0)
        {
            _logger.LogInformation("expired {Count} chunks", expired.Count);
        }

        return expired.Count;
    }

    /// <summary>At start: removes interrupted uploads and every body that may not be served (no record, or not marked uploaded).</summary>
    public async Task RecoverAsync(CancellationToken ct)
    {
        var temporary = _chunks.ClearTemporary();
        var uploaded = (await _metadata.UploadedAsync(ct)).Select(Convert.ToHexString).ToHashSet(StringComparer.Ordinal);
        var orphans = 0;
        foreach (var body in _chunks.Bodies().ToList())
        {
            if (!uploaded.Contains(Convert.ToHexString(body)))
            {
                _chunks.Delete(body);
                orphans++;
            }
        }

        if (temporary + orphans > 0)
        {
            _logger.LogInformation("start: removed {Temporary} interrupted uploads and {Orphans} bodies without a served record", temporary, orphans);
        }
    }
}
