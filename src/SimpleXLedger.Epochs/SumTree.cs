namespace SimpleXLedger.Epochs;

/// <summary>
/// The payout Merkle-sum tree (docs/ledger-v2.md §5.4): leaves (keccak256(payout leaf), amount) at positions 0…M−1,
/// padding (zero hash, 0), node hash = keccak256(0x21 ‖ hL ‖ sL u128 ‖ hR ‖ sR u128), node sum = sL + sR (overflow is
/// refused). Every node commits both children's sums, so a path fixes the split at every level. A proof is, per level
/// bottom-up, the sibling's hash and sum.
/// </summary>
public sealed class SumTree
{
    private readonly byte[][] _hashes;
    private readonly UInt128[][] _sums;
    private readonly byte[][] _padding;

    private SumTree(byte[][] hashes, UInt128[][] sums, byte[][] padding)
    {
        _hashes = hashes;
        _sums = sums;
        _padding = padding;
    }

    public long LeafCount => _sums[0].Length;

    public int Depth => _hashes.Length - 1;

    public byte[] RootHash => LeafCount == 0 ? new byte[32] : _hashes[^1].AsSpan(0, 32).ToArray();

    public UInt128 RootSum => LeafCount == 0 ? UInt128.Zero : _sums[^1][0];

    public static SumTree Build(IReadOnlyList<PayoutLeaf> leaves)
    {
        ArgumentNullException.ThrowIfNull(leaves);
        var hashes = new byte[leaves.Count * 32];
        var sums = new UInt128[leaves.Count];
        PositionTree.ForRanges(leaves.Count, (from, to) =>
        {
            Span<byte> bytes = stackalloc byte[PayoutLeaf.Size];
            for (var i = (int)from; i < to; i++)
            {
                leaves[i].Encode(bytes);
                Keccak.Hash(bytes, hashes.AsSpan(i * 32, 32));
                sums[i] = leaves[i].Amount;
            }
        });
        return Build(hashes, sums);
    }

    /// <summary>Builds over leaf hashes (32 bytes each) and their sums; both arrays are owned by the tree from now on.</summary>
    public static SumTree Build(byte[] leafHashes, UInt128[] leafSums)
    {
        ArgumentNullException.ThrowIfNull(leafHashes);
        ArgumentNullException.ThrowIfNull(leafSums);
        if (leafHashes.Length != leafSums.Length * 32)
        {
            throw new EpochFormatException(EpochFormatError.BadLength, "one 32-byte hash per leaf sum");
        }

        var depth = PositionTree.DepthOf(leafSums.Length);
        var padding = Padding(depth);
        var hashes = new byte[depth + 1][];
        var sums = new UInt128[depth + 1][];
        hashes[0] = leafHashes;
        sums[0] = leafSums;
        for (var level = 1; level <= depth; level++)
        {
            var belowHashes = hashes[level - 1];
            var belowSums = sums[level - 1];
            var count = (belowSums.Length + 1) / 2;
            var nodeHashes = new byte[count * 32];
            var nodeSums = new UInt128[count];
            var pad = padding[level - 1];
            var overflow = false;
            PositionTree.ForRanges(count, (from, to) =>
            {
                for (var j = (int)from; j < to; j++)
                {
                    var left = belowHashes.AsSpan(2 * j * 32, 32);
                    var hasRight = (2 * j) + 1 < belowSums.Length;
                    var right = hasRight ? belowHashes.AsSpan(((2 * j) + 1) * 32, 32) : pad;
                    var leftSum = belowSums[2 * j];
                    var rightSum = hasRight ? belowSums[(2 * j) + 1] : UInt128.Zero;
                    nodeSums[j] = leftSum + rightSum;
                    if (nodeSums[j] < leftSum)
                    {
                        overflow = true;
                    }

                    HashNode(left, leftSum, right, rightSum, nodeHashes.AsSpan(j * 32, 32));
                }
            });
            if (overflow)
            {
                throw new EpochFormatException(EpochFormatError.Overflow, "payout sums overflow uint128");
            }

            hashes[level] = nodeHashes;
            sums[level] = nodeSums;
        }

        return new SumTree(hashes, sums, padding);
    }

    public ReadOnlySpan<byte> LeafHash(long position)
    {
        PositionTree.CheckPosition(position, LeafCount);
        return _hashes[0].AsSpan((int)position * 32, 32);
    }

    public SumProofStep[] Proof(long position)
    {
        PositionTree.CheckPosition(position, LeafCount);
        var proof = new SumProofStep[Depth];
        var index = (int)position;
        for (var level = 0; level < Depth; level++)
        {
            var sibling = index ^ 1;
            proof[level] = sibling < _sums[level].Length
                ? new SumProofStep(_hashes[level].AsSpan(sibling * 32, 32).ToArray(), _sums[level][sibling])
                : new SumProofStep((byte[])_padding[level].Clone(), UInt128.Zero);
            index >>= 1;
        }

        return proof;
    }

    /// <summary>
    /// A multiproof for a set of positions (the payout tree's DA answer): the same walk as
    /// <see cref="PositionTree.Multiproof"/>, over (hash, sum) pairs — each entry the hash and sum of a sibling the
    /// verifier cannot compute, level by level from the leaves up, by increasing node index within a level.
    /// </summary>
    public SumProofStep[] Multiproof(IReadOnlyList<long> positions)
    {
        PositionTree.CheckPositions(positions, LeafCount);
        var proof = new List<SumProofStep>();
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
                    var sibling = (int)(index ^ 1);
                    proof.Add(sibling < _sums[level].Length
                        ? new SumProofStep(_hashes[level].AsSpan(sibling * 32, 32).ToArray(), _sums[level][sibling])
                        : new SumProofStep((byte[])_padding[level].Clone(), UInt128.Zero));
                }

