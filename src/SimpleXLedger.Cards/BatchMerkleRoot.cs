using System.Buffers.Binary;
using Nethereum.Util;

namespace SimpleXLedger.Cards;

/// <summary>
/// The Merkle root a vendor commits on-chain when it funds a card batch.
/// </summary>
/// <remarks>
/// <para>Agreed with the ledger: OpenZeppelin's StandardMerkleTree over the leaf values
/// <c>(bytes32 cardHash, uint64 credits)</c>, i.e. leaf = <c>keccak256(bytes.concat(keccak256(abi.encode(cardHash, credits))))</c>,
/// leaves sorted, pairs hashed sorted, in OpenZeppelin's array layout, so a card's inclusion can be proven with
/// <c>MerkleProof.verify</c> in the contract and with <c>@openzeppelin/merkle-tree</c> off-chain.</para>
/// <para>This is the one place the root is computed; it can delegate to the Chain project's StandardMerkleTree
/// once both exist, and the test vector in the tests pins the result either way.</para>
/// </remarks>
public static class BatchMerkleRoot
{
    public static byte[] Compute(IEnumerable<(CardHash Hash, ulong Credits)> cards)
    {
        ArgumentNullException.ThrowIfNull(cards);
        var leaves = cards.Select(c => Leaf(c.Hash, c.Credits)).ToList();
        if (leaves.Count == 0)
        {
            throw new ArgumentException("a batch holds at least one card", nameof(cards));
        }

        leaves.Sort(CompareBytes);

        // OpenZeppelin's makeMerkleTree: a complete binary tree in an array, leaves at the end in reverse order.
        var tree = new byte[(2 * leaves.Count) - 1][];
        for (var i = 0; i < leaves.Count; i++)
        {
            tree[tree.Length - 1 - i] = leaves[i];
        }

        for (var i = tree.Length - 1 - leaves.Count; i >= 0; i--)
        {
            tree[i] = HashPair(tree[(2 * i) + 1], tree[(2 * i) + 2]);
        }

        return tree[0];
    }

    /// <summary><c>keccak256(bytes.concat(keccak256(abi.encode(bytes32 cardHash, uint64 credits))))</c>.</summary>
    public static byte[] Leaf(CardHash hash, ulong credits)
    {
        var encoded = new byte[64];
        hash.Bytes.CopyTo(encoded);
        BinaryPrimitives.WriteUInt64BigEndian(encoded.AsSpan(56), credits);
        return Keccak(Keccak(encoded));
    }

    private static byte[] HashPair(byte[] a, byte[] b)
    {
        var (first, second) = CompareBytes(a, b) <= 0 ? (a, b) : (b, a);
        return Keccak([.. first, .. second]);
    }

    private static byte[] Keccak(byte[] data) => Sha3Keccack.Current.CalculateHash(data);

    private static int CompareBytes(byte[] a, byte[] b) => a.AsSpan().SequenceCompareTo(b);
}
