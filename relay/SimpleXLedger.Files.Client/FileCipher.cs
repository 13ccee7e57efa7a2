using System.Buffers.Binary;
using System.Security.Cryptography;
using NSec.Cryptography;

namespace SimpleXLedger.Files.Client;

/// <summary>
/// The sender's layer: the padded file encrypted with a random key (ChaCha20-Poly1305, NSec) in segments of
/// <see cref="SegmentBytes"/> ciphertext bytes, so that the encrypted file is exactly the sum of its chunks. A
/// segment's nonce is its index (8 bytes, big-endian, after 4 zero bytes: the key is used for one file only); its
/// associated data binds the number of segments, so a truncated or reordered file fails to decrypt. The plaintext
/// is the file's length (8 bytes, big-endian), the file, then zeros.
/// </summary>
public sealed class FileCipher : IDisposable
{
    public const int KeyBytes = 32;
    public const int SegmentBytes = FilesProtocol.PartBytes;
    public const int TagBytes = 16;
    public const int SegmentPlaintextBytes = SegmentBytes - TagBytes;
    public const int HeaderBytes = 8;

    private static readonly AeadAlgorithm Aead = AeadAlgorithm.ChaCha20Poly1305;
    private readonly Key _key;
    private readonly long _segments;

    public FileCipher(ReadOnlySpan<byte> key, long segments)
    {
        if (key.Length != KeyBytes)
        {
            throw new ArgumentException("a file key is 32 bytes", nameof(key));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(segments, 1);
        _key = Key.Import(Aead, key, KeyBlobFormat.RawSymmetricKey);
        _segments = segments;
    }

    public static byte[] NewKey() => RandomNumberGenerator.GetBytes(KeyBytes);

    /// <summary>The segments holding a file of <paramref name="fileLength"/> bytes (with its length header).</summary>
    public static long SegmentsFor(long fileLength) => (fileLength + HeaderBytes + SegmentPlaintextBytes - 1) / SegmentPlaintextBytes;

    public void Encrypt(long index, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext)
    {
        Span<byte> nonce = stackalloc byte[12];
        Span<byte> ad = stackalloc byte[8];
        Prepare(index, nonce, ad);
        Aead.Encrypt(_key, nonce, ad, plaintext, ciphertext);
    }

    /// <summary>False if the segment is not this file's segment <paramref name="index"/> (tampered, moved, truncated file).</summary>
    public bool TryDecrypt(long index, ReadOnlySpan<byte> ciphertext, Span<byte> plaintext)
    {
        Span<byte> nonce = stackalloc byte[12];
        Span<byte> ad = stackalloc byte[8];
        Prepare(index, nonce, ad);
        return Aead.Decrypt(_key, nonce, ad, ciphertext, plaintext);
    }

    private void Prepare(long index, Span<byte> nonce, Span<byte> ad)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, _segments);
        nonce.Clear();
        BinaryPrimitives.WriteInt64BigEndian(nonce[4..], index);
        BinaryPrimitives.WriteInt64BigEndian(ad, _segments);
    }

    public void Dispose() => _key.Dispose();
}
