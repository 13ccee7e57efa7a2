using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace SimpleXLedger.Tokens;

/// <summary>
/// RFC 9577 §2.2 Token for type 2 (354 bytes):
/// <c>struct { uint16 token_type; uint8 nonce[32]; uint8 challenge_digest[32]; uint8 token_key_id[32]; uint8 authenticator[256]; }</c>.
/// A spendable credit: never log it; the nonce is what double-spend checks record.
/// </summary>
public sealed class Token : IEquatable<Token>
{
    public const int NonceLength = 32;
    public const int ChallengeDigestLength = 32;
    public const int KeyIdLength = TokenTypes.BlindRsa2048Nid;
    public const int AuthenticatorLength = TokenTypes.BlindRsa2048Nk;

    /// <summary>Length of token_authenticator_input: type, nonce, digest, key id.</summary>
    public const int AuthenticatorInputLength = 2 + NonceLength + ChallengeDigestLength + KeyIdLength;

    /// <summary>The encoded length, 354 bytes.</summary>
    public const int Length = AuthenticatorInputLength + AuthenticatorLength;

    private readonly byte[] _encoded;

    private Token(byte[] encoded)
    {
        _encoded = encoded;
    }

    public ushort TokenType => TokenTypes.BlindRsa2048;

    public ReadOnlySpan<byte> Nonce => _encoded.AsSpan(2, NonceLength);

    public ReadOnlySpan<byte> ChallengeDigest => _encoded.AsSpan(2 + NonceLength, ChallengeDigestLength);

    public ReadOnlySpan<byte> TokenKeyId => _encoded.AsSpan(2 + NonceLength + ChallengeDigestLength, KeyIdLength);

    public ReadOnlySpan<byte> Authenticator => _encoded.AsSpan(AuthenticatorInputLength, AuthenticatorLength);

    /// <summary>token_authenticator_input: the signed part of the token.</summary>
    public ReadOnlySpan<byte> AuthenticatorInput => _encoded.AsSpan(0, AuthenticatorInputLength);

    /// <summary>The wire encoding.</summary>
    public ReadOnlySpan<byte> Encoded => _encoded;

    public static Token Create(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> challengeDigest, ReadOnlySpan<byte> tokenKeyId, ReadOnlySpan<byte> authenticator)
    {
        if (nonce.Length != NonceLength || challengeDigest.Length != ChallengeDigestLength || tokenKeyId.Length != KeyIdLength || authenticator.Length != AuthenticatorLength)
        {
            throw new TokenException(TokenError.Truncated);
        }

        var encoded = new byte[Length];
        WriteAuthenticatorInput(nonce, challengeDigest, tokenKeyId, encoded);
        authenticator.CopyTo(encoded.AsSpan(AuthenticatorInputLength));
        return new Token(encoded);
    }

    /// <summary>Writes token_authenticator_input (98 bytes) into destination.</summary>
    public static void WriteAuthenticatorInput(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> challengeDigest, ReadOnlySpan<byte> tokenKeyId, Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, TokenTypes.BlindRsa2048);
        nonce.CopyTo(destination[2..]);
        challengeDigest.CopyTo(destination[(2 + NonceLength)..]);
        tokenKeyId.CopyTo(destination[(2 + NonceLength + ChallengeDigestLength)..]);
    }

    public static Token Parse(ReadOnlySpan<byte> encoded) =>
        TryParse(encoded, out var token, out var error) ? token : throw new TokenException(error);

    /// <summary>Strict parse: type 2 only, exactly 354 bytes.</summary>
    public static bool TryParse(ReadOnlySpan<byte> encoded, [NotNullWhen(true)] out Token? token, out TokenError error)
    {
        token = null;
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

        token = new Token(encoded.ToArray());
        error = TokenError.None;
        return true;
    }

    public static bool TryParseBase64Url(string? text, [NotNullWhen(true)] out Token? token, out TokenError error)
    {
        token = null;
        if (!Base64Url.TryDecode(text, out var bytes))
        {
            error = TokenError.InvalidBase64;
            return false;
        }

        return TryParse(bytes, out token, out error);
    }

    public byte[] ToArray() => (byte[])_encoded.Clone();

    public string ToBase64Url() => Base64Url.Encode(_encoded);

    public bool Equals(Token? other) =>
        other is not null && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(_encoded, other._encoded);

    public override bool Equals(object? obj) => Equals(obj as Token);

    public override int GetHashCode() => BinaryPrimitives.ReadInt32LittleEndian(_encoded.AsSpan(2));

    /// <summary>Never prints the token (it is spendable).</summary>
    public override string ToString() => "Token(type 2)";
}
