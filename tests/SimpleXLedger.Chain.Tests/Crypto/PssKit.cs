using System.Buffers.Binary;
using System.Security.Cryptography;
using SimpleXLedger.Tokens.BlindRsa;

namespace SimpleXLedger.Chain.Tests.Crypto;

/// <summary>How to spoil an EMSA-PSS encoding (RFC 8017 §9.1.1) built by hand.</summary>
internal sealed record PssFlaws
{
    public byte Trailer { get; init; } = 0xBC;

    public bool SetTopBit { get; init; }

    public byte Separator { get; init; } = 0x01;

    /// <summary>An index into PS (DB's zero padding) to make non-zero, or -1.</summary>
    public int NonZeroPaddingAt { get; init; } = -1;

    /// <summary>Store an H that is not Hash(M').</summary>
    public bool WrongHash { get; init; }
}

/// <summary>
/// Hand-made RSASSA-PSS signatures for RSA-2048 with SHA-384/MGF1-SHA-384: the encoding is built here, any
/// salt length, optionally broken, then the RSA private operation is applied to it through the project's
/// OpenSSL-backed RSABSSA BlindSign (which signs any representative below n; no BigInteger.ModPow).
/// </summary>
internal static class PssKit
{
    public const int EmLength = 256;
    private const int HashLength = 48;

    public static byte[] Encode(ReadOnlySpan<byte> message, ReadOnlySpan<byte> salt, PssFlaws flaws)
    {
        var mPrime = new byte[8 + HashLength + salt.Length];
        SHA384.HashData(message, mPrime.AsSpan(8, HashLength));
        salt.CopyTo(mPrime.AsSpan(8 + HashLength));
        var h = SHA384.HashData(mPrime);
        if (flaws.WrongHash)
        {
            h[0] ^= 1;
        }

        var dbLength = EmLength - HashLength - 1;
        var db = new byte[dbLength];
        db[dbLength - salt.Length - 1] = flaws.Separator;
        salt.CopyTo(db.AsSpan(dbLength - salt.Length));
        if (flaws.NonZeroPaddingAt >= 0)
        {
            db[flaws.NonZeroPaddingAt] = 0x5A;
        }

        var mask = Mgf1(h, dbLength);
        var em = new byte[EmLength];
        for (var i = 0; i < dbLength; i++)
        {
            em[i] = (byte)(db[i] ^ mask[i]);
        }

        em[0] &= 0x7F;
        if (flaws.SetTopBit)
        {
            em[0] |= 0x80;
        }

        h.CopyTo(em.AsSpan(dbLength));
        em[^1] = flaws.Trailer;
        return em;
    }

    /// <summary>s = em^d mod n, or null when em is not below n.</summary>
    public static byte[]? RawSign(RsaBssaPrivateKey key, byte[] em)
    {
        var signature = new byte[EmLength];
        return RsaBssa.Sha384PssDeterministic.TryBlindSign(key, em, signature) == RsaBssaError.None ? signature : null;
    }

    /// <summary>Encodes with random salts until the representative is below n (only a set top bit can exceed it), then signs.</summary>
    public static byte[] Sign(RsaBssaPrivateKey key, ReadOnlySpan<byte> message, int saltLength, PssFlaws flaws)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var em = Encode(message, RandomNumberGenerator.GetBytes(saltLength), flaws);
            var signature = RawSign(key, em);
            if (signature is not null)
            {
                return signature;
            }
        }

        throw new InvalidOperationException("no encoding below n in 200 attempts");
    }

    /// <summary>The reference: .NET's own RSASSA-PSS verification (SHA-384, salt = hash length) under (n, e).</summary>
    public static bool DotnetVerify(RSAParameters key, byte[] message, byte[] signature)
    {
        try
        {
            using var rsa = RSA.Create(key);
            return rsa.VerifyData(message, signature, HashAlgorithmName.SHA384, RSASignaturePadding.Pss);
        }
        catch (CryptographicException)
        {
            return false;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static byte[] Mgf1(ReadOnlySpan<byte> seed, int length)
    {
        var output = new byte[((length + HashLength - 1) / HashLength) * HashLength];
        var input = new byte[seed.Length + 4];
        seed.CopyTo(input);
        for (var counter = 0; counter * HashLength < length; counter++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(input.AsSpan(seed.Length), (uint)counter);
            SHA384.HashData(input, output.AsSpan(counter * HashLength, HashLength));
        }

        return output[..length];
    }
}
