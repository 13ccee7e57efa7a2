namespace SimpleXLedger.Epochs;

/// <summary>
/// An epoch's encoded token leaves, 378 bytes each, in chunks (a 10,000,000-token epoch is 3.78 GB, past one array's
/// limit), optionally read through a permutation (the builder sorts an index, not the bytes). Position i is the i-th
/// leaf of the token tree.
/// </summary>
public sealed class TokenLeafStore
{
    private const int ChunkBits = 16;
    private const int ChunkLeaves = 1 << ChunkBits;
    private const int ChunkMask = ChunkLeaves - 1;

    private readonly List<byte[]> _chunks = [];
    private int[]? _order;
    private long _count;

    public long Count => _count;

    /// <summary>The encoded leaf at tree position <paramref name="position"/>.</summary>
    public ReadOnlySpan<byte> this[long position]
    {
        get
        {
            PositionTree.CheckPosition(position, _count);
            return Slot(_order is null ? position : _order[position]);
        }
    }

    public TokenLeaf Leaf(long position) => TokenLeaf.Decode(this[position]);

    internal Span<byte> Append()
    {
        if (_count >= int.MaxValue)
        {
            throw new EpochFormatException(EpochFormatError.Overflow, "an epoch holds fewer than 2^31 token leaves");
        }

        if ((_count & ChunkMask) == 0)
        {
            _chunks.Add(GC.AllocateUninitializedArray<byte>(ChunkLeaves * TokenLeaf.Size));
        }

        return Slot(_count++);
    }

    /// <summary>The leaf in insertion order (before <see cref="SetOrder"/>), writable.</summary>
    internal Span<byte> Slot(long inserted) =>
        _chunks[(int)(inserted >> ChunkBits)].AsSpan((int)(inserted & ChunkMask) * TokenLeaf.Size, TokenLeaf.Size);

    internal void SetOrder(int[] order) => _order = order;

    /// <summary>Reads <paramref name="count"/> encoded leaves straight into the chunks; a short read is <see cref="EpochFormatError.Truncated"/>.</summary>
    internal static TokenLeafStore ReadFrom(Stream input, long count)
    {
        if (count > int.MaxValue)
        {
            throw new EpochFormatException(EpochFormatError.Overflow, "an epoch holds fewer than 2^31 token leaves");
        }

        var store = new TokenLeafStore();
        while (store._count < count)
        {
            var leaves = (int)Math.Min(ChunkLeaves, count - store._count);
            var chunk = GC.AllocateUninitializedArray<byte>(leaves == ChunkLeaves ? ChunkLeaves * TokenLeaf.Size : leaves * TokenLeaf.Size);
            var read = input.ReadAtLeast(chunk, chunk.Length, throwOnEndOfStream: false);
            if (read < chunk.Length)
            {
                throw new EpochFormatException(EpochFormatError.Truncated, $"the export ends inside token leaf {store._count + (read / TokenLeaf.Size)} of {count}");
            }

            store._chunks.Add(chunk);
            store._count += leaves;
        }

        return store;
    }
}
