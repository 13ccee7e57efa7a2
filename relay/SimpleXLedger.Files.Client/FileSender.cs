using System.Buffers.Binary;
using System.Security.Cryptography;
using NSec.Cryptography;
using SimpleXLedger.Net;
using SimpleXLedger.Relay.Client;

namespace SimpleXLedger.Files.Client;

/// <summary>What a sent file left behind: the sender's description (to delete it) and one description per recipient.</summary>
public sealed record SentFile(FileDescription Sender, IReadOnlyList<FileDescription> Recipients);

/// <summary>
/// Pays for one chunk on one relay: asked for <paramref name="Tokens"/> whole tokens (the relay's price for the
/// chunk's storage over its lifetime and its downloads). Each chunk is paid on its own, so no balance links them.
/// </summary>
public delegate Task<IReadOnlyList<byte[]>> ChunkPayment(PinnedAddress relay, int tokens, CancellationToken cancellationToken);

/// <summary>What one chunk (numbered from 1) costs on one relay, in whole tokens (zero on an unmetered relay).</summary>
public sealed record ChunkPrice(int Chunk, PinnedAddress Relay, int Tokens);

/// <summary>
/// Told every chunk's price on every relay once all relays have said hello, before anything is registered or uploaded:
/// a payer that cannot cover them throws here and nothing is sent.
/// </summary>
public delegate Task PaymentPlan(IReadOnlyList<ChunkPrice> prices, CancellationToken cancellationToken);

/// <summary>Told that a relay accepted the tokens the last <see cref="ChunkPayment"/> for it gave (the chunk is registered, so they are spent).</summary>
public delegate void ChunkPaid(PinnedAddress relay);

