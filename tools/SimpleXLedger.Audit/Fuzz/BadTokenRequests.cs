using System.Buffers.Binary;
using System.Numerics;
using SimpleXLedger.Tokens;

namespace SimpleXLedger.Audit.Fuzz;

/// <summary>What the bad requests are made from: the issuing key (public), a real request for it, the key ids the issuer holds.</summary>
internal sealed record IssuerFacts(TokenPublicKey IssuerKey, byte[] TokenRequest, IReadOnlySet<byte> KnownTruncatedKeyIds);

/// <summary>
/// TokenRequests that no issuer may sign, whatever the card: any well-formed request for the issuing key with a
/// blinded message below the modulus is signable (that is what blind signing means), so a request sent with a card
/// that still has credits must be wrong in a way no single mutation undoes.
/// </summary>
internal static class BadTokenRequests
{
    /// <summary>One bad request and how it is bad.</summary>
    public static (byte[] Request, string Name) Any(FuzzRandom random, IssuerFacts issuer)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(issuer);
        var template = issuer.TokenRequest;
        switch (random.Next(6))
        {
            case 0:
                {
                    var bytes = (byte[])template.Clone();
                    BinaryPrimitives.WriteUInt16BigEndian(bytes, (ushort)random.Pick<int>([0x0000, 0x0001, 0x0003, 0x0004, 0x0102, 0x2000, 0xFFFF]));
                    return (bytes, "wrong-token-type");
                }

            case 1:
                {
                    var length = random.Chance(0.5) ? random.Next(TokenRequest.Length) : random.Between(TokenRequest.Length + 1, TokenRequest.Length + 600);
                    var bytes = new byte[length];
                    template.AsSpan(0, Math.Min(length, template.Length)).CopyTo(bytes);
                    return (bytes, "wrong-length");
                }

            case 2:
                {
                    var bytes = (byte[])template.Clone();
                    bytes[2] = UnknownKeyId(random, issuer);
                    return (bytes, "unknown-key-id");
                }

            case 3:
                return (OutOfRange(random, issuer, template[2]), "blinded-message-not-below-modulus");
            case 4:
                return (Robust(random, issuer), "wrong-in-every-way");
            default:
                {
                    var length = random.Length(64, 2048);
                    if (length == TokenRequest.Length)
                    {
                        length++;
                    }

                    return (random.Bytes(length), "garbage");
                }
        }
    }

    /// <summary>Wrong type, unknown key id, blinded message at or above the modulus, wrong length: bad under any one further mutation.</summary>
    public static byte[] Robust(FuzzRandom random, IssuerFacts issuer)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(issuer);
        var inRange = OutOfRange(random, issuer, UnknownKeyId(random, issuer));
        BinaryPrimitives.WriteUInt16BigEndian(inRange, 0xFFFF);
        return [.. inRange, .. random.Bytes(random.Between(1, 8))];
    }

    /// <summary>A truncated key id that names none of the issuer's keys.</summary>
    public static byte UnknownKeyId(FuzzRandom random, IssuerFacts issuer)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(issuer);
        var known = issuer.KnownTruncatedKeyIds;
        for (var i = 0; i < 1000; i++)
        {
            var id = (byte)random.Next(256);
            if (!known.Contains(id))
            {
                return id;
            }
        }

        throw new InvalidOperationException("the issuer holds keys under every truncated key id");
    }

    /// <summary>A type 2 request under <paramref name="keyId"/> whose blinded message is at least the modulus (public: n).</summary>
    public static byte[] OutOfRange(FuzzRandom random, IssuerFacts issuer, byte keyId)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(issuer);
        var n = new BigInteger(issuer.IssuerKey.RsaKey.Modulus, isUnsigned: true, isBigEndian: true);
        var top = (BigInteger.One << (8 * TokenRequest.BlindedMessageLength)) - 1;
        var value = random.Next(3) switch
        {
            0 => n,
            1 => top,
            _ => n + ((top - n) * random.Next(1 << 20) / (1 << 20)),
        };
        var bytes = new byte[TokenRequest.Length];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, TokenTypes.BlindRsa2048);
        bytes[2] = keyId;
        value.TryWriteBytes(bytes.AsSpan(3), out _, isUnsigned: true, isBigEndian: true);
        return bytes;
    }
}
