using System.Buffers.Binary;
using System.Security.Cryptography;
using NSec.Cryptography;

namespace SimpleXLedger.Files.Client;

/// <summary>
/// The relay's extra layer on a download, so that uploaded and downloaded bytes share no ciphertext: the relay makes
/// an ephemeral X25519 key, agrees with the key the recipient sent with its request, derives a ChaCha20-Poly1305 key
/// (HKDF-SHA256 over the shared secret, salt = relay key ‖ recipient key) and encrypts the chunk in segments of
/// <see cref="FilesProtocol.PartBytes"/>; a segment's nonce is the 4-byte random prefix ‖ its index (8 bytes,
/// big-endian) and its associated data the chunk size, so the recipient detects a changed, moved or missing segment.
/// </summary>
public sealed class DownloadCipher : IDisposable
{
    public const int KeyBytes = 32;
    public const int NoncePrefixBytes = 4;
    public const int TagBytes = 16;

    private static readonly KeyAgreementAlgorithm Agreement = KeyAgreementAlgorithm.X25519;
    private static readonly AeadAlgorithm Aead = AeadAlgorithm.ChaCha20Poly1305;
    private static ReadOnlySpan<byte> Info => "sxl-files/1 download"u8;
    private readonly Key _key;
    private readonly byte[] _noncePrefix;
    private readonly uint _size;

    private DownloadCipher(Key key, byte[] noncePrefix, uint size)
    {
        _key = key;
        _noncePrefix = noncePrefix;
        _size = size;
    }

    public byte[] NoncePrefix => _noncePrefix;

    /// <summary>A recipient's ephemeral key pair for one download (the private key is never exported).</summary>
    public static Key NewRecipientKey() => Key.Create(Agreement);

    public static byte[] PublicBytes(Key key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
    }

    /// <summary>The relay's side: a fresh key and nonce prefix for <paramref name="recipientKey"/>; null if the key is not a usable X25519 key.</summary>
    public static (DownloadCipher Cipher, byte[] RelayKey)? ForRecipient(ReadOnlySpan<byte> recipientKey, uint size)
    {
        if (recipientKey.Length != KeyBytes || !PublicKey.TryImport(Agreement, recipientKey, KeyBlobFormat.RawPublicKey, out var recipient) || recipient is null)
        {
            return null;
        }

        using var relayKey = Key.Create(Agreement);
        var relayPublic = relayKey.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        var key = Derive(relayKey, recipient, relayPublic, recipientKey);
        return key is null ? null : (new DownloadCipher(key, RandomNumberGenerator.GetBytes(NoncePrefixBytes), size), relayPublic);
    }

    /// <summary>The recipient's side, from the relay's header; null if the relay's key is unusable.</summary>
    public static DownloadCipher? ForRelay(Key recipientKey, ReadOnlySpan<byte> relayKey, ReadOnlySpan<byte> noncePrefix, uint size)
    {
        ArgumentNullException.ThrowIfNull(recipientKey);
        if (relayKey.Length != KeyBytes || noncePrefix.Length != NoncePrefixBytes || !PublicKey.TryImport(Agreement, relayKey, KeyBlobFormat.RawPublicKey, out var relay) || relay is null)
        {
            return null;
        }

        var key = Derive(recipientKey, relay, relayKey, recipientKey.PublicKey.Export(KeyBlobFormat.RawPublicKey));
        return key is null ? null : new DownloadCipher(key, noncePrefix.ToArray(), size);
    }

    private static Key? Derive(Key own, PublicKey other, ReadOnlySpan<byte> relayPublic, ReadOnlySpan<byte> recipientPublic)
    {
        using var shared = Agreement.Agree(own, other, new SharedSecretCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });
        if (shared is null)
        {
            return null;
        }

        var ikm = shared.Export(SharedSecretBlobFormat.RawSharedSecret);
        var salt = new byte[relayPublic.Length + recipientPublic.Length];
        relayPublic.CopyTo(salt);
        recipientPublic.CopyTo(salt.AsSpan(relayPublic.Length));
        var raw = HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, KeyBytes, salt, Info.ToArray());
        try
        {
            return Key.Import(Aead, raw, KeyBlobFormat.RawSymmetricKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(ikm);
            CryptographicOperations.ZeroMemory(raw);
        }
    }

    public byte[] Encrypt(long index, ReadOnlySpan<byte> plaintext)
    {
        Span<byte> nonce = stackalloc byte[12];
        Span<byte> ad = stackalloc byte[4];
        Prepare(index, nonce, ad);
        return Aead.Encrypt(_key, nonce, ad, plaintext);
    }

    /// <summary>False if the segment was changed, moved or belongs to another download.</summary>
    public bool TryDecrypt(long index, ReadOnlySpan<byte> ciphertext, Span<byte> plaintext)
    {
        if (ciphertext.Length < TagBytes || plaintext.Length != ciphertext.Length - TagBytes)
        {
            return false;
        }

        Span<byte> nonce = stackalloc byte[12];
        Span<byte> ad = stackalloc byte[4];
        Prepare(index, nonce, ad);
        return Aead.Decrypt(_key, nonce, ad, ciphertext, plaintext);
    }

    private void Prepare(long index, Span<byte> nonce, Span<byte> ad)
    {
        _noncePrefix.CopyTo(nonce);
        BinaryPrimitives.WriteInt64BigEndian(nonce[NoncePrefixBytes..], index);
        BinaryPrimitives.WriteUInt32BigEndian(ad, _size);
    }

    public void Dispose() => _key.Dispose();
}
