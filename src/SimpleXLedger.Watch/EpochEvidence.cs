using System.Numerics;
using SimpleXLedger.Chain.Contracts.V2;
using SimpleXLedger.Epochs;

namespace SimpleXLedger.Watch;

/// <summary>Turns verified epoch data into the calldata shapes the ledger and the judge take.</summary>
public static class EpochEvidence
{
    public static EpochHeaderTuple Header(EpochData data)
    {
        var h = data.Header;
        return new EpochHeaderTuple
        {
            Epoch = h.Epoch,
            Round = h.Round,
            TokenRoot = h.TokenRoot.ToArray(),
            N = h.TokenCount,
            R = h.NonPayingCount,
            PayoutRoot = h.PayoutRoot.ToArray(),
            M = h.PayoutCount,
            Total = h.Total,
            EpochRate = h.EpochRate,
            KeyCounts = KeyCount.Encode(data.KeyCounts),
        };
    }

    public static TokenEvidenceTuple Token(EpochData data, long position) => new()
    {
        Position = (uint)position,
        Leaf = data.TokenLeaves[position].ToArray(),
        Path = [.. data.TokenTree.Proof(position)],
    };

    public static PayoutEvidenceTuple Payout(EpochData data, long index)
    {
        var proof = data.PayoutTree.Proof(index);
        return new PayoutEvidenceTuple
        {
            Index = (uint)index,
            Leaf = data.PayoutLeaves[(int)index].Encode(),
            SiblingHashes = [.. proof.Select(s => s.SiblingHash)],
            SiblingSums = [.. proof.Select(s => (BigInteger)s.SiblingSum)],
        };
    }
}
