using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;

namespace SimpleXLedger.Tokens;

/// <summary>
/// RFC 9577 §2.1.1 TokenChallenge for token type 2:
/// <c>struct { uint16 token_type; opaque issuer_name&lt;1..2^16-1&gt;; opaque redemption_context&lt;0..32&gt;; opaque origin_info&lt;0..2^16-1&gt;; }</c>.
/// Immutable; the encoding is kept so the digest is over exactly the bytes on the wire.
/// </summary>
public sealed class TokenChallenge : IEquatable<TokenChallenge>
{
    public const int RedemptionContextLength = 32;
    public const int DigestLength = 32;

    private readonly byte[] _encoded;
    private readonly byte[] _redemptionContext;
    private readonly byte[] _digest;

    private TokenChallenge(byte[] encoded, string issuerName, byte[] redemptionContext, string originInfo)
    {
        _encoded = encoded;
        IssuerName = issuerName;
        _redemptionContext = redemptionContext;
        OriginInfo = originInfo;
        _digest = SHA256.HashData(encoded);
    }

    public ushort TokenType => TokenTypes.BlindRsa2048;

    /// <summary>The issuer's server name (host[:port]).</summary>
    public string IssuerName { get; }

    /// <summary>Empty, or 32 bytes chosen by the origin.</summary>
    public ReadOnlySpan<byte> RedemptionContext => _redemptionContext;

    /// <summary>Empty, or a comma-separated list of origin names.</summary>
    public string OriginInfo { get; }

    /// <summary>The network challenge: empty redemption context and origin info (tokens fetched ahead, spendable at any relay).</summary>
    public bool IsNetworkChallenge => _redemptionContext.Length == 0 && OriginInfo.Length == 0;

    /// <summary>The wire encoding.</summary>
    public ReadOnlySpan<byte> Encoded => _encoded;

    /// <summary>challenge_digest = SHA-256(TokenChallenge).</summary>
    public ReadOnlySpan<byte> Digest => _digest;

    /// <summary>The SimpleXLedger network challenge for an issuer: type 2, the issuer name, empty context, empty origin info.</summary>
    public static TokenChallenge ForNetwork(string issuerName) => Create(issuerName, [], string.Empty);

    /// <summary>A type-2 challenge; throws <see cref="TokenException"/> on invalid fields.</summary>
    public static TokenChallenge Create(string issuerName, ReadOnlySpan<byte> redemptionContext, string originInfo)
    {
        ArgumentNullException.ThrowIfNull(issuerName);
        ArgumentNullException.ThrowIfNull(originInfo);
        if (!IsServerName(issuerName))
        {
            throw new TokenException(TokenError.InvalidIssuerName);
        }

        if (redemptionContext.Length is not (0 or RedemptionContextLength))
        {
            throw new TokenException(TokenError.InvalidRedemptionContext);
        }

        if (!IsOriginInfo(originInfo))
        {
            throw new TokenException(TokenError.InvalidOriginInfo);
        }

        var issuer = Encoding.ASCII.GetBytes(issuerName);
        var origin = Encoding.ASCII.GetBytes(originInfo);
        var encoded = new byte[2 + 2 + issuer.Length + 1 + redemptionContext.Length + 2 + origin.Length];
        var w = encoded.AsSpan();
        BinaryPrimitives.WriteUInt16BigEndian(w, TokenTypes.BlindRsa2048);
        BinaryPrimitives.WriteUInt16BigEndian(w[2..], (ushort)issuer.Length);
        issuer.CopyTo(w[4..]);
        w = w[(4 + issuer.Length)..];
        w[0] = (byte)redemptionContext.Length;
        redemptionContext.CopyTo(w[1..]);
        w = w[(1 + redemptionContext.Length)..];
        BinaryPrimitives.WriteUInt16BigEndian(w, (ushort)origin.Length);
        origin.CopyTo(w[2..]);
        return new TokenChallenge(encoded, issuerName, redemptionContext.ToArray(), originInfo);
    }

