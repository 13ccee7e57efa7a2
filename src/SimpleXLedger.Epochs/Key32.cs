using System.Buffers.Binary;

namespace SimpleXLedger.Epochs;

/// <summary>32 bytes as a dictionary key.</summary>
internal readonly record struct Key32(ulong A, ulong B, ulong C, ulong D)
{
    public static Key32 Of(ReadOnlySpan<byte> bytes) => new(
        BinaryPrimitives.ReadUInt64BigEndian(bytes),
        BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]),
        BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]),
        BinaryPrimitives.ReadUInt64BigEndian(bytes[24..]));
}
