using System.Diagnostics.CodeAnalysis;
using System.Formats.Asn1;
using System.Security.Cryptography;
using SimpleXLedger.Tokens.BlindRsa;

namespace SimpleXLedger.Tokens;

/// <summary>
/// A token type 2 issuer public key (RSA-2048). Its wire form is the RFC 9578 §6.5 SPKI: id-RSASSA-PSS with
/// RSASSA-PSS-params {sha384, mgf1-sha384, saltLength 48}; token_key_id = SHA-256 of exactly those DER bytes.
/// Immutable and thread-safe.
/// </summary>
public sealed class TokenPublicKey : IEquatable<TokenPublicKey>
{
    public const int ModulusBits = 2048;

    private const string RsassaPssOid = "1.2.840.113549.1.1.10";
    private const string Sha384Oid = "2.16.840.1.101.3.4.2.2";
    private const string Mgf1Oid = "1.2.840.113549.1.1.8";

    private readonly byte[] _spki;
    private readonly byte[] _keyId;

    private TokenPublicKey(RsaBssaPublicKey rsaKey, byte[] spki)
    {
        RsaKey = rsaKey;
        _spki = spki;
        _keyId = SHA256.HashData(spki);
    }

    public ushort TokenType => TokenTypes.BlindRsa2048;

    /// <summary>The RSA key for the RSABSSA-SHA384-PSS-Deterministic operations.</summary>
    public RsaBssaPublicKey RsaKey { get; }

    /// <summary>The DER SPKI (what the directory, the challenge's token-key and the chain registry carry).</summary>
    public ReadOnlySpan<byte> Spki => _spki;

    /// <summary>token_key_id = SHA-256(SPKI), 32 bytes.</summary>
    public ReadOnlySpan<byte> KeyId => _keyId;

    /// <summary>The last byte of token_key_id, as a TokenRequest carries it.</summary>
    public byte TruncatedKeyId => _keyId[^1];

    /// <summary>The key id in lower-case hex (public; fine for logs).</summary>
    public string KeyIdHex => Convert.ToHexStringLower(_keyId);

    /// <summary>Wraps an RSA-2048 public key with e = 65537; throws <see cref="TokenException"/> (InvalidKey) for any other.</summary>
    public static TokenPublicKey FromRsaKey(RsaBssaPublicKey rsaKey)
    {
        ArgumentNullException.ThrowIfNull(rsaKey);
        if (!IsType2(rsaKey))
        {
            throw new TokenException(TokenError.InvalidKey);
        }

        return new TokenPublicKey(rsaKey, EncodeSpki(rsaKey));
    }

    public static TokenPublicKey FromSpki(ReadOnlySpan<byte> spki) =>
        TryFromSpki(spki, out var key, out var error) ? key : throw new TokenException(error);

    /// <summary>
    /// Strict: the input must be exactly the canonical DER this class writes (PSS OID, the three parameters,
    /// an RSA-2048 key with e = 65537), so the key id computed here matches every conforming implementation's.
    /// </summary>
    public static bool TryFromSpki(ReadOnlySpan<byte> spki, [NotNullWhen(true)] out TokenPublicKey? key, out TokenError error)
    {
        key = null;
        error = TokenError.InvalidKey;
        try
        {
            var outer = new AsnReader(spki.ToArray(), AsnEncodingRules.DER);
            var seq = outer.ReadSequence();
            if (outer.HasData)
            {
                return false;
            }

            var algorithm = seq.ReadSequence();
            if (algorithm.ReadObjectIdentifier() != RsassaPssOid)
            {
                return false;
            }

            // Parameters are checked by re-encoding below; here only skip them.
            algorithm.ReadEncodedValue();
            if (algorithm.HasData)
            {
                return false;
            }

            var bits = seq.ReadBitString(out var unused);
            if (seq.HasData)
            {
                return false;
            }

            if (unused != 0)
            {
                return false;
            }

            var rsa = new AsnReader(bits, AsnEncodingRules.DER).ReadSequence();
            var n = rsa.ReadIntegerBytes().Span;
            var e = rsa.ReadIntegerBytes().Span;
            if (rsa.HasData)
            {
                return false;
            }

            if (n.IsEmpty || e.IsEmpty || (n[0] & 0x80) != 0 || (e[0] & 0x80) != 0)
            {
                return false;
            }

            if (!RsaBssaPublicKey.TryFromParameters(n, e, out var rsaKey) || !IsType2(rsaKey))
            {
                return false;
            }

            var canonical = EncodeSpki(rsaKey);
            if (!canonical.AsSpan().SequenceEqual(spki))
            {
                return false;
            }

            key = new TokenPublicKey(rsaKey, canonical);
            error = TokenError.None;
            return true;
        }
        catch (AsnContentException)
        {
            return false;
        }
    }