    public static TokenChallenge Parse(ReadOnlySpan<byte> encoded) =>
        TryParse(encoded, out var challenge, out var error) ? challenge : throw new TokenException(error);

    /// <summary>Strict parse: supported type, every length checked, names validated, no trailing bytes.</summary>
    public static bool TryParse(ReadOnlySpan<byte> encoded, [NotNullWhen(true)] out TokenChallenge? challenge, out TokenError error)
    {
        challenge = null;
        var r = encoded;
        if (r.Length < 2)
        {
            error = TokenError.Truncated;
            return false;
        }

        if (BinaryPrimitives.ReadUInt16BigEndian(r) != TokenTypes.BlindRsa2048)
        {
            error = TokenError.UnsupportedTokenType;
            return false;
        }

        r = r[2..];
        if (!TryReadVector16(ref r, out var issuer))
        {
            error = TokenError.Truncated;
            return false;
        }

        if (r.Length < 1)
        {
            error = TokenError.Truncated;
            return false;
        }

        int contextLength = r[0];
        if (contextLength is not (0 or RedemptionContextLength))
        {
            error = TokenError.InvalidRedemptionContext;
            return false;
        }

        if (r.Length < 1 + contextLength)
        {
            error = TokenError.Truncated;
            return false;
        }

        var context = r.Slice(1, contextLength);
        r = r[(1 + contextLength)..];
        if (!TryReadVector16(ref r, out var origin))
        {
            error = TokenError.Truncated;
            return false;
        }

        if (!r.IsEmpty)
        {
            error = TokenError.TrailingBytes;
            return false;
        }

        var issuerName = Encoding.ASCII.GetString(issuer);
        if (!IsAscii(issuer) || !IsServerName(issuerName))
        {
            error = TokenError.InvalidIssuerName;
            return false;
        }

        var originInfo = Encoding.ASCII.GetString(origin);
        if (!IsAscii(origin) || !IsOriginInfo(originInfo))
        {
            error = TokenError.InvalidOriginInfo;
            return false;
        }

        challenge = new TokenChallenge(encoded.ToArray(), issuerName, context.ToArray(), originInfo);
        error = TokenError.None;
        return true;
    }

    public byte[] ToArray() => (byte[])_encoded.Clone();

    public string ToBase64Url() => Base64Url.Encode(_encoded);

    public bool Equals(TokenChallenge? other) => other is not null && _encoded.AsSpan().SequenceEqual(other._encoded);

    public override bool Equals(object? obj) => Equals(obj as TokenChallenge);

    public override int GetHashCode() => BinaryPrimitives.ReadInt32LittleEndian(_digest);

    /// <summary>An issuer or origin name: host[:port] in printable ASCII, no userinfo, no separators.</summary>
    internal static bool IsServerName(string name)
    {
        if (name.Length is 0 or > ushort.MaxValue)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (c is <= ' ' or >= (char)0x7F or ',' or '@' or '/' or '\\' or '?' or '#')
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsOriginInfo(string originInfo)
    {
        if (originInfo.Length == 0)
        {
            return true;
        }

        if (originInfo.Length > ushort.MaxValue)
        {
            return false;
        }

        foreach (var name in originInfo.Split(','))
        {
            if (!IsServerName(name))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsAscii(ReadOnlySpan<byte> bytes) => System.Text.Ascii.IsValid(bytes);

    private static bool TryReadVector16(ref ReadOnlySpan<byte> r, out ReadOnlySpan<byte> value)
    {
        value = default;
        if (r.Length < 2)
        {
            return false;
        }

        var length = BinaryPrimitives.ReadUInt16BigEndian(r);
        if (r.Length < 2 + length)
        {
            return false;
        }

        value = r.Slice(2, length);
        r = r[(2 + length)..];
        return true;
    }
}
