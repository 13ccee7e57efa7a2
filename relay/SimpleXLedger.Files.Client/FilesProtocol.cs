using System.Security.Cryptography;
using Google.Protobuf;
using NSec.Cryptography;
using SimpleXLedger.Protos.Files;
using SimpleXLedger.Relay.Client;

namespace SimpleXLedger.Files.Client;

/// <summary>
/// The file relay's wire rules shared by client and relay: chunk sizes, ids, prices and the signed bytes of a
/// transmission (the message relay's binding, <see cref="RelayProtocol.SignBytes(ReadOnlySpan{byte}, ReadOnlySpan{byte}, Key, ReadOnlySpan{byte})"/>,
/// under the file relay's own context).
/// </summary>
public static class FilesProtocol
{
    public const uint Version = 1;
    public const int IdLength = 24;
    public const int MaxCorrelationIdLength = 24;
    public const int KiB = 1024;
    public const int MiB = 1024 * 1024;

    /// <summary>Bytes of one upload part and of one download segment's plaintext.</summary>
    public const int PartBytes = 64 * KiB;

    /// <summary>Microcredits in one token (one credit), as the tokens plugin counts them.</summary>
    public const long MicrosPerToken = 1_000_000;

    /// <summary>The four chunk sizes of XFTP, smallest first.</summary>
    public static IReadOnlyList<int> ChunkSizes { get; } = [64 * KiB, 256 * KiB, MiB, 4 * MiB];

    /// <summary>Domain separation: a file relay signature is never a message relay's, nor the reverse.</summary>
    public static ReadOnlySpan<byte> SignatureContext => "sxl-files/1\0"u8;

    public static bool IsChunkSize(long size) => ChunkSizes.Contains((int)Math.Clamp(size, 0, int.MaxValue));

    public static byte[] NewId() => RandomNumberGenerator.GetBytes(IdLength);

    /// <summary>Signs a command for the connection whose session nonce is <paramref name="sessionNonce"/>.</summary>
    public static FileTransmission Sign(FileCommand command, Key key, ReadOnlySpan<byte> sessionNonce)
    {
        ArgumentNullException.ThrowIfNull(command);
        var bytes = command.ToByteArray();
        var signature = RelayProtocol.SignBytes(SignatureContext, bytes, key, sessionNonce);
        return new FileTransmission { Command = UnsafeByteOperations.UnsafeWrap(bytes), Signature = UnsafeByteOperations.UnsafeWrap(signature) };
    }

    public static bool Verify(PublicKey key, ReadOnlySpan<byte> commandBytes, ReadOnlySpan<byte> signature, ReadOnlySpan<byte> sessionNonce) =>
        RelayProtocol.Verify(SignatureContext, key, commandBytes, signature, sessionNonce);

    /// <summary>
    /// What a chunk costs in microcredits: storage per MiB-day for its whole lifetime, and one download of it per
    /// recipient id. Rounded up; the sender pays it in whole tokens (<see cref="TokensFor"/>).
    /// </summary>
    public static long Price(long size, TimeSpan lifetime, int recipients, long storageMicrosPerMiBDay, long downloadMicrosPerMiB)
    {
        var storage = CeilDiv((Int128)size * (long)lifetime.TotalSeconds * storageMicrosPerMiBDay, (Int128)MiB * 86_400);
        var download = CeilDiv((Int128)size * recipients * downloadMicrosPerMiB, MiB);
        return (long)(storage + download);
    }

    /// <summary>Whole tokens covering <paramref name="micros"/>.</summary>
    public static int TokensFor(long micros) => (int)CeilDiv(micros, MicrosPerToken);

    /// <summary>The digest of a chunk as registered: SHA-256 (32 bytes) or SHA-512 (64 bytes).</summary>
    public static System.Security.Cryptography.IncrementalHash DigestFor(int digestLength) => digestLength switch
    {
        32 => System.Security.Cryptography.IncrementalHash.CreateHash(HashAlgorithmName.SHA256),
        64 => System.Security.Cryptography.IncrementalHash.CreateHash(HashAlgorithmName.SHA512),
        _ => throw new ArgumentOutOfRangeException(nameof(digestLength), "a digest is SHA-256 (32 bytes) or SHA-512 (64 bytes)"),
    };

    private static Int128 CeilDiv(Int128 a, Int128 b) => (a + b - 1) / b;
}