    public static TokenPublicKey FromBase64Url(string text) =>
        TryFromBase64Url(text, out var key, out var error) ? key : throw new TokenException(error);

    public static bool TryFromBase64Url(string? text, [NotNullWhen(true)] out TokenPublicKey? key, out TokenError error)
    {
        key = null;
        if (!Base64Url.TryDecode(text, out var spki))
        {
            error = TokenError.InvalidBase64;
            return false;
        }

        return TryFromSpki(spki, out key, out error);
    }

    public byte[] ExportSpki() => (byte[])_spki.Clone();

    /// <summary>The base64url SPKI with padding: the "token-key" of directories and challenges.</summary>
    public string ToBase64Url() => Base64Url.Encode(_spki);

    public bool Equals(TokenPublicKey? other) => other is not null && _spki.AsSpan().SequenceEqual(other._spki);

    public override bool Equals(object? obj) => Equals(obj as TokenPublicKey);

    public override int GetHashCode() => System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(_keyId);

    public override string ToString() => $"TokenPublicKey({KeyIdHex})";

    /// <summary>
    /// A type-2 key: RSA-2048 with the public exponent pinned to 65537. Other odd exponents form valid RSA keys,
    /// but no conforming issuer makes them, and a small one (e = 3) opens the door to low-exponent attacks on
    /// verification; one fixed value also leaves no room for a key that is "the same" under two encodings.
    /// </summary>
    internal static bool IsType2(RsaBssaPublicKey rsaKey) =>
        rsaKey.ModulusBits == ModulusBits && rsaKey.Exponent.SequenceEqual(F4);

    private static ReadOnlySpan<byte> F4 => [0x01, 0x00, 0x01];

    private static byte[] EncodeSpki(RsaBssaPublicKey rsaKey)
    {
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            using (w.PushSequence())
            {
                w.WriteObjectIdentifier(RsassaPssOid);
                using (w.PushSequence())
                {
                    // hashAlgorithm [0] sha384 (parameters absent, as in the RFC 9578 vector)
                    using (w.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0)))
                    using (w.PushSequence())
                    {
                        w.WriteObjectIdentifier(Sha384Oid);
                    }

                    // maskGenAlgorithm [1] mgf1(sha384)
                    using (w.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 1)))
                    using (w.PushSequence())
                    {
                        w.WriteObjectIdentifier(Mgf1Oid);
                        using (w.PushSequence())
                        {
                            w.WriteObjectIdentifier(Sha384Oid);
                        }
                    }

                    // saltLength [2] 48
                    using (w.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 2)))
                    {
                        w.WriteInteger(48);
                    }
                }
            }

            var inner = new AsnWriter(AsnEncodingRules.DER);
            using (inner.PushSequence())
            {
                inner.WriteIntegerUnsigned(rsaKey.Modulus);
                inner.WriteIntegerUnsigned(rsaKey.Exponent);
            }

            w.WriteBitString(inner.Encode());
        }

        return w.Encode();
    }
}
