using System.Buffers.Binary;
using System.Security.Cryptography;

namespace SimpleXLedger.Wallet.Spending;

/// <summary>Where the wallet's timing randomness comes from. The default is the system's CSPRNG.</summary>
public interface IRandomSource
{
    ulong NextUInt64();
}

public static class RandomSourceExtensions
{
    /// <summary>A uniform double in [0, 1) with 53 random bits.</summary>
    public static double NextUnit(this IRandomSource random)
    {
        ArgumentNullException.ThrowIfNull(random);
        return (random.NextUInt64() >> 11) * (1.0 / (1UL << 53));
    }
}

/// <summary>The system CSPRNG (<see cref="RandomNumberGenerator"/>): what every real wallet uses.</summary>
public sealed class CryptoRandomSource : IRandomSource
{
    public static CryptoRandomSource Instance { get; } = new();

    public ulong NextUInt64()
    {
        Span<byte> bytes = stackalloc byte[8];
        RandomNumberGenerator.Fill(bytes);
        return BinaryPrimitives.ReadUInt64LittleEndian(bytes);
    }
}

/// <summary>
/// A replayable stream (HMAC-SHA256 of a seed over a counter) for simulations and tests that must be repeatable
/// from a printed seed. Never for a real wallet: whoever knows the seed knows every delay.
/// </summary>
public sealed class SeededRandomSource(ReadOnlySpan<byte> seed) : IRandomSource
{
    private readonly byte[] _seed = seed.ToArray();
    private readonly Lock _gate = new();
    private ulong _counter;

    public SeededRandomSource(ulong seed)
        : this(BitConverter.GetBytes(seed))
    {
    }

    public ulong NextUInt64()
    {
        Span<byte> counter = stackalloc byte[8];
        lock (_gate)
        {
            BinaryPrimitives.WriteUInt64BigEndian(counter, _counter++);
        }

        Span<byte> block = stackalloc byte[32];
        HMACSHA256.HashData(_seed, counter, block);
        return BinaryPrimitives.ReadUInt64LittleEndian(block);
    }
}
