using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace SimpleXLedger.Tokens;

/// <summary>
/// RFC 9578 §6.1 TokenRequest for type 2 (259 bytes):
/// <c>struct { uint16 token_type = 0x0002; uint8 truncated_token_key_id; uint8 blinded_msg[256]; }</c>.
/// </summary>
public sealed class TokenRequest : IEquatable<TokenRequest>
{
    public const int BlindedMessageLength = TokenTypes.BlindRsa2048Nk;

    /// <summary>The encoded length, 259 bytes.</summary>
    public const int Length = 2 + 1 + BlindedMessageLength;

    private readonly byte[] _encoded;

    private TokenRequest(byte[] encoded)
    {
        _encoded = encoded;
    }

    public ushort TokenType => TokenTypes.BlindRsa2048;

    /// <summary>The last byte of the issuer key's token_key_id.</summary>
    public byte TruncatedTokenKeyId => _encoded[2];

    public ReadOnlySpan<byte> BlindedMessage => _encoded.AsSpan(3, BlindedMessageLength);

    public ReadOnlySpan<byte> Encoded => _encoded;

    public static TokenRequest Create(byte truncatedTokenKeyId, ReadOnlySpan<byte> blindedMessage)
    {
        if (blindedMessage.Length != BlindedMessageLength)
        {
            throw new TokenException(blindedMessage.Length < BlindedMessageLength ? TokenError.Truncated : TokenError.TrailingBytes);
        }

        var encoded = new byte[Length];
        BinaryPrimitives.WriteUInt16BigEndian(encoded, TokenTypes.BlindRsa2048);
        encoded[2] = truncatedTokenKeyId;
        blindedMessage.CopyTo(encoded.AsSpan(3));
        return new TokenRequest(encoded);
    }

    public static TokenRequest Parse(ReadOnlySpan<byte> encoded) =>
        TryParse(encoded, out var request, out var error) ? request : throw new TokenException(error);

    /// <summary>Strict parse: type 2 only, exactly 259 bytes.</summary>
    public static bool TryParse(ReadOnlySpan<byte> encoded, [NotNullWhen(true)] out TokenRequest? request, out TokenError error)
    {
        request = null;
        if (encoded.Length < 2)
        {
            error = TokenError.Truncated;
            return false;
        }

        if (BinaryPrimitives.ReadUInt16BigEndian(encoded) != TokenTypes.BlindRsa2048)
        {
            error = TokenError.UnsupportedTokenType;
            return false;
        }

        if (encoded.Length != Length)
        {
            error = encoded.Length < Length ? TokenError.Truncated : TokenError.TrailingBytes;
            return false;
        }

        request = new TokenRequest(encoded.ToArray());
        error = TokenError.None;
        return true;
    }

    public byte[] ToArray() => (byte[])_encoded.Clone();

    public bool Equals(TokenRequest? other) => other is not null && _encoded.AsSpan().SequenceEqual(other._encoded);

    public override bool Equals(object? obj) => Equals(obj as TokenRequest);

    public override int GetHashCode() => BinaryPrimitives.ReadInt32LittleEndian(_encoded.AsSpan(3));
}
