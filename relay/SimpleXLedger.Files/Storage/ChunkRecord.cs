namespace SimpleXLedger.Files.Storage;

/// <summary>A chunk's record: where its body is (storage id), who may send (sender key) and what it must be.</summary>
internal sealed record ChunkRecord(byte[] StorageId, byte[] SenderId, byte[] SenderKey, int Size, byte[] Digest, long Expires, bool Uploaded, bool Blocked);

/// <summary>A recipient id, its key, and its chunk.</summary>
internal sealed record RecipientRecord(byte[] RecipientId, byte[] RecipientKey, ChunkRecord Chunk);
