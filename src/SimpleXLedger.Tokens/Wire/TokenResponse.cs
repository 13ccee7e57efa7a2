using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace SimpleXLedger.Tokens;

/// <summary>RFC 9578 §6.2 TokenResponse for type 2: <c>struct { uint8 blind_sig[256]; }</c>.</summary>
public sealed class TokenResponse : IEquatable<TokenResponse>
{
    /// <summary>The encoded length, 256 bytes.</summary>
    public const int Length = TokenTypes.BlindRsa2048Nk;

    private readonly byte[] _blindSignature;

    private TokenResponse(byte[] blindSignature)
    {
        _blindSignature = blindSignature;
    }

    public ReadOnlySpan<byte> BlindSignature => _blindSignature;

    public ReadOnlySpan<byte> Encoded => _blindSignature;

    public static TokenResponse Parse(ReadOnlySpan<byte> encoded) =>
        TryParse(encoded, out var response, out var error) ? response : throw new TokenException(error);

    /// <summary>Strict parse: exactly 256 bytes.</summary>
    public static bool TryParse(ReadOnlySpan<byte> encoded, [NotNullWhen(true)] out TokenResponse? response, out TokenError error)
    {
        response = null;
        if (encoded.Length != Length)
        {
            error = encoded.Length < Length ? TokenError.Truncated : TokenError.TrailingBytes;
            return false;
        }

        response = new TokenResponse(encoded.ToArray());
        error = TokenError.None;
        return true;
    }

    internal static TokenResponse FromOwned(byte[] blindSignature) => new(blindSignature);

    public byte[] ToArray() => (byte[])_blindSignature.Clone();

    public bool Equals(TokenResponse? other) => other is not null && _blindSignature.AsSpan().SequenceEqual(other._blindSignature);

    public override bool Equals(object? obj) => Equals(obj as TokenResponse);

    public override int GetHashCode() => BinaryPrimitives.ReadInt32LittleEndian(_blindSignature);
}
