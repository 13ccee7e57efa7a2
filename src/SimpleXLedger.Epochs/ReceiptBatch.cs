namespace SimpleXLedger.Epochs;

/// <summary>
/// A receipt's <c>batchId</c> (docs/ledger-v2.md §5.7): the root of the position-indexed tree (node tag 0x61) over the
/// batch's accepted tokens in the relay's submission order, leaf = keccak256(0x60 ‖ keyId 32 ‖ nonce 32).
/// </summary>
public static class ReceiptBatch
{
    public static byte[] LeafHash(ReadOnlySpan<byte> keyId, ReadOnlySpan<byte> nonce)
    {
        if (keyId.Length != 32 || nonce.Length != 32)
        {
            throw new EpochFormatException(EpochFormatError.BadLength, "keyId and nonce are 32 bytes each");
        }

        Span<byte> preimage = stackalloc byte[65];
        preimage[0] = Tags.ReceiptLeaf;
        keyId.CopyTo(preimage[1..]);
        nonce.CopyTo(preimage[33..]);
        return Keccak.Hash(preimage);
    }

    public static PositionTree Tree(IEnumerable<(byte[] KeyId, byte[] Nonce)> accepted)
    {
        ArgumentNullException.ThrowIfNull(accepted);
        var hashes = new List<byte>();
        foreach (var (keyId, nonce) in accepted)
        {
            hashes.AddRange(LeafHash(keyId, nonce));
        }

        if (hashes.Count == 0)
        {
            throw new EpochFormatException(EpochFormatError.BadParameter, "a receipt batch has at least one accepted token");
        }

        return PositionTree.Build(Tags.ReceiptNode, [.. hashes]);
    }

    /// <summary>The batchId of the accepted tokens, in submission order; the receipt's count is their number.</summary>
    public static byte[] BatchId(IEnumerable<(byte[] KeyId, byte[] Nonce)> accepted) => Tree(accepted).Root;
}
