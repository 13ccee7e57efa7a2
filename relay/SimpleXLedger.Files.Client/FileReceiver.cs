using System.Buffers.Binary;
using System.Security.Cryptography;
using SimpleXLedger.Net;
using SimpleXLedger.Relay.Client;

namespace SimpleXLedger.Files.Client;

/// <summary>No replica of a chunk could be had, or the file did not verify; nothing is left at the output path.</summary>
public sealed class FileTransferException : Exception
{
    public FileTransferException()
    {
    }

    public FileTransferException(string message)
        : base(message)
    {
    }

    public FileTransferException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// The recipient's side: downloads every chunk from the first replica that answers with the right digest (falling
/// back to the next one when a relay is down, the chunk is gone or its digest does not match), checks the encrypted
/// file's SHA-512, decrypts, and writes the file; with <c>ack</c> it then acknowledges each chunk where it got it.
/// </summary>
public static class FileReceiver
{
    public static async Task<long> ReceiveAsync(FileDescription description, string outputPath, bool ack = true, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(description);
        if (description.Party != FileDescription.RecipientParty)
        {
            throw new ArgumentException("receiving needs a recipient's description", nameof(description));
        }

        var fileKey = FileDescription.Bytes(description.Key, "key");
        var segments = description.Size / FileCipher.SegmentBytes;
        using var cipher = new FileCipher(fileKey, segments);
        CryptographicOperations.ZeroMemory(fileKey);
        using var fileDigest = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
        var clients = new Dictionary<string, FileRelayClient?>(StringComparer.Ordinal);
        var partial = outputPath + ".part";
        var used = new List<ReplicaDescription>();
        try
        {
            long length = -1;
            long written = 0;
            long segment = 0;
            await using (var output = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                var plaintext = new byte[FileCipher.SegmentPlaintextBytes];
                foreach (var chunk in description.Chunks)
                {
                    var (bytes, replica) = await DownloadChunkAsync(clients, chunk, progress, cancellationToken);
                    used.Add(replica);
                    fileDigest.AppendData(bytes);
                    for (var offset = 0; offset < bytes.Length; offset += FileCipher.SegmentBytes)
                    {
                        if (!cipher.TryDecrypt(segment++, bytes.AsSpan(offset, FileCipher.SegmentBytes), plaintext))
                        {
                            throw new FileTransferException("the file does not decrypt with its key");
                        }

                        var start = 0;
                        if (length < 0)
                        {
                            length = BinaryPrimitives.ReadInt64BigEndian(plaintext);
                            start = FileCipher.HeaderBytes;
                            if (length < 0 || length > description.Size)
                            {
                                throw new FileTransferException("the file's length header is impossible");
                            }
                        }

                        var take = (int)Math.Min(plaintext.Length - start, length - written);
                        if (take > 0)
                        {
                            await output.WriteAsync(plaintext.AsMemory(start, take), cancellationToken);
                            written += take;
                        }
                    }
                }

                await output.FlushAsync(cancellationToken);
            }

            if (!CryptographicOperations.FixedTimeEquals(fileDigest.GetHashAndReset(), FileDescription.Bytes(description.Digest, "digest")))
            {
                throw new FileTransferException("the encrypted file's SHA-512 does not match the description");
            }

            if (written != length)
            {
                throw new FileTransferException("the file is shorter than its length header");
            }

            File.Move(partial, outputPath, overwrite: true);
            if (ack)
            {
                foreach (var replica in used)
                {
                    if (await ClientForAsync(clients, replica.Relay, cancellationToken) is { } client)
                    {
                        using var key = RelayProtocol.ImportKey(FileDescription.Bytes(replica.Key, "replica key"));
                        try
                        {
                            await client.AckAsync(FileDescription.Bytes(replica.Id, "replica id"), key, cancellationToken);
                        }
                        catch (FileRelayException)
                        {
                            // The file is here; an unacknowledged chunk expires on its own.
                        }
                    }
                }
            }

            return written;
        }
        catch
        {
            File.Delete(partial);
            throw;
        }
        finally
        {
            foreach (var c in clients.Values)
            {
                c?.Dispose();
            }
        }
    }

    private static async Task<(byte[] Bytes, ReplicaDescription Replica)> DownloadChunkAsync(Dictionary<string, FileRelayClient?> clients, ChunkDescription chunk, IProgress<long>? progress, CancellationToken ct)
    {
        var expected = FileDescription.Bytes(chunk.Digest, "chunk digest");
        var reasons = new List<string>();
        foreach (var replica in chunk.Replicas)
        {
            var client = await ClientForAsync(clients, replica.Relay, ct);
            if (client is null)
            {
                reasons.Add("a relay could not be reached");
                continue;
            }

            try
            {
                using var key = RelayProtocol.ImportKey(FileDescription.Bytes(replica.Key, "replica key"));
                var bytes = await client.DownloadAsync(FileDescription.Bytes(replica.Id, "replica id"), key, progress, ct);
                if (bytes.Length == chunk.Size && CryptographicOperations.FixedTimeEquals(SHA256.HashData(bytes), expected))
                {
                    return (bytes, replica);
                }

                reasons.Add("a replica's digest did not match");
            }
            catch (FileRelayException e)
            {
                reasons.Add(e.Code == Protos.Files.FileErrorCode.Unspecified ? "a relay did not answer" : $"a relay answered {e.Code}");
                if (e.Code == Protos.Files.FileErrorCode.Unspecified)
                {
                    clients[replica.Relay] = null;
                }
            }
        }

        throw new FileTransferException($"chunk {chunk.Number}: no replica could be downloaded ({string.Join("; ", reasons)})");
    }

    /// <summary>The connection to a relay, made once; null (and remembered) when it cannot be reached.</summary>
    internal static async Task<FileRelayClient?> ClientForAsync(Dictionary<string, FileRelayClient?> clients, string relay, CancellationToken ct)
    {
        if (clients.TryGetValue(relay, out var known))
        {
            return known;
        }

        FileRelayClient? client = null;
        if (PinnedAddress.TryParse(relay, out var address, out _))
        {
            try
            {
                client = await FileRelayClient.ConnectAsync(address, ct);
            }
            catch (FileRelayException)
            {
                client = null;
            }
        }

        clients[relay] = client;
        return client;
    }
}
