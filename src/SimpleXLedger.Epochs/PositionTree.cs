namespace SimpleXLedger.Epochs;

/// <summary>
/// A position-indexed Merkle tree (docs/ledger-v2.md §4): <c>n</c> leaf hashes at positions 0…n−1, depth
/// <c>d = ⌈log2 n⌉</c> (0 for n ≤ 1), padding leaves n…2^d−1 the zero hash, node = keccak256(tag ‖ left ‖ right).
/// The token tree uses tag 0x11 over keccak256(token leaf); a receipt batch tag 0x61 over keccak256(0x60 ‖ keyId ‖ nonce).
/// The empty tree's root is the zero hash. A proof is the d sibling hashes bottom-up; the position's bits (least
/// significant first) say whether the running hash is the left (bit 0) or right (bit 1) child.
/// </summary>
public sealed class PositionTree
{
    private const int ParallelThreshold = 1 << 14;

    private readonly byte _tag;
    private readonly byte[][] _levels;
    private readonly long[] _counts;
    private readonly byte[][] _padding;

    private PositionTree(byte tag, byte[][] levels, long[] counts, byte[][] padding)
    {
        _tag = tag;
        _levels = levels;
        _counts = counts;
        _padding = padding;
    }

    public byte NodeTag => _tag;

    public long LeafCount => _counts[0];

    public int Depth => _levels.Length - 1;

    public byte[] Root => _counts[0] == 0 ? new byte[32] : _levels[^1].AsSpan(0, 32).ToArray();

    public ReadOnlySpan<byte> LeafHash(long position)
    {
        CheckPosition(position, LeafCount);
        return _levels[0].AsSpan(checked((int)(position * 32)), 32);
    }

    public static int DepthOf(long leafCount)
    {
        if (leafCount < 0 || leafCount > uint.MaxValue)
        {
            throw new EpochFormatException(EpochFormatError.BadParameter, "a tree has 0 … 2^32−1 leaves");
        }

        return leafCount <= 1 ? 0 : 64 - System.Numerics.BitOperations.LeadingZeroCount((ulong)leafCount - 1);
    }

    /// <summary>Builds the tree over <paramref name="leafHashes"/> (32 bytes per leaf, owned by the tree from now on).</summary>
    public static PositionTree Build(byte nodeTag, byte[] leafHashes)
    {
        ArgumentNullException.ThrowIfNull(leafHashes);
        if (leafHashes.Length % 32 != 0)
        {
            throw new EpochFormatException(EpochFormatError.BadLength, "leaf hashes are 32 bytes each");
        }

        long n = leafHashes.Length / 32;
        var depth = DepthOf(n);
        var padding = Padding(nodeTag, depth);
        var levels = new byte[depth + 1][];
        var counts = new long[depth + 1];
        levels[0] = leafHashes;
        counts[0] = n;
        for (var level = 1; level <= depth; level++)
        {
            var below = levels[level - 1];
            var belowCount = counts[level - 1];
            var count = (belowCount + 1) / 2;
            var nodes = new byte[count * 32];
            var pad = padding[level - 1];
            void Range(long from, long to)
            {
                for (var j = from; j < to; j++)
                {
                    var left = below.AsSpan((int)(2 * j * 32), 32);
                    var right = (2 * j) + 1 < belowCount ? below.AsSpan((int)(((2 * j) + 1) * 32), 32) : pad;
                    Keccak.HashNode(nodeTag, left, right, nodes.AsSpan((int)(j * 32), 32));
                }
            }

            ForRanges(count, Range);
            levels[level] = nodes;
            counts[level] = count;
        }

        return new PositionTree(nodeTag, levels, counts, padding);
    }

    /// <summary>The d sibling hashes of <paramref name="position"/>, bottom-up.</summary>
    public byte[][] Proof(long position)
    {
        CheckPosition(position, LeafCount);
        var proof = new byte[Depth][];
        var index = position;
        for (var level = 0; level < Depth; level++)
        {
            proof[level] = Node(level, index ^ 1).ToArray();
            index >>= 1;
        }

        return proof;
    }

    public static bool Verify(byte nodeTag, ReadOnlySpan<byte> root, long leafCount, long position, ReadOnlySpan<byte> leafHash, IReadOnlyList<byte[]> proof)
    {
        ArgumentNullException.ThrowIfNull(proof);
        if (position < 0 || position >= leafCount || leafCount > uint.MaxValue || root.Length != 32 || leafHash.Length != 32 || proof.Count != DepthOf(leafCount))
        {
            return false;
        }

        Span<byte> running = stackalloc byte[32];
        leafHash.CopyTo(running);
        var index = position;
        foreach (var sibling in proof)
        {
            if (sibling is not { Length: 32 })
            {
                return false;
            }

            if ((index & 1) == 0)
            {
                Keccak.HashNode(nodeTag, running, sibling, running);
            }
            else
            {
                Keccak.HashNode(nodeTag, sibling, running, running);
            }

            index >>= 1;
        }

        return running.SequenceEqual(root);
    }

