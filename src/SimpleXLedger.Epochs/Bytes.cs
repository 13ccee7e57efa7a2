namespace SimpleXLedger.Epochs;

internal static class Bytes
{
    public static byte[] Exact(ReadOnlySpan<byte> value, int length, string field)
    {
        if (value.Length != length)
        {
            throw new EpochFormatException(EpochFormatError.BadLength, $"{field} is {length} bytes, got {value.Length}");
        }

        return value.ToArray();
    }

    public static bool IsZero(ReadOnlySpan<byte> value) => !value.ContainsAnyExcept((byte)0);

    public static void WriteUInt128BigEndian(Span<byte> destination, UInt128 value)
    {
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(destination, (ulong)(value >> 64));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(destination[8..], (ulong)value);
    }

    public static UInt128 ReadUInt128BigEndian(ReadOnlySpan<byte> source) =>
        new(System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(source), System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(source[8..]));
}
