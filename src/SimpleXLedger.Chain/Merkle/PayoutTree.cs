using System.Numerics;
using Nethereum.Hex.HexConvertors.Extensions;
using Nethereum.Util;
using SimpleXLedger.Merkle;

namespace SimpleXLedger.Chain.Merkle;

/// <summary>One payout leaf of an epoch: <c>(uint64 epoch, address payee, uint256 amount)</c>.</summary>
public sealed record PayoutLeaf(ulong Epoch, string Payee, BigInteger Amount)
{
    /// <summary><c>abi.encode(epoch, payee, amount)</c>: three 32-byte words.</summary>
    public byte[] AbiEncode()
    {
        if (Amount.Sign < 0 || Amount.GetByteCount(isUnsigned: true) > 32)
        {
            throw new ArgumentOutOfRangeException(nameof(Amount), "a payout amount is a uint256");
        }

        var address = Payee.HexToByteArray();
        if (address.Length != 20)
        {
            throw new ArgumentException("payee is not a 20-byte address", nameof(Payee));
        }

        var encoded = new byte[96];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(encoded.AsSpan(24, 8), Epoch);
        address.CopyTo(encoded, 44);
        var amount = Amount.ToByteArray(isUnsigned: true, isBigEndian: true);
        amount.CopyTo(encoded, 96 - amount.Length);
        return encoded;
    }

    /// <summary>The standard leaf: <c>keccak256(bytes.concat(keccak256(abi.encode(epoch, payee, amount))))</c>.</summary>
    public byte[] Hash()
    {
        var keccak = Sha3Keccack.Current;
        return keccak.CalculateHash(keccak.CalculateHash(AbiEncode()));
    }
}

/// <summary>
/// An epoch's payout tree (StandardMerkleTree with leaf encoding <c>["uint64","address","uint256"]</c>):
/// one leaf per payee, the root the clearing house posts, and each payee's proof for its claim.
/// </summary>
public sealed class PayoutTree
{
    private readonly Dictionary<string, PayoutLeaf> _byPayee;

    private PayoutTree(StandardMerkleTree tree, Dictionary<string, PayoutLeaf> byPayee, IReadOnlyList<PayoutLeaf> leaves)
    {
        Tree = tree;
        _byPayee = byPayee;
        Leaves = leaves;
    }

    public StandardMerkleTree Tree { get; }

    public IReadOnlyList<PayoutLeaf> Leaves { get; }

    public byte[] Root => Tree.RootBytes;

    public BigInteger Total => Leaves.Aggregate(BigInteger.Zero, (sum, l) => sum + l.Amount);

    /// <summary>Builds the tree; all leaves must be of one epoch, one per payee.</summary>
    public static PayoutTree Build(IEnumerable<PayoutLeaf> leaves)
    {
        ArgumentNullException.ThrowIfNull(leaves);
        var list = leaves.ToList();
        if (list.Select(l => l.Epoch).Distinct().Count() > 1)
        {
            throw new ArgumentException("payout leaves of different epochs", nameof(leaves));
        }

        var byPayee = new Dictionary<string, PayoutLeaf>(StringComparer.OrdinalIgnoreCase);
        foreach (var leaf in list)
        {
            if (!byPayee.TryAdd(leaf.Payee, leaf))
            {
                throw new ArgumentException($"two leaves for payee {leaf.Payee}", nameof(leaves));
            }
        }

        return new PayoutTree(StandardMerkleTree.Build(list.Select(l => l.Hash())), byPayee, list);
    }

    public PayoutLeaf LeafOf(string payee) => _byPayee.TryGetValue(payee, out var leaf) ? leaf : throw new KeyNotFoundException($"no leaf for payee {payee}");

    public bool HasLeaf(string payee) => _byPayee.ContainsKey(payee);

    public IReadOnlyList<byte[]> ProofOf(string payee) => Tree.GetProof(LeafOf(payee).Hash());
}
