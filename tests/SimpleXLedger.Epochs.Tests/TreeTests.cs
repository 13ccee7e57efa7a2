using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static SimpleXLedger.Epochs.Tests.TestData;

namespace SimpleXLedger.Epochs.Tests;

/// <summary>The position-indexed tree, its proofs and multiproofs, and the payout Merkle-sum tree (docs/ledger-v2.md §4, §5.4).</summary>
public sealed class TreeTests
{
    private static byte[] LeafHashes(long seed, int n) => Bytes("leaf", seed, 32 * n);

    private static byte[] Leaf(byte[] hashes, long i) => hashes.AsSpan((int)i * 32, 32).ToArray();

    /// <summary>The definition, literally: pad to 2^d leaves with the zero hash and fold pairs level by level.</summary>
    private static byte[] ReferenceRoot(byte tag, byte[] hashes)
    {
        var n = hashes.Length / 32;
        var width = 1 << PositionTree.DepthOf(n);
        var level = Enumerable.Range(0, width).Select(i => i < n ? Leaf(hashes, i) : new byte[32]).ToList();
        while (level.Count > 1)
        {
            level = Enumerable.Range(0, level.Count / 2).Select(j =>
            {
                var node = new byte[32];
                Keccak.HashNode(tag, level[2 * j], level[(2 * j) + 1], node);
                return node;
            }).ToList();
        }

        return level[0];
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 0)]
    [InlineData(2, 1)]
    [InlineData(3, 2)]
    [InlineData(4, 2)]
    [InlineData(5, 3)]
    [InlineData(1_000_000, 20)]
    [InlineData(4_294_967_295, 32)]
    public void Depth_is_the_ceiling_of_log2_n(long n, int depth) => Assert.Equal(depth, PositionTree.DepthOf(n));

    [Fact]
    public void The_empty_tree_has_the_zero_root_and_one_leaf_is_its_own_root()
    {
        Assert.Equal(new byte[32], PositionTree.Build(Tags.TokenNode, []).Root);
        var one = LeafHashes(1, 1);
        var tree = PositionTree.Build(Tags.TokenNode, one);
        Assert.Equal(one, tree.Root);
        Assert.Empty(tree.Proof(0));
        Assert.True(PositionTree.Verify(Tags.TokenNode, one, 1, 0, one, []));
    }

    [Property(MaxTest = 60)]
    public Property The_root_is_the_padded_full_tree_and_every_position_proves_with_d_siblings(PositiveInt size, int seed)
    {
        var n = 1 + (size.Get % 70);
        var hashes = LeafHashes(seed, n);
        var tree = PositionTree.Build(Tags.TokenNode, (byte[])hashes.Clone());
        var ok = tree.Root.AsSpan().SequenceEqual(ReferenceRoot(Tags.TokenNode, hashes)) && tree.Depth == PositionTree.DepthOf(n);
        for (var i = 0; i < n; i++)
        {
            var proof = tree.Proof(i);
            ok &= proof.Length == tree.Depth && PositionTree.Verify(Tags.TokenNode, tree.Root, n, i, Leaf(hashes, i), proof);
        }

        return ok.Label($"n = {n}");
    }

    [Property(MaxTest = 100)]
    public Property Tampering_with_any_byte_of_leaf_or_proof_or_the_position_or_tag_fails(PositiveInt size, int seed, PositiveInt at, byte flip)
    {
        var n = 2 + (size.Get % 60);
        var hashes = LeafHashes(seed, n);
        var tree = PositionTree.Build(Tags.TokenNode, hashes);
        var position = at.Get % n;
        var leaf = Leaf(hashes, position);
        var proof = tree.Proof(position);
        var bit = (byte)(flip | 1);
        var byteIndex = at.Get % 32;

        var badLeaf = (byte[])leaf.Clone();
        badLeaf[byteIndex] ^= bit;
        var badProof = proof.Select(p => (byte[])p.Clone()).ToArray();
        badProof[at.Get % badProof.Length][byteIndex] ^= bit;
        var otherPosition = (position + 1 + (at.Get % (n - 1))) % n;

        return (PositionTree.Verify(Tags.TokenNode, tree.Root, n, position, leaf, proof)
                && !PositionTree.Verify(Tags.TokenNode, tree.Root, n, position, badLeaf, proof)
                && !PositionTree.Verify(Tags.TokenNode, tree.Root, n, position, leaf, badProof)
                && !PositionTree.Verify(Tags.TokenNode, tree.Root, n, otherPosition, leaf, proof)
                && !PositionTree.Verify(Tags.ReceiptNode, tree.Root, n, position, leaf, proof)
                && !PositionTree.Verify(Tags.TokenNode, tree.Root, n, n, leaf, proof)
                && !PositionTree.Verify(Tags.TokenNode, tree.Root, n, position, leaf, proof[..^1]))
            .Label($"n = {n}, position {position}");
    }

    [Property(MaxTest = 100)]
    public Property A_multiproof_proves_any_set_of_positions_and_nothing_else(PositiveInt size, int seed, ulong pick)
    {
        var n = 1 + (size.Get % 80);
        var hashes = LeafHashes(seed, n);
        var tree = PositionTree.Build(Tags.TokenNode, hashes);
        var positions = Enumerable.Range(0, n).Where(i => ((pick >> (i % 64)) & 1) == 1 || i == (int)(pick % (ulong)n)).Select(i => (long)i).Take(16).ToList();
        var leaves = positions.Select(p => Leaf(hashes, p)).ToList();
        var proof = tree.Multiproof(positions);
        var ok = PositionTree.VerifyMultiproof(Tags.TokenNode, tree.Root, n, positions, leaves, proof);

        // A changed leaf, a missing or extra proof hash, a shifted position: each fails.
        var badLeaves = leaves.Select(l => (byte[])l.Clone()).ToList();
        badLeaves[^1][0] ^= 1;
        ok &= !PositionTree.VerifyMultiproof(Tags.TokenNode, tree.Root, n, positions, badLeaves, proof);
        ok &= !PositionTree.VerifyMultiproof(Tags.TokenNode, tree.Root, n, positions, leaves, [.. proof, new byte[32]]);
        if (proof.Length > 0)
        {
            ok &= !PositionTree.VerifyMultiproof(Tags.TokenNode, tree.Root, n, positions, leaves, proof[..^1]);
        }

        if (positions[^1] + 1 < n)
        {
            var shifted = positions.Take(positions.Count - 1).Append(positions[^1] + 1).ToList();
            ok &= !PositionTree.VerifyMultiproof(Tags.TokenNode, tree.Root, n, shifted, leaves, proof);
        }

        // Never more hashes than one proof per position.
        ok &= proof.Length <= positions.Count * tree.Depth;
        return ok.Label($"n = {n}, positions {string.Join(",", positions)}");
    }

    [Fact]
    public void A_multiproof_for_every_position_needs_no_hash_and_positions_must_be_strictly_increasing()
    {
        var hashes = LeafHashes(3, 8);
        var tree = PositionTree.Build(Tags.TokenNode, hashes);
        var all = Enumerable.Range(0, 8).Select(i => (long)i).ToList();
        Assert.Empty(tree.Multiproof(all));
        Assert.True(PositionTree.VerifyMultiproof(Tags.TokenNode, tree.Root, 8, all, all.Select(p => Leaf(hashes, p)).ToList(), []));

        Assert.Equal(EpochFormatError.BadPosition, Assert.Throws<EpochFormatException>(() => tree.Multiproof([2, 1])).Error);
        Assert.Equal(EpochFormatError.BadPosition, Assert.Throws<EpochFormatException>(() => tree.Multiproof([1, 1])).Error);
        Assert.Equal(EpochFormatError.BadPosition, Assert.Throws<EpochFormatException>(() => tree.Multiproof([8])).Error);
        Assert.Equal(EpochFormatError.BadPosition, Assert.Throws<EpochFormatException>(() => tree.Multiproof([])).Error);
        Assert.Equal(EpochFormatError.BadPosition, Assert.Throws<EpochFormatException>(() => tree.Proof(-1)).Error);
        Assert.False(PositionTree.VerifyMultiproof(Tags.TokenNode, tree.Root, 8, [2, 1], [Leaf(hashes, 2), Leaf(hashes, 1)], tree.Multiproof([1, 2])));
    }

    private static (PayoutLeaf[] Leaves, SumTree Tree) SumTreeOf(int seed, int m)
    {
        var leaves = Enumerable.Range(0, m).Select(i => new PayoutLeaf(Address(i + 1), (UInt128)(uint)Bytes("amount", (seed * 1000L) + i, 4).Aggregate(0, (a, b) => (a << 8) | b) * 1_000_000_007UL, (uint)i, 1)).ToArray();
        return (leaves, SumTree.Build(leaves));
    }

    [Property(MaxTest = 60)]
    public Property The_sum_tree_root_sum_is_the_total_and_every_leaf_proves_hash_and_sum(PositiveInt size, int seed)
    {
        var m = 1 + (size.Get % 40);
        var (leaves, tree) = SumTreeOf(seed, m);
        var total = leaves.Aggregate(UInt128.Zero, (s, l) => s + l.Amount);
        var ok = tree.RootSum == total;
        for (var i = 0; i < m; i++)
        {
            var proof = tree.Proof(i);
            ok &= proof.Length == PositionTree.DepthOf(m) && SumTree.Verify(tree.RootHash, total, m, i, leaves[i].Hash(), leaves[i].Amount, proof);
            ok &= !SumTree.Verify(tree.RootHash, total + 1, m, i, leaves[i].Hash(), leaves[i].Amount, proof);
            ok &= !SumTree.Verify(tree.RootHash, total, m, i, leaves[i].Hash(), leaves[i].Amount + 1, proof);
        }

        return ok.Label($"m = {m}");
    }

    [Property(MaxTest = 60)]
    public Property Shifting_value_between_a_node_and_its_sibling_fails_the_maxwell_attack(PositiveInt size, int seed, PositiveInt at)
    {
        // In Maxwell's tree a prover could show a sibling sum lowered by x and still reach the parent's total; here each
        // parent commits both sums, so any change to a sibling's sum (and a matching change elsewhere) changes the hash.
        var m = 2 + (size.Get % 40);
        var (leaves, tree) = SumTreeOf(seed, m);
        var i = at.Get % m;
        var proof = tree.Proof(i);
        var level = at.Get % proof.Length;
        var moved = proof.Select((s, j) => j == level ? s with { SiblingSum = s.SiblingSum + 5 } : s).ToArray();
        return (!SumTree.Verify(tree.RootHash, tree.RootSum, m, i, leaves[i].Hash(), leaves[i].Amount - UInt128.Min(5, leaves[i].Amount), moved)
                && !SumTree.Verify(tree.RootHash, tree.RootSum + 5, m, i, leaves[i].Hash(), leaves[i].Amount, moved))
            .ToProperty();
    }

    [Property(MaxTest = 80)]
    public Property A_sum_multiproof_proves_hashes_and_sums_of_any_set_of_payout_positions(PositiveInt size, int seed, ulong pick)
    {
        var m = 1 + (size.Get % 40);
        var (leaves, tree) = SumTreeOf(seed, m);
        var positions = Enumerable.Range(0, m).Where(i => ((pick >> (i % 64)) & 1) == 1 || i == (int)(pick % (ulong)m)).Select(i => (long)i).Take(16).ToList();
        var hashes = positions.Select(p => leaves[p].Hash()).ToList();
        var sums = positions.Select(p => leaves[p].Amount).ToList();
        var proof = tree.Multiproof(positions);
        var ok = SumTree.VerifyMultiproof(tree.RootHash, tree.RootSum, m, positions, hashes, sums, proof);
        ok &= !SumTree.VerifyMultiproof(tree.RootHash, tree.RootSum + 1, m, positions, hashes, sums, proof);
        var lowered = sums.Select((s, i) => i == 0 ? s + 1 : s).ToList();
        ok &= !SumTree.VerifyMultiproof(tree.RootHash, tree.RootSum + 1, m, positions, hashes, lowered, proof);
        if (proof.Length > 0)
        {
            var moved = proof.Select((s, i) => i == 0 ? s with { SiblingSum = s.SiblingSum + 1 } : s).ToArray();
            ok &= !SumTree.VerifyMultiproof(tree.RootHash, tree.RootSum + 1, m, positions, hashes, sums, moved);
            ok &= !SumTree.VerifyMultiproof(tree.RootHash, tree.RootSum, m, positions, hashes, sums, proof[..^1]);
        }

        return ok.Label($"m = {m}, positions {string.Join(",", positions)}");
    }

    [Fact]
    public void A_sum_tree_node_hashes_both_sums_and_padding_is_zero_hash_with_sum_zero()
    {
        var leaves = new[] { new PayoutLeaf(Address(1), 10, 0, 1), new PayoutLeaf(Address(2), 20, 1, 1), new PayoutLeaf(Address(3), 30, 2, 1) };
        var tree = SumTree.Build(leaves);
        var h = leaves.Select(l => l.Hash()).ToArray();
        byte[] Node(byte[] l, UInt128 sl, byte[] r, UInt128 sr)
        {
            var preimage = new byte[97];
            preimage[0] = 0x21;
            l.CopyTo(preimage, 1);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(preimage.AsSpan(41), (ulong)sl);
            r.CopyTo(preimage, 49);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(preimage.AsSpan(89), (ulong)sr);
            return Keccak.Hash(preimage);
        }

        var expected = Node(Node(h[0], 10, h[1], 20), 30, Node(h[2], 30, new byte[32], 0), 30);
        Assert.Equal(expected, tree.RootHash);
        Assert.Equal((UInt128)60, tree.RootSum);
    }

    [Fact]
    public void Sums_that_overflow_uint128_are_refused()
    {
        var leaves = new[] { new PayoutLeaf(Address(1), UInt128.MaxValue, 0, 1), new PayoutLeaf(Address(2), 1, 1, 1) };
        Assert.Equal(EpochFormatError.Overflow, Assert.Throws<EpochFormatException>(() => SumTree.Build(leaves)).Error);
    }

    [Fact]
    public void A_receipt_batch_id_is_the_position_tree_over_tagged_key_and_nonce_in_submission_order()
    {
        (byte[], byte[])[] tokens = [(KeyA, Repeat(1, 32)), (KeyB, Repeat(2, 32)), (KeyA, Repeat(3, 32))];
        var leaf0 = Keccak.Hash([0x60, .. KeyA, .. Repeat(1, 32)]);
        Assert.Equal(leaf0, ReceiptBatch.LeafHash(KeyA, Repeat(1, 32)));
        Assert.Equal(leaf0, ReceiptBatch.BatchId(tokens[..1]));

        var hashes = tokens.SelectMany(t => ReceiptBatch.LeafHash(t.Item1, t.Item2)).ToArray();
        Assert.Equal(ReferenceRoot(Tags.ReceiptNode, hashes), ReceiptBatch.BatchId(tokens));
        Assert.NotEqual(ReceiptBatch.BatchId(tokens), ReceiptBatch.BatchId(tokens.Reverse()));
        Assert.NotEqual(ReceiptBatch.BatchId(tokens), PositionTree.RootOf(Tags.TokenNode, hashes));
        Assert.Equal(EpochFormatError.BadParameter, Assert.Throws<EpochFormatException>(() => ReceiptBatch.BatchId([])).Error);
        Assert.Equal(EpochFormatError.BadLength, Assert.Throws<EpochFormatException>(() => ReceiptBatch.LeafHash(KeyA, new byte[31])).Error);
    }
}