    /// <summary>
    /// A multiproof for a set of positions (the DA answer of docs/ledger-v2.md §7.1). <paramref name="positions"/> must be
    /// strictly increasing and below the leaf count. The proof is the list of hashes a verifier cannot compute itself, in
    /// the order it needs them: level by level from the leaves up, and within a level by increasing node index. At each
    /// level the verifier walks its known nodes in increasing index: a node whose sibling is the next known node is paired
    /// with it; otherwise its sibling is the next proof hash. Parents are the indices shifted right by one. After d levels
    /// exactly one node (index 0) remains, it must equal the root, and every proof hash must have been used.
    /// </summary>
    public byte[][] Multiproof(IReadOnlyList<long> positions)
    {
        CheckPositions(positions, LeafCount);
        var proof = new List<byte[]>();
        var known = positions.ToList();
        for (var level = 0; level < Depth; level++)
        {
            var parents = new List<long>(known.Count);
            for (var i = 0; i < known.Count; i++)
            {
                var index = known[i];
                if ((index & 1) == 0 && i + 1 < known.Count && known[i + 1] == index + 1)
                {
                    i++;
                }
                else
                {
                    proof.Add(Node(level, index ^ 1).ToArray());
                }

                parents.Add(index >> 1);
            }

            known = parents;
        }

        return [.. proof];
    }

    public static bool VerifyMultiproof(byte nodeTag, ReadOnlySpan<byte> root, long leafCount, IReadOnlyList<long> positions, IReadOnlyList<byte[]> leafHashes, IReadOnlyList<byte[]> proof)
    {
        ArgumentNullException.ThrowIfNull(positions);
        ArgumentNullException.ThrowIfNull(leafHashes);
        ArgumentNullException.ThrowIfNull(proof);
        if (root.Length != 32 || leafCount < 1 || leafCount > uint.MaxValue || positions.Count == 0 || positions.Count != leafHashes.Count)
        {
            return false;
        }

        for (var i = 0; i < positions.Count; i++)
        {
            if (positions[i] < 0 || positions[i] >= leafCount || (i > 0 && positions[i] <= positions[i - 1]) || leafHashes[i] is not { Length: 32 })
            {
                return false;
            }
        }

        var indices = positions.ToList();
        var hashes = leafHashes.Select(h => (byte[])h.Clone()).ToList();
        var used = 0;
        for (var level = 0; level < DepthOf(leafCount); level++)
        {
            var nextIndices = new List<long>(indices.Count);
            var nextHashes = new List<byte[]>(indices.Count);
            for (var i = 0; i < indices.Count; i++)
            {
                var index = indices[i];
                byte[] left, right;
                if ((index & 1) == 0 && i + 1 < indices.Count && indices[i + 1] == index + 1)
                {
                    (left, right) = (hashes[i], hashes[i + 1]);
                    i++;
                }
                else
                {
                    if (used >= proof.Count || proof[used] is not { Length: 32 })
                    {
                        return false;
                    }

                    var sibling = proof[used++];
                    (left, right) = (index & 1) == 0 ? (hashes[i], sibling) : (sibling, hashes[i]);
                }

                var parent = new byte[32];
                Keccak.HashNode(nodeTag, left, right, parent);
                nextIndices.Add(index >> 1);
                nextHashes.Add(parent);
            }

            indices = nextIndices;
            hashes = nextHashes;
        }

        return used == proof.Count && hashes.Count == 1 && hashes[0].AsSpan().SequenceEqual(root);
    }

    /// <summary>The root of the tree over these leaf hashes, without keeping the levels.</summary>
    public static byte[] RootOf(byte nodeTag, byte[] leafHashes) => Build(nodeTag, leafHashes).Root;

    internal static void CheckPosition(long position, long count)
    {
        if (position < 0 || position >= count)
        {
            throw new EpochFormatException(EpochFormatError.BadPosition, $"position {position} is outside [0, {count})");
        }
    }

    internal static void CheckPositions(IReadOnlyList<long> positions, long count)
    {
        ArgumentNullException.ThrowIfNull(positions);
        if (positions.Count == 0)
        {
            throw new EpochFormatException(EpochFormatError.BadPosition, "a multiproof names at least one position");
        }

        for (var i = 0; i < positions.Count; i++)
        {
            CheckPosition(positions[i], count);
            if (i > 0 && positions[i] <= positions[i - 1])
            {
                throw new EpochFormatException(EpochFormatError.BadPosition, "multiproof positions are strictly increasing");
            }
        }
    }

    /// <summary>Runs <paramref name="range"/> over [0, count) in slices on every core when there is enough work.</summary>
    internal static void ForRanges(long count, Action<long, long> range)
    {
        if (count < ParallelThreshold)
        {
            range(0, count);
            return;
        }

        var slices = Math.Min(count / (ParallelThreshold / 4), Environment.ProcessorCount * 8L);
        System.Threading.Tasks.Parallel.For(0, slices, s => range(count * s / slices, count * (s + 1) / slices));
    }

    private static byte[][] Padding(byte tag, int depth)
    {
        var padding = new byte[depth + 1][];
        padding[0] = new byte[32];
        for (var level = 1; level <= depth; level++)
        {
            padding[level] = new byte[32];
            Keccak.HashNode(tag, padding[level - 1], padding[level - 1], padding[level]);
        }

        return padding;
    }

    private ReadOnlySpan<byte> Node(int level, long index) =>
        index < _counts[level] ? _levels[level].AsSpan((int)(index * 32), 32) : _padding[level];
}
