using System.Buffers.Binary;

namespace SimpleXLedger.Epochs;

/// <summary>
/// A token leaf's place in the order (payee, keyId, nonce) as unsigned big-endian bytes, packed into words: payee bytes
/// 0–7, 8–15, then 16–19 with the key's rank among the epoch's keyIds (ranked by keyId bytes, so rank order is keyId
/// order), then the nonce's four words. <see cref="Index"/> is the leaf's insertion index.
/// </summary>
internal struct SortKey
{
    public ulong P0;
    public ulong P1;
    public ulong P2Rank;
    public ulong N0;
    public ulong N1;
    public ulong N2;
    public ulong N3;
    public int Index;

    public static SortKey Of(ReadOnlySpan<byte> leaf, byte rank, int index) => new()
    {
        P0 = BinaryPrimitives.ReadUInt64BigEndian(leaf[TokenLeaf.PayeeOffset..]),
        P1 = BinaryPrimitives.ReadUInt64BigEndian(leaf[(TokenLeaf.PayeeOffset + 8)..]),
        P2Rank = ((ulong)BinaryPrimitives.ReadUInt32BigEndian(leaf[(TokenLeaf.PayeeOffset + 16)..]) << 8) | rank,
        N0 = BinaryPrimitives.ReadUInt64BigEndian(leaf[TokenLeaf.NonceOffset..]),
        N1 = BinaryPrimitives.ReadUInt64BigEndian(leaf[(TokenLeaf.NonceOffset + 8)..]),
        N2 = BinaryPrimitives.ReadUInt64BigEndian(leaf[(TokenLeaf.NonceOffset + 16)..]),
        N3 = BinaryPrimitives.ReadUInt64BigEndian(leaf[(TokenLeaf.NonceOffset + 24)..]),
        Index = index,
    };

    public readonly byte Rank => (byte)P2Rank;

    public readonly bool IsPaying => P0 != 0 || P1 != 0 || (P2Rank >> 8) != 0;

    public readonly bool SamePayee(in SortKey other) => P0 == other.P0 && P1 == other.P1 && (P2Rank >> 8) == (other.P2Rank >> 8);

    public readonly bool SameToken(in SortKey other) => Rank == other.Rank && N0 == other.N0 && N1 == other.N1 && N2 == other.N2 && N3 == other.N3;

    internal readonly struct Comparer : IComparer<SortKey>
    {
        public int Compare(SortKey a, SortKey b)
        {
            if (a.P0 != b.P0)
            {
                return a.P0 < b.P0 ? -1 : 1;
            }

            if (a.P1 != b.P1)
            {
                return a.P1 < b.P1 ? -1 : 1;
            }

            if (a.P2Rank != b.P2Rank)
            {
                return a.P2Rank < b.P2Rank ? -1 : 1;
            }

            if (a.N0 != b.N0)
            {
                return a.N0 < b.N0 ? -1 : 1;
            }

            if (a.N1 != b.N1)
            {
                return a.N1 < b.N1 ? -1 : 1;
            }

            if (a.N2 != b.N2)
            {
                return a.N2 < b.N2 ? -1 : 1;
            }

            return a.N3 == b.N3 ? 0 : a.N3 < b.N3 ? -1 : 1;
        }
    }
}