/// <summary>
/// The sender's side: pads and encrypts a file with a random key, splits it into chunks of two sizes, registers and
/// uploads every chunk on every relay given (replicas; new sender and recipient keys for each chunk on each relay,
/// so nothing but the connection ties them), and returns the descriptions. Keys and ids are never logged.
/// </summary>
public static class FileSender
{
    public static async Task<SentFile> SendAsync(string path, IReadOnlyList<PinnedAddress> relays, int recipients = 1, ChunkPayment? pay = null, PaymentPlan? quote = null, ChunkPaid? paid = null, string? password = null, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(relays);
        if (relays.Count == 0)
        {
            throw new ArgumentException("give at least one relay", nameof(relays));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(recipients, 1);
        await using var input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        var plan = ChunkPlan.For(input.Length);
        var totalSegments = plan.Sum(s => (long)s) / FileCipher.SegmentBytes;
        var fileKey = FileCipher.NewKey();
        using var cipher = new FileCipher(fileKey, totalSegments);
        using var fileDigest = System.Security.Cryptography.IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
        var clients = new List<FileRelayClient>();
        try
        {
            foreach (var relay in relays)
            {
                clients.Add(await FileRelayClient.ConnectAsync(relay, cancellationToken));
            }

            int TokensFor(FileRelayClient client, int size) => FilesProtocol.TokensFor(FilesProtocol.Price(
                size, TimeSpan.FromSeconds(client.Hello.ChunkTtlSeconds), recipients, (long)client.Hello.StorageMicrosPerMibDay, (long)client.Hello.DownloadMicrosPerMib));
            if (quote is not null)
            {
                var prices = plan.SelectMany((size, n) => clients.Select(c => new ChunkPrice(n + 1, c.Address, TokensFor(c, size)))).ToArray();
                await quote(prices, cancellationToken);
            }

            var senderChunks = new List<ChunkDescription>();
            var recipientChunks = Enumerable.Range(0, recipients).Select(_ => new List<ChunkDescription>()).ToArray();
            var plaintext = new byte[FileCipher.SegmentPlaintextBytes];
            long segment = 0;
            var header = true;
            for (var n = 0; n < plan.Count; n++)
            {
                var chunk = new byte[plan[n]];
                for (var offset = 0; offset < chunk.Length; offset += FileCipher.SegmentBytes)
                {
                    Array.Clear(plaintext);
                    var start = 0;
                    if (header)
                    {
                        BinaryPrimitives.WriteInt64BigEndian(plaintext, input.Length);
                        start = FileCipher.HeaderBytes;
                        header = false;
                    }

                    await input.ReadAtLeastAsync(plaintext.AsMemory(start), plaintext.Length - start, throwOnEndOfStream: false, cancellationToken);
                    cipher.Encrypt(segment++, plaintext, chunk.AsSpan(offset, FileCipher.SegmentBytes));
                }

                fileDigest.AppendData(chunk);
                var digest = SHA256.HashData(chunk);
                var senderReplicas = new List<ReplicaDescription>();
                var recipientReplicas = Enumerable.Range(0, recipients).Select(_ => new List<ReplicaDescription>()).ToArray();
                foreach (var client in clients)
                {
                    using var senderKey = RelayProtocol.NewKey();
                    var recipientKeys = Enumerable.Range(0, recipients).Select(_ => RelayProtocol.NewKey()).ToArray();
                    try
                    {
                        var tokens = TokensFor(client, chunk.Length);
                        IReadOnlyList<byte[]> payment = tokens > 0 && pay is not null ? await pay(client.Address, tokens, cancellationToken) : [];
                        var ids = await client.RegisterAsync(senderKey, chunk.Length, digest, recipientKeys.Select(RelayProtocol.PublicKeyBytes).ToArray(), password, payment, cancellationToken);
                        if (payment.Count > 0)
                        {
                            paid?.Invoke(client.Address);
                        }

                        await client.UploadAsync(ids.SenderId.Memory, senderKey, chunk, progress, cancellationToken);
                        var relay = client.Address.ToString();
                        senderReplicas.Add(new ReplicaDescription(relay, FileDescription.Text(ids.SenderId.Span), FileDescription.Text(RelayProtocol.ExportSeed(senderKey))));
                        for (var r = 0; r < recipients; r++)
                        {
                            recipientReplicas[r].Add(new ReplicaDescription(relay, FileDescription.Text(ids.RecipientIds[r].Span), FileDescription.Text(RelayProtocol.ExportSeed(recipientKeys[r]))));
                        }
                    }
                    finally
                    {
                        foreach (var k in recipientKeys)
                        {
                            k.Dispose();
                        }
                    }
                }

                var digestText = FileDescription.Text(digest);
                senderChunks.Add(new ChunkDescription(n + 1, chunk.Length, digestText, senderReplicas));
                for (var r = 0; r < recipients; r++)
                {
                    recipientChunks[r].Add(new ChunkDescription(n + 1, chunk.Length, digestText, recipientReplicas[r]));
                }
            }

            var size = plan.Sum(s => (long)s);
            var fileDigestText = FileDescription.Text(fileDigest.GetHashAndReset());
            var keyText = FileDescription.Text(fileKey);
            FileDescription Describe(string party, IReadOnlyList<ChunkDescription> chunks) =>
                new() { Party = party, Size = size, Digest = fileDigestText, Key = keyText, Chunks = chunks };
            return new SentFile(Describe(FileDescription.SenderParty, senderChunks), recipientChunks.Select(c => Describe(FileDescription.RecipientParty, c)).ToArray());
        }
        finally
        {
            CryptographicOperations.ZeroMemory(fileKey);
            foreach (var c in clients)
            {
                c.Dispose();
            }
        }
    }

    /// <summary>Deletes every chunk of a sent file on every relay (with the sender's description); relays that cannot be reached are reported back.</summary>
    public static async Task<IReadOnlyList<string>> DeleteAsync(FileDescription sender, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sender);
        if (sender.Party != FileDescription.SenderParty)
        {
            throw new ArgumentException("deleting needs the sender's description", nameof(sender));
        }

        var failed = new List<string>();
        var clients = new Dictionary<string, FileRelayClient?>(StringComparer.Ordinal);
        try
        {
            foreach (var replica in sender.Chunks.SelectMany(c => c.Replicas))
            {
                var client = await FileReceiver.ClientForAsync(clients, replica.Relay, cancellationToken);
                try
                {
                    using var key = RelayProtocol.ImportKey(FileDescription.Bytes(replica.Key, "replica key"));
                    if (client is null)
                    {
                        throw new FileRelayException("unreachable");
                    }

                    await client.DeleteAsync(FileDescription.Bytes(replica.Id, "replica id"), key, cancellationToken);
                }
                catch (FileRelayException)
                {
                    failed.Add(replica.Relay);
                }
            }
        }
        finally
        {
            foreach (var c in clients.Values)
            {
                c?.Dispose();
            }
        }

        return failed.Distinct(StringComparer.Ordinal).ToArray();
    }
}
