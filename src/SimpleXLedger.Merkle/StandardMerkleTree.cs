using Nethereum.Util;

namespace SimpleXLedger.Merkle;

/// <summary>
/// OpenZeppelin's StandardMerkleTree (npm <c>@openzeppelin/merkle-tree</c>) over precomputed leaf
/// hashes: leaves sorted by hash, laid out as a complete binary tree in one array (leaves at the end,
/// in reverse order), nodes hashed as keccak256 of the sorted pair — what <c>MerkleProof.verify</c>
/// checks on-chain. Roots and proofs match the JS library byte for byte (tested against it).
/// </summary>
public sealed class StandardMerkleTree
{
    private readonly byte[][] _tree;
    private readonly Dictionary<string, int> _indexOfLeaf;

    private StandardMerkleTree(byte[][] tree, Dictionary<string, int> indexOfLeaf)
    {
        _tree = tree;
        _indexOfLeaf = indexOfLeaf;
    }

    public int LeafCount => _indexOfLeaf.Count;

    public ReadOnlySpan<byte> Root => _tree[0];

    public byte[] RootBytes => (byte[])_tree[0].Clone();

    /// <summary>Builds the tree; leaves must be distinct 32-byte hashes, at least one.</summary>
    public static StandardMerkleTree Build(IEnumerable<byte[]> leafHashes)
    {
        ArgumentNullException.ThrowIfNull(leafHashes);
        var leaves = leafHashes.ToList();
        if (leaves.Count == 0)
        {
            throw new ArgumentException("a Merkle tree needs at least one leaf", nameof(leafHashes));
        }

        if (leaves.Any(l => l.Length != 32))
        {
            throw new ArgumentException("leaf hashes are 32 bytes", nameof(leafHashes));
        }

        leaves.Sort(Compare);
        var tree = new byte[(2 * leaves.Count) - 1][];
        var indexOfLeaf = new Dictionary<string, int>(leaves.Count, StringComparer.Ordinal);
        for (var i = 0; i < leaves.Count; i++)
        {
            var at = tree.Length - 1 - i;
            tree[at] = leaves[i];
            if (!indexOfLeaf.TryAdd(Convert.ToHexString(leaves[i]), at))
            {
                throw new ArgumentException("duplicate leaf", nameof(leafHashes));
            }
        }

        for (var i = tree.Length - 1 - leaves.Count; i >= 0; i--)
        {
            tree[i] = HashPair(tree[(2 * i) + 1], tree[(2 * i) + 2]);
        }

        return new StandardMerkleTree(tree, indexOfLeaf);
    }

    public bool Contains(byte[] leafHash) => _indexOfLeaf.ContainsKey(Convert.ToHexString(leafHash));

    /// <summary>The sibling hashes from the leaf up to (not including) the root.</summary>
    public IReadOnlyList<byte[]> GetProof(byte[] leafHash)
    {
        if (!_indexOfLeaf.TryGetValue(Convert.ToHexString(leafHash), out var index))
        {
            throw new ArgumentException("leaf is not in the tree", nameof(leafHash));
        }

        var proof = new List<byte[]>();
        while (index > 0)
        {
            var sibling = index % 2 == 1 ? index + 1 : index - 1;
            proof.Add(_tree[sibling]);
            index = (index - 1) / 2;
        }

        return proof;
    }

    /// <summary>What OpenZeppelin's <c>MerkleProof.verify</c> computes.</summary>
    public static bool Verify(ReadOnlySpan<byte> root, byte[] leafHash, IEnumerable<byte[]> proof)
    {
        ArgumentNullException.ThrowIfNull(proof);
        var computed = leafHash;
        foreach (var node in proof)
        {
            computed = HashPair(computed, node);
        }

        return root.SequenceEqual(computed);
    }

    public static byte[] HashPair(byte[] a, byte[] b)
    {
        var buffer = new byte[64];
        var (first, second) = Compare(a, b) <= 0 ? (a, b) : (b, a);
        first.CopyTo(buffer, 0);
        second.CopyTo(buffer, 32);
        return Sha3Keccack.Current.CalculateHash(buffer);
    }

    private static int Compare(byte[]? a, byte[]? b) => a.AsSpan().SequenceCompareTo(b);
}
