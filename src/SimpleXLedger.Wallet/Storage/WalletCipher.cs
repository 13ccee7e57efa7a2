using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using NSec.Cryptography;

namespace SimpleXLedger.Wallet.Storage;

/// <summary>
/// The wallet key (Argon2id over the passphrase and the file's salt) and the AEAD every record is sealed with:
/// XChaCha20-Poly1305 (libsodium through NSec), a fresh random 24-byte nonce per write, and the row's identity
/// (file format, wallet id, the row's slot) as associated data, so a sealed record cannot be moved to another row or
/// wallet, nor read as another format. Kind and id are inside the seal (see <see cref="WalletFile"/>).
/// </summary>
internal sealed class WalletCipher : IDisposable
{
    public const string KdfName = "argon2id";
    public const string AeadName = "xchacha20poly1305";
    public const int SaltLength = 16;

    private static readonly byte[] RecordContext = Encoding.ASCII.GetBytes("sxl-wallet-record-v2\0");
    private readonly Key _key;
    private readonly byte[] _walletId;

    private WalletCipher(Key key, byte[] walletId)
    {
        _key = key;
        _walletId = walletId;
    }

    public static AeadAlgorithm Aead => AeadAlgorithm.XChaCha20Poly1305;

    public static int NonceLength => Aead.NonceSize;

    /// <summary>Derives the key. The passphrase is NFC-normalised first, so the same words typed on another keyboard open it.</summary>
    public static WalletCipher Derive(string passphrase, ReadOnlySpan<byte> salt, KdfParameters kdf, byte[] walletId)
    {
        ArgumentNullException.ThrowIfNull(passphrase);
        ArgumentNullException.ThrowIfNull(kdf);
        kdf.Validate();
        var algorithm = PasswordBasedKeyDerivationAlgorithm.Argon2id(new Argon2Parameters
        {
            DegreeOfParallelism = kdf.Parallelism,
            MemorySize = kdf.MemoryKib,
            NumberOfPasses = kdf.Passes,
        });
        var bytes = Encoding.UTF8.GetBytes(passphrase.Normalize(NormalizationForm.FormC));
        try
        {
            var key = algorithm.DeriveKey(bytes, salt, Aead, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.None });
            return new WalletCipher(key, walletId);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    /// <summary>Seals with a fresh nonce; returns (nonce, ciphertext ‖ tag).</summary>
    public (byte[] Nonce, byte[] Sealed) Seal(ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext)
    {
        var nonce = RandomNumberGenerator.GetBytes(NonceLength);
        return (nonce, Aead.Encrypt(_key, nonce, associatedData, plaintext));
    }

    /// <summary>Opens a sealed value; null when it does not authenticate (wrong key, altered bytes, moved row).</summary>
    public byte[]? Open(ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> sealedValue) =>
        nonce.Length != NonceLength || sealedValue.Length < Aead.TagSize ? null : Aead.Decrypt(_key, nonce, associatedData, sealedValue);

    public (byte[] Nonce, byte[] Sealed) SealRecord(int format, ReadOnlySpan<byte> slot, ReadOnlySpan<byte> plaintext) =>
        Seal(RecordAssociatedData(format, slot), plaintext);

    public byte[]? OpenRecord(int format, ReadOnlySpan<byte> slot, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> sealedValue) =>
        Open(RecordAssociatedData(format, slot), nonce, sealedValue);

    /// <summary>context ‖ format ‖ wallet id ‖ len(slot) ‖ slot.</summary>
    private byte[] RecordAssociatedData(int format, ReadOnlySpan<byte> slot)
    {
        var ad = new byte[RecordContext.Length + 4 + _walletId.Length + 2 + slot.Length];
        var w = ad.AsSpan();
        RecordContext.CopyTo(w);
        w = w[RecordContext.Length..];
        BinaryPrimitives.WriteInt32BigEndian(w, format);
        w = w[4..];
        _walletId.CopyTo(w);
        w = w[_walletId.Length..];
        BinaryPrimitives.WriteUInt16BigEndian(w, (ushort)slot.Length);
        slot.CopyTo(w[2..]);
        return ad;
    }

    public void Dispose() => _key.Dispose();
}
