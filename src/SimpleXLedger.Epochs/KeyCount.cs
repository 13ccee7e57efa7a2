using System.Buffers.Binary;

namespace SimpleXLedger.Epochs;

/// <summary>One entry of an epoch's key counts (docs/ledger-v2.md §5.2): registry index u16 ‖ count u32, 6 bytes.</summary>
public readonly record struct KeyCount(ushort KeyIndex, uint Count)
{
    public const int Size = 6;

    /// <summary>At most this many keys per epoch (§5.2).</summary>
    public const int MaxPerEpoch = 5;

    /// <summary>The packed entries, 6 bytes each; refuses entries not strictly increasing by index or too many.</summary>
    public static byte[] Encode(IReadOnlyList<KeyCount> counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        CheckOrder(counts);
        var bytes = new byte[counts.Count * Size];
        for (var i = 0; i < counts.Count; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(i * Size), counts[i].KeyIndex);
            BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan((i * Size) + 2), counts[i].Count);
        }

        return bytes;
    }

    /// <summary>keccak256 of the packed entries: the header's <c>keyCountsHash</c> (of zero bytes when there are none).</summary>
    public static byte[] Hash(IReadOnlyList<KeyCount> counts) => Keccak.Hash(Encode(counts));

    public static KeyCount[] Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length % Size != 0)
        {
            throw new EpochFormatException(EpochFormatError.BadLength, $"key counts are 6 bytes each, got {bytes.Length} bytes");
        }

        var counts = new KeyCount[bytes.Length / Size];
        for (var i = 0; i < counts.Length; i++)
        {
            var entry = bytes.Slice(i * Size, Size);
            counts[i] = new KeyCount(BinaryPrimitives.ReadUInt16BigEndian(entry), BinaryPrimitives.ReadUInt32BigEndian(entry[2..]));
        }

        CheckOrder(counts);
        return counts;
    }

    private static void CheckOrder(IReadOnlyList<KeyCount> counts)
    {
        if (counts.Count > MaxPerEpoch)
        {
            throw new EpochFormatException(EpochFormatError.BadKey, $"at most {MaxPerEpoch} key counts per epoch, got {counts.Count}");
        }

        for (var i = 1; i < counts.Count; i++)
        {
            if (counts[i].KeyIndex <= counts[i - 1].KeyIndex)
            {
                throw new EpochFormatException(EpochFormatError.BadKey, "key counts are strictly increasing by key index");
            }
        }
    }
}
