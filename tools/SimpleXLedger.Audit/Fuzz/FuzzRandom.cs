using System.Buffers.Binary;
using System.Numerics;

namespace SimpleXLedger.Audit.Fuzz;

/// <summary>
/// The fuzzer's replayable randomness: xoshiro256** seeded through SplitMix64, so one 64-bit case seed decides every
/// choice a case makes (which endpoint, which mutation, which bytes). Not for secrets: whoever has the seed has it all.
/// </summary>
internal sealed class FuzzRandom
{
    private ulong _s0;
    private ulong _s1;
    private ulong _s2;
    private ulong _s3;

    public FuzzRandom(ulong seed)
    {
        Seed = seed;
        var x = seed;
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    public ulong Seed { get; }

    /// <summary>The seed of case <paramref name="index"/> of a run: a pure function of the run's seed and the index.</summary>
    public static ulong CaseSeed(ulong runSeed, long index)
    {
        var x = runSeed ^ (0x9E3779B97F4A7C15UL * (ulong)(index + 1));
        return SplitMix(ref x);
    }

    public ulong NextUInt64()
    {
        var result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, <paramref name="bound"/>).</summary>
    public int Next(int bound)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bound);
        return (int)(NextUInt64() % (ulong)bound);
    }

    /// <summary>Uniform in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public int Between(int min, int max) => min + Next(max - min + 1);

    public bool Chance(double p) => (NextUInt64() >> 11) * (1.0 / (1UL << 53)) < p;

    public T Pick<T>(IReadOnlyList<T> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        return items[Next(items.Count)];
    }

    public byte[] Bytes(int length)
    {
        var bytes = new byte[length];
        Fill(bytes);
        return bytes;
    }

    public void Fill(Span<byte> destination)
    {
        Span<byte> block = stackalloc byte[8];
        while (destination.Length > 0)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(block, NextUInt64());
            var n = Math.Min(8, destination.Length);
            block[..n].CopyTo(destination);
            destination = destination[n..];
        }
    }

    /// <summary>A length that is mostly small, sometimes near a boundary, rarely large.</summary>
    public int Length(int typical, int large) => Next(10) switch
    {
        < 6 => Next(typical + 1),
        < 9 => Math.Max(0, typical + Between(-3, 3)),
        _ => Between(Math.Min(typical, large), Math.Max(typical, large)),
    };

    private static ulong SplitMix(ref ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        var z = x;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
