using System.Security.Cryptography;

namespace SimpleXLedger.Tokens.BlindRsa;

/// <summary>EMSA-PSS-ENCODE (RFC 8017 §9.1.1) with SHA-384 and MGF1-SHA-384.</summary>
internal static class EmsaPss
{
    public const int HashLength = 48;

    /// <summary>Encodes message into em (length ceil(emBits/8)) with the given salt.</summary>
    public static RsaBssaError Encode(ReadOnlySpan<byte> message, ReadOnlySpan<byte> salt, int emBits, Span<byte> em)
    {
        var emLength = (emBits + 7) / 8;
        if (em.Length != emLength)
        {
            return RsaBssaError.EncodingError;
        }

        if (emLength < HashLength + salt.Length + 2)
        {
            return RsaBssaError.EncodingError;
        }

        Span<byte> mHash = stackalloc byte[HashLength];
        SHA384.HashData(message, mHash);

        // M' = 0x00 * 8 || mHash || salt ; H = Hash(M')
        Span<byte> mPrime = stackalloc byte[8 + HashLength + salt.Length];
        mPrime[..8].Clear();
        mHash.CopyTo(mPrime[8..]);
        salt.CopyTo(mPrime[(8 + HashLength)..]);
        Span<byte> h = stackalloc byte[HashLength];
        SHA384.HashData(mPrime, h);

        // DB = PS || 0x01 || salt, masked with MGF1(H).
        var dbLength = emLength - HashLength - 1;
        var db = em[..dbLength];
        db.Clear();
        db[dbLength - salt.Length - 1] = 0x01;
        salt.CopyTo(db[(dbLength - salt.Length)..]);
        Mgf1XorInto(h, db);
        db[0] &= (byte)(0xFF >> ((8 * emLength) - emBits));
        h.CopyTo(em[dbLength..]);
        em[emLength - 1] = 0xBC;
        CryptographicOperations.ZeroMemory(mPrime);
        return RsaBssaError.None;
    }

    private static void Mgf1XorInto(ReadOnlySpan<byte> seed, Span<byte> target)
    {
        Span<byte> input = stackalloc byte[seed.Length + 4];
        seed.CopyTo(input);
        Span<byte> block = stackalloc byte[HashLength];
        var counter = 0u;
        for (var offset = 0; offset < target.Length; offset += HashLength, counter++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(input[seed.Length..], counter);
            SHA384.HashData(input, block);
            var n = Math.Min(HashLength, target.Length - offset);
            for (var i = 0; i < n; i++)
            {
                target[offset + i] ^= block[i];
            }
        }
    }
}