                parents.Add(index >> 1);
            }

            known = parents;
        }

        return [.. proof];
    }

    public static bool VerifyMultiproof(ReadOnlySpan<byte> rootHash, UInt128 rootSum, long leafCount, IReadOnlyList<long> positions, IReadOnlyList<byte[]> leafHashes, IReadOnlyList<UInt128> leafSums, IReadOnlyList<SumProofStep> proof)
    {
        ArgumentNullException.ThrowIfNull(positions);
        ArgumentNullException.ThrowIfNull(leafHashes);
        ArgumentNullException.ThrowIfNull(leafSums);
        ArgumentNullException.ThrowIfNull(proof);
        if (rootHash.Length != 32 || leafCount < 1 || leafCount > uint.MaxValue || positions.Count == 0 || positions.Count != leafHashes.Count || positions.Count != leafSums.Count)
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
        var nodes = leafHashes.Select((h, i) => ((byte[])h.Clone(), leafSums[i])).ToList();
        var used = 0;
        for (var level = 0; level < PositionTree.DepthOf(leafCount); level++)
        {
            var nextIndices = new List<long>(indices.Count);
            var nextNodes = new List<(byte[] Hash, UInt128 Sum)>(indices.Count);
            for (var i = 0; i < indices.Count; i++)
            {
                var index = indices[i];
                (byte[] Hash, UInt128 Sum) left, right;
                if ((index & 1) == 0 && i + 1 < indices.Count && indices[i + 1] == index + 1)
                {
                    (left, right) = (nodes[i], nodes[i + 1]);
                    i++;
                }
                else
                {
                    if (used >= proof.Count || proof[used]?.SiblingHash is not { Length: 32 })
                    {
                        return false;
                    }

                    var step = proof[used++];
                    (left, right) = (index & 1) == 0 ? (nodes[i], (step.SiblingHash, step.SiblingSum)) : ((step.SiblingHash, step.SiblingSum), nodes[i]);
                }

                var sum = left.Sum + right.Sum;
                if (sum < left.Sum)
                {
                    return false;
                }

                var parent = new byte[32];
                HashNode(left.Hash, left.Sum, right.Hash, right.Sum, parent);
                nextIndices.Add(index >> 1);
                nextNodes.Add((parent, sum));
            }

            indices = nextIndices;
            nodes = nextNodes;
        }

        return used == proof.Count && nodes.Count == 1 && nodes[0].Item2 == rootSum && nodes[0].Item1.AsSpan().SequenceEqual(rootHash);
    }

    /// <summary>True when the leaf with this hash and sum at <paramref name="position"/> leads to (rootHash, rootSum).</summary>
    public static bool Verify(ReadOnlySpan<byte> rootHash, UInt128 rootSum, long leafCount, long position, ReadOnlySpan<byte> leafHash, UInt128 leafSum, IReadOnlyList<SumProofStep> proof)
    {
        ArgumentNullException.ThrowIfNull(proof);
        if (position < 0 || position >= leafCount || leafCount > uint.MaxValue || rootHash.Length != 32 || leafHash.Length != 32 || proof.Count != PositionTree.DepthOf(leafCount))
        {
            return false;
        }

        Span<byte> running = stackalloc byte[32];
        leafHash.CopyTo(running);
        var sum = leafSum;
        var index = position;
        foreach (var step in proof)
        {
            if (step?.SiblingHash is not { Length: 32 })
            {
                return false;
            }

            var next = sum + step.SiblingSum;
            if (next < sum)
            {
                return false;
            }

            if ((index & 1) == 0)
            {
                HashNode(running, sum, step.SiblingHash, step.SiblingSum, running);
            }
            else
            {
                HashNode(step.SiblingHash, step.SiblingSum, running, sum, running);
            }

            sum = next;
            index >>= 1;
        }

        return sum == rootSum && running.SequenceEqual(rootHash);
    }

    /// <summary>keccak256(0x21 ‖ hL ‖ sL ‖ hR ‖ sR), sums as big-endian uint128.</summary>
    public static void HashNode(ReadOnlySpan<byte> leftHash, UInt128 leftSum, ReadOnlySpan<byte> rightHash, UInt128 rightSum, Span<byte> output)
    {
        Span<byte> preimage = stackalloc byte[97];
        preimage[0] = Tags.PayoutNode;
        leftHash[..32].CopyTo(preimage[1..]);
        Bytes.WriteUInt128BigEndian(preimage[33..], leftSum);
        rightHash[..32].CopyTo(preimage[49..]);
        Bytes.WriteUInt128BigEndian(preimage[81..], rightSum);
        Keccak.Hash(preimage, output);
    }

    private static byte[][] Padding(int depth)
    {
        var padding = new byte[depth + 1][];
        padding[0] = new byte[32];
        for (var level = 1; level <= depth; level++)
        {
            padding[level] = new byte[32];
            HashNode(padding[level - 1], UInt128.Zero, padding[level - 1], UInt128.Zero, padding[level]);
        }

        return padding;
    }
}
