using System.Buffers.Binary;

namespace SimpleXLedger.Epochs;

/// <summary>
/// Epoch header v1, 179 bytes (docs/ledger-v2.md §5.6): 0x30 ‖ version u8 = 1 ‖ chainId u64 ‖ ledger 20 ‖ epoch u64 ‖
/// round u8 ‖ tokenRoot 32 ‖ N u32 ‖ R u32 ‖ payoutRoot 32 ‖ M u32 ‖ total u128 ‖ epochRate u128 ‖ keyCountsHash 32,
/// big-endian. The commitment stored on-chain is keccak256 of these bytes.
/// </summary>
public sealed class EpochHeader
{
    public const int Size = 179;
    public const byte Version = 1;

    private readonly byte[] _ledger;
    private readonly byte[] _tokenRoot;
    private readonly byte[] _payoutRoot;
    private readonly byte[] _keyCountsHash;

    public EpochHeader(
        ulong chainId,
        ReadOnlySpan<byte> ledger,
        ulong epoch,
        byte round,
        ReadOnlySpan<byte> tokenRoot,
        uint tokenCount,
        uint nonPayingCount,
        ReadOnlySpan<byte> payoutRoot,
        uint payoutCount,
        UInt128 total,
        UInt128 epochRate,
        ReadOnlySpan<byte> keyCountsHash)
    {
        ChainId = chainId;
        _ledger = Bytes.Exact(ledger, 20, "ledger");
        Epoch = epoch;
        Round = round;
        _tokenRoot = Bytes.Exact(tokenRoot, 32, "tokenRoot");
        TokenCount = tokenCount;
        NonPayingCount = nonPayingCount;
        _payoutRoot = Bytes.Exact(payoutRoot, 32, "payoutRoot");
        PayoutCount = payoutCount;
        Total = total;
        EpochRate = epochRate;
        _keyCountsHash = Bytes.Exact(keyCountsHash, 32, "keyCountsHash");
    }

    public ulong ChainId { get; }

    public ReadOnlySpan<byte> Ledger => _ledger;

    public ulong Epoch { get; }

    public byte Round { get; }

    public ReadOnlySpan<byte> TokenRoot => _tokenRoot;

    /// <summary>N: token leaves.</summary>
    public uint TokenCount { get; }

    /// <summary>R: non-paying token leaves, positions [0, R).</summary>
    public uint NonPayingCount { get; }

    public ReadOnlySpan<byte> PayoutRoot => _payoutRoot;

    /// <summary>M: payout leaves.</summary>
    public uint PayoutCount { get; }

    public UInt128 Total { get; }

    public UInt128 EpochRate { get; }

    public ReadOnlySpan<byte> KeyCountsHash => _keyCountsHash;

    public byte[] Encode()
    {
        var b = new byte[Size];
        b[0] = Tags.EpochHeader;
        b[1] = Version;
        BinaryPrimitives.WriteUInt64BigEndian(b.AsSpan(2), ChainId);
        _ledger.CopyTo(b, 10);
        BinaryPrimitives.WriteUInt64BigEndian(b.AsSpan(30), Epoch);
        b[38] = Round;
        _tokenRoot.CopyTo(b, 39);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(71), TokenCount);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(75), NonPayingCount);
        _payoutRoot.CopyTo(b, 79);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(111), PayoutCount);
        Bytes.WriteUInt128BigEndian(b.AsSpan(115), Total);
        Bytes.WriteUInt128BigEndian(b.AsSpan(131), EpochRate);
        _keyCountsHash.CopyTo(b, 147);
        return b;
    }

    /// <summary>keccak256(header): the one hash the ledger stores per epoch and round.</summary>
    public byte[] Commitment() => Keccak.Hash(Encode());

    public static EpochHeader Decode(ReadOnlySpan<byte> b)
    {
        if (b.Length != Size)
        {
            throw new EpochFormatException(EpochFormatError.BadLength, $"an epoch header is {Size} bytes, got {b.Length}");
        }

        if (b[0] != Tags.EpochHeader)
        {
            throw new EpochFormatException(EpochFormatError.BadTag, $"an epoch header starts with 0x30, got 0x{b[0]:x2}");
        }

        if (b[1] != Version)
        {
            throw new EpochFormatException(EpochFormatError.BadVersion, $"epoch header version {b[1]} is not 1");
        }

        return new EpochHeader(
            BinaryPrimitives.ReadUInt64BigEndian(b[2..]),
            b.Slice(10, 20),
            BinaryPrimitives.ReadUInt64BigEndian(b[30..]),
            b[38],
            b.Slice(39, 32),
            BinaryPrimitives.ReadUInt32BigEndian(b[71..]),
            BinaryPrimitives.ReadUInt32BigEndian(b[75..]),
            b.Slice(79, 32),
            BinaryPrimitives.ReadUInt32BigEndian(b[111..]),
            Bytes.ReadUInt128BigEndian(b[115..]),
            Bytes.ReadUInt128BigEndian(b[131..]),
            b.Slice(147, 32));
    }
}
