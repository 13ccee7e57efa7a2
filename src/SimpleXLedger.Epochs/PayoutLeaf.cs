using System.Buffers.Binary;

namespace SimpleXLedger.Epochs;

/// <summary>
/// Payout leaf v1, 45 bytes (docs/ledger-v2.md §5.3): tag 0x20 ‖ payee 20 ‖ amount u128 ‖ start u32 ‖ count u32,
/// big-endian. Leaf 0 of an epoch is the non-paying leaf (zero payee), the last the fee leaf.
/// </summary>
public sealed class PayoutLeaf
{
    public const int Size = 45;

    private readonly byte[] _payee;

    public PayoutLeaf(ReadOnlySpan<byte> payee, UInt128 amount, uint start, uint count)
    {
        _payee = Bytes.Exact(payee, 20, "payee");
        Amount = amount;
        Start = start;
        Count = count;
    }

    public ReadOnlySpan<byte> Payee => _payee;

    public UInt128 Amount { get; }

    public uint Start { get; }

    public uint Count { get; }

    public byte[] Encode()
    {
        var bytes = new byte[Size];
        Encode(bytes);
        return bytes;
    }

    public void Encode(Span<byte> destination)
    {
        if (destination.Length < Size)
        {
            throw new EpochFormatException(EpochFormatError.BadLength, $"a payout leaf needs {Size} bytes");
        }

        destination[0] = Tags.PayoutLeaf;
        _payee.CopyTo(destination[1..]);
        Bytes.WriteUInt128BigEndian(destination[21..], Amount);
        BinaryPrimitives.WriteUInt32BigEndian(destination[37..], Start);
        BinaryPrimitives.WriteUInt32BigEndian(destination[41..], Count);
    }

    /// <summary>keccak256 of the 45 leaf bytes: the payout sum tree's leaf hash (its sum is <see cref="Amount"/>).</summary>
    public byte[] Hash() => Keccak.Hash(Encode());

    public static PayoutLeaf Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
        {
            throw new EpochFormatException(EpochFormatError.BadLength, $"a payout leaf is {Size} bytes, got {bytes.Length}");
        }

        if (bytes[0] != Tags.PayoutLeaf)
        {
            throw new EpochFormatException(EpochFormatError.BadTag, $"a payout leaf starts with 0x20, got 0x{bytes[0]:x2}");
        }

        return new PayoutLeaf(
            bytes.Slice(1, 20),
            Bytes.ReadUInt128BigEndian(bytes[21..]),
            BinaryPrimitives.ReadUInt32BigEndian(bytes[37..]),
            BinaryPrimitives.ReadUInt32BigEndian(bytes[41..]));
    }
}
