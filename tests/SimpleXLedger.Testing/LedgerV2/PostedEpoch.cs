using System.Buffers.Binary;
using System.Numerics;
using SimpleXLedger.Chain.Contracts.V2;
using SimpleXLedger.Epochs;

namespace SimpleXLedger.Testing.LedgerV2;

/// <summary>
/// An epoch's data as the contract sees it — token leaves, payout leaves, both trees and the header — whether an
/// honest close built it (<see cref="FromBuilder"/>) or a test crafted it leaf by leaf to cheat (<see cref="Craft"/>):
/// everything a claim, a proof or a data answer needs.
/// </summary>
public sealed class PostedEpoch
{
    private PostedEpoch(ulong epoch, byte round, List<byte[]> tokenLeaves, List<byte[]> payoutLeaves, uint r, byte[] keyCounts, BigInteger total, BigInteger epochRate)
    {
        TokenLeaves = tokenLeaves;
        PayoutLeaves = payoutLeaves;
        TokenTree = PositionTree.Build(Tags.TokenNode, Concat(tokenLeaves.Select(l => Keccak.Hash(l))));
        PayoutTree = SumTree.Build(Concat(payoutLeaves.Select(l => Keccak.Hash(l))), payoutLeaves.Select(Amount).ToArray());
        Header = new EpochHeaderTuple
        {
            Epoch = epoch,
            Round = round,
            TokenRoot = TokenTree.Root,
            N = (uint)tokenLeaves.Count,
            R = r,
            PayoutRoot = PayoutTree.RootHash,
            M = (uint)payoutLeaves.Count,
            Total = total,
            EpochRate = epochRate,
            KeyCounts = keyCounts,
        };
    }

    public List<byte[]> TokenLeaves { get; }

    public List<byte[]> PayoutLeaves { get; }

    public PositionTree TokenTree { get; }

    public SumTree PayoutTree { get; }

    public EpochHeaderTuple Header { get; }

    public PostInputTuple PostInput => new()
    {
        Epoch = Header.Epoch,
        TokenRoot = Header.TokenRoot,
        N = Header.N,
        R = Header.R,
        PayoutRoot = Header.PayoutRoot,
        M = Header.M,
        KeyCounts = Header.KeyCounts,
    };

    public static PostedEpoch FromBuilder(EpochData data)
    {
        var tokens = new List<byte[]>();
        for (long i = 0; i < data.TokenLeaves.Count; i++)
        {
            tokens.Add(data.TokenLeaves[i].ToArray());
        }

        var h = data.Header;
        return new PostedEpoch(h.Epoch, h.Round, tokens, data.PayoutLeaves.Select(p => p.Encode()).ToList(), h.NonPayingCount, KeyCount.Encode(data.KeyCounts), h.Total, h.EpochRate);
    }

    /// <summary>Any leaves at all, in the given order: what a rogue clearing house posts.</summary>
    public static PostedEpoch Craft(ulong epoch, byte round, List<byte[]> tokenLeaves, List<byte[]> payoutLeaves, uint r, byte[] keyCounts, BigInteger total, BigInteger epochRate)
        => new(epoch, round, tokenLeaves, payoutLeaves, r, keyCounts, total, epochRate);

    public TokenEvidenceTuple Token(int position) => new()
    {
        Position = (uint)position,
        Leaf = TokenLeaves[position],
        Path = [.. TokenTree.Proof(position)],
    };

    public PayoutEvidenceTuple Payout(int index)
    {
        var proof = PayoutTree.Proof(index);
        return new PayoutEvidenceTuple
        {
            Index = (uint)index,
            Leaf = PayoutLeaves[index],
            SiblingHashes = [.. proof.Select(s => s.SiblingHash)],
            SiblingSums = [.. proof.Select(s => (BigInteger)s.SiblingSum)],
        };
    }

    public ClaimV2Function Claim(int index)
    {
        var p = Payout(index);
        return new ClaimV2Function { Header = Header, LeafIndex = (uint)index, Leaf = p.Leaf, SiblingHashes = p.SiblingHashes, SiblingSums = p.SiblingSums };
    }

    /// <summary>
    /// Writes this epoch as an <c>sxl-epoch</c> v1 file (docs/ledger-v2.md §5.8) byte by byte, so crafted (rogue)
    /// epochs can be published as faithfully as honest ones.
    /// </summary>
    public void WriteExport(string path, ulong chainId, string ledger)
    {
        var header = new EpochHeader(
            chainId, V2Network.Address(ledger), Header.Epoch, Header.Round, Header.TokenRoot, Header.N, Header.R, Header.PayoutRoot, Header.M,
            (UInt128)Header.Total, (UInt128)Header.EpochRate, Keccak.Hash(Header.KeyCounts));
        using var file = File.Create(path);
        file.Write("SXLE"u8);
        file.Write([0, 1]);
        file.Write(header.Encode());
        file.WriteByte((byte)(Header.KeyCounts.Length / KeyCount.Size));
        file.Write(Header.KeyCounts);
        foreach (var leaf in TokenLeaves)
        {
            file.Write(leaf);
        }

        foreach (var leaf in PayoutLeaves)
        {
            file.Write(leaf);
        }

        file.Write(new byte[32 + 8]);
    }

    public static UInt128 Amount(byte[] payoutLeaf) => BinaryPrimitives.ReadUInt128BigEndian(payoutLeaf.AsSpan(21, 16));

    public static string PayeeOf(byte[] payoutLeaf) => "0x" + Convert.ToHexStringLower(payoutLeaf.AsSpan(1, 20));

    private static byte[] Concat(IEnumerable<byte[]> parts) => parts.SelectMany(p => p).ToArray();
}
