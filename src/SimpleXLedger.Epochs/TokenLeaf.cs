using System.Buffers.Binary;

namespace SimpleXLedger.Epochs;

/// <summary>
/// Token leaf v1, 378 bytes (docs/ledger-v2.md §5.1): tag 0x10 ‖ kind ‖ payee 20 ‖ keyId 32 ‖ nonce 32 ‖ ordinal u32
/// ‖ ref 32 ‖ authenticator 256, big-endian. A paying (PAID) leaf has a non-zero payee and a zero ref; a non-paying
/// one (ROLLOVER, RECOUP) a zero payee. The constructor and <see cref="Decode"/> refuse anything else.
/// </summary>
public sealed class TokenLeaf
{
    public const int Size = 378;
    public const int KindOffset = 1;
    public const int PayeeOffset = 2;
    public const int KeyIdOffset = 22;
    public const int NonceOffset = 54;
    public const int OrdinalOffset = 86;
    public const int RefOffset = 90;
    public const int AuthenticatorOffset = 122;
    public const int AuthenticatorSize = 256;

    private readonly byte[] _payee;
    private readonly byte[] _keyId;
    private readonly byte[] _nonce;
    private readonly byte[] _ref;
    private readonly byte[] _authenticator;

    public TokenLeaf(TokenKind kind, ReadOnlySpan<byte> payee, ReadOnlySpan<byte> keyId, ReadOnlySpan<byte> nonce, uint ordinal, ReadOnlySpan<byte> reference, ReadOnlySpan<byte> authenticator)
    {
        Check(kind, payee, reference);
        Kind = kind;
        _payee = Bytes.Exact(payee, 20, "payee");
        _keyId = Bytes.Exact(keyId, 32, "keyId");
        _nonce = Bytes.Exact(nonce, 32, "nonce");
        Ordinal = ordinal;
        _ref = Bytes.Exact(reference, 32, "ref");
        _authenticator = Bytes.Exact(authenticator, AuthenticatorSize, "authenticator");
    }

    public TokenKind Kind { get; }

    public ReadOnlySpan<byte> Payee => _payee;

    public ReadOnlySpan<byte> KeyId => _keyId;

    public ReadOnlySpan<byte> Nonce => _nonce;

    public uint Ordinal { get; }

    public ReadOnlySpan<byte> Ref => _ref;

    public ReadOnlySpan<byte> Authenticator => _authenticator;

    public bool IsPaying => Kind == TokenKind.Paid;

    public byte[] Encode()
    {
        var bytes = new byte[Size];
        Encode(bytes);
        return bytes;
    }

    public void Encode(Span<byte> destination)
    {
        if (destination.Length < Size)
        {
            throw new EpochFormatException(EpochFormatError.BadLength, $"a token leaf needs {Size} bytes");
        }

        destination[0] = Tags.TokenLeaf;
        destination[KindOffset] = (byte)Kind;
        _payee.CopyTo(destination[PayeeOffset..]);
        _keyId.CopyTo(destination[KeyIdOffset..]);
        _nonce.CopyTo(destination[NonceOffset..]);
        BinaryPrimitives.WriteUInt32BigEndian(destination[OrdinalOffset..], Ordinal);
        _ref.CopyTo(destination[RefOffset..]);
        _authenticator.CopyTo(destination[AuthenticatorOffset..]);
    }

    /// <summary>keccak256 of the 378 leaf bytes: the token tree's leaf hash.</summary>
    public byte[] Hash() => Keccak.Hash(Encode());

    public static TokenLeaf Decode(ReadOnlySpan<byte> bytes)
    {
        CheckEncoded(bytes);
        return new TokenLeaf(
            (TokenKind)bytes[KindOffset],
            bytes.Slice(PayeeOffset, 20),
            bytes.Slice(KeyIdOffset, 32),
            bytes.Slice(NonceOffset, 32),
            BinaryPrimitives.ReadUInt32BigEndian(bytes[OrdinalOffset..]),
            bytes.Slice(RefOffset, 32),
            bytes.Slice(AuthenticatorOffset, AuthenticatorSize));
    }

    /// <summary>Checks length, tag, kind and the payee/ref rules of encoded leaf bytes without allocating.</summary>
    public static void CheckEncoded(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
        {
            throw new EpochFormatException(EpochFormatError.BadLength, $"a token leaf is {Size} bytes, got {bytes.Length}");
        }

        if (bytes[0] != Tags.TokenLeaf)
        {
            throw new EpochFormatException(EpochFormatError.BadTag, $"a token leaf starts with 0x10, got 0x{bytes[0]:x2}");
        }

        Check((TokenKind)bytes[KindOffset], bytes.Slice(PayeeOffset, 20), bytes.Slice(RefOffset, 32));
    }

    internal static void Check(TokenKind kind, ReadOnlySpan<byte> payee, ReadOnlySpan<byte> reference)
    {
        if (kind is not (TokenKind.Paid or TokenKind.Rollover or TokenKind.Recoup))
        {
            throw new EpochFormatException(EpochFormatError.BadKind, $"token kind 0x{(byte)kind:x2} is not PAID, ROLLOVER or RECOUP");
        }

        if (payee.Length == 20 && (kind == TokenKind.Paid) == Bytes.IsZero(payee))
        {
            throw new EpochFormatException(EpochFormatError.BadPayee, kind == TokenKind.Paid ? "a PAID token needs a non-zero payee" : "a non-paying token has the zero payee");
        }

        if (kind == TokenKind.Paid && reference.Length == 32 && !Bytes.IsZero(reference))
        {
            throw new EpochFormatException(EpochFormatError.BadRef, "a PAID token has a zero ref");
        }
    }
}
