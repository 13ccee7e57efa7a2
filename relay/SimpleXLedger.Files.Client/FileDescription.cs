using System.Buffers.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SimpleXLedger.Files.Client;

/// <summary>
/// What a sender hands a recipient out of band (over a queue, for example): the file key and the digest of the
/// encrypted file, then every chunk with its size, digest and replicas (relay address, recipient id, recipient
/// key). It is a secret: whoever holds it can download and decrypt the file. A sender's own description
/// (<see cref="Party"/> "sender") holds the sender ids and keys instead, to delete the chunks. JSON, versioned
/// (<see cref="CurrentVersion"/>); bytes are base64url without padding. See docs/files.md.
/// </summary>
public sealed record FileDescription
{
    public const int CurrentVersion = 1;
    public const string RecipientParty = "recipient";
    public const string SenderParty = "sender";

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public int Version { get; init; } = CurrentVersion;

    public required string Party { get; init; }

    /// <summary>The padded, encrypted file's size: the sum of the chunk sizes.</summary>
    public required long Size { get; init; }

    /// <summary>SHA-512 of the encrypted file.</summary>
    public required string Digest { get; init; }

    /// <summary>The file key (ChaCha20-Poly1305, 32 bytes).</summary>
    public required string Key { get; init; }

    public required IReadOnlyList<ChunkDescription> Chunks { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads and checks a description; a malformed one is a <see cref="FormatException"/> naming what is wrong.</summary>
    public static FileDescription Parse(string json)
    {
        FileDescription? d;
        try
        {
            d = JsonSerializer.Deserialize<FileDescription>(json, Json);
        }
        catch (JsonException e)
        {
            throw new FormatException($"not a file description: {e.Message}", e);
        }

        if (d is null)
        {
            throw new FormatException("not a file description");
        }

        if (d.Version != CurrentVersion)
        {
            throw new FormatException($"file description version {d.Version} is not supported (this client reads {CurrentVersion})");
        }

        if (d.Party is not (RecipientParty or SenderParty))
        {
            throw new FormatException("party must be \"recipient\" or \"sender\"");
        }

        if (Bytes(d.Key, "key").Length != FileCipher.KeyBytes || Bytes(d.Digest, "digest").Length != 64)
        {
            throw new FormatException("the file key must be 32 bytes and the digest 64 (SHA-512)");
        }

        if (d.Chunks is null || d.Chunks.Count == 0 || d.Chunks.Sum(c => (long)c.Size) != d.Size)
        {
            throw new FormatException("the chunks must be listed and add up to the file size");
        }

        for (var i = 0; i < d.Chunks.Count; i++)
        {
            var c = d.Chunks[i];
            if (c.Number != i + 1 || !FilesProtocol.IsChunkSize(c.Size) || Bytes(c.Digest, "chunk digest").Length != 32 || c.Replicas is null || c.Replicas.Count == 0)
            {
                throw new FormatException($"chunk {i + 1} is malformed (number, size, SHA-256 digest, at least one replica)");
            }

            foreach (var r in c.Replicas)
            {
                if (!Net.PinnedAddress.TryParse(r.Relay, out _, out _) || Bytes(r.Id, "replica id").Length != FilesProtocol.IdLength || Bytes(r.Key, "replica key").Length != 32)
                {
                    throw new FormatException($"a replica of chunk {i + 1} is malformed (relay address, 24-byte id, 32-byte key)");
                }
            }
        }

        return d;
    }

    public static byte[] Bytes(string? text, string what)
    {
        try
        {
            return Base64Url.DecodeFromChars(text ?? throw new FormatException($"{what} is missing"));
        }
        catch (FormatException e) when (e.Message.StartsWith(what, StringComparison.Ordinal) is false)
        {
            throw new FormatException($"{what} is not base64url", e);
        }
    }

    public static string Text(ReadOnlySpan<byte> bytes) => Base64Url.EncodeToString(bytes);
}

/// <summary>One chunk: its number (from 1), size, SHA-256 digest of its bytes as uploaded, and where it is.</summary>
public sealed record ChunkDescription(int Number, int Size, string Digest, IReadOnlyList<ReplicaDescription> Replicas);

/// <summary>One copy of a chunk: the relay (<c>sxl://…</c>), the id on it and the Ed25519 key (seed) that signs for that id.</summary>
public sealed record ReplicaDescription(string Relay, string Id, string Key);
