using System.Buffers.Binary;
using Nethereum.Util;
using SimpleXLedger.Merkle;

namespace SimpleXLedger.Cards;

/// <summary>
/// The Merkle root a vendor commits on-chain when it funds a card batch.
/// </summary>
/// <remarks>
/// <para>Agreed with the ledger: OpenZeppelin's StandardMerkleTree over the leaf values
/// <c>(bytes32 cardHash, uint64 credits)</c>, i.e. leaf = <c>keccak256(bytes.concat(keccak256(abi.encode(cardHash, credits))))</c>,
/// leaves sorted, pairs hashed sorted, in OpenZeppelin's array layout, so a card's inclusion can be proven with
/// <c>MerkleProof.verify</c> in the contract and with <c>@openzeppelin/merkle-tree</c> off-chain.</para>
/// <para>The tree itself is the Chain project's <see cref="StandardMerkleTree"/> (the one the payout leaves use);
/// this type only defines the card leaf. The test vectors pin the result.</para>
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

        return StandardMerkleTree.Build(leaves).RootBytes;
    }

    /// <summary><c>keccak256(bytes.concat(keccak256(abi.encode(bytes32 cardHash, uint64 credits))))</c>.</summary>
    public static byte[] Leaf(CardHash hash, ulong credits)
    {
        var encoded = new byte[64];
        hash.Bytes.CopyTo(encoded);
        BinaryPrimitives.WriteUInt64BigEndian(encoded.AsSpan(56), credits);
        return Keccak(Keccak(encoded));
    }

    private static byte[] Keccak(byte[] data) => Sha3Keccack.Current.CalculateHash(data);
}
