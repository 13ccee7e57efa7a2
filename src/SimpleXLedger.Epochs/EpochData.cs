namespace SimpleXLedger.Epochs;

/// <summary>
/// One epoch's committed data: the header and its commitment, the key counts, the token leaves in tree order, the
/// payout leaves, and both trees (for proofs). Built by <see cref="EpochBuilder"/> or read back by
/// <see cref="EpochExport.Read"/>.
/// </summary>
public sealed class EpochData
{
    internal EpochData(EpochHeader header, IReadOnlyList<KeyCount> keyCounts, TokenLeafStore tokenLeaves, IReadOnlyList<PayoutLeaf> payoutLeaves, PositionTree tokenTree, SumTree payoutTree)
    {
        Header = header;
        Commitment = header.Commitment();
        KeyCounts = keyCounts;
        TokenLeaves = tokenLeaves;
        PayoutLeaves = payoutLeaves;
        TokenTree = tokenTree;
        PayoutTree = payoutTree;
    }

    public EpochHeader Header { get; }

    /// <summary>keccak256(header): what the ledger stores.</summary>
    public byte[] Commitment { get; }

    public IReadOnlyList<KeyCount> KeyCounts { get; }

    public TokenLeafStore TokenLeaves { get; }

    public IReadOnlyList<PayoutLeaf> PayoutLeaves { get; }

    public PositionTree TokenTree { get; }

    public SumTree PayoutTree { get; }
}
