using System.Buffers.Binary;

namespace SimpleXLedger.Epochs;

/// <summary>
/// The export format <c>sxl-epoch</c> v1 (docs/ledger-v2.md §5.8), big-endian:
/// magic "SXLE" ‖ formatVersion u16 = 1 ‖ header v1 (179) ‖ keyCount u8 ‖ keyCounts (6 each) ‖ N token leaves (378 each)
/// ‖ M payout leaves (45 each) ‖ postTx 32 ‖ postBlock u64. N and M are the header's. The trailer (postTx, postBlock) is
/// the last 40 bytes, so a close writes the file before posting (trailer zero) and <see cref="WriteTrailer"/> fills it in
/// once the post is mined.
/// </summary>
public static class EpochExport
{
    public const ushort FormatVersion = 1;
    public const int TrailerSize = 40;
    private const int BufferSize = 1 << 20;
    private static ReadOnlySpan<byte> Magic => "SXLE"u8;

    /// <summary>The exact size of the export of <paramref name="data"/>.</summary>
    public static long SizeOf(EpochData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return 4 + 2 + EpochHeader.Size + 1 + (KeyCount.Size * (long)data.KeyCounts.Count)
            + (TokenLeaf.Size * data.TokenLeaves.Count) + (PayoutLeaf.Size * (long)data.PayoutLeaves.Count) + TrailerSize;
    }

    /// <summary>Writes the export sequentially through a 1 MiB buffer; nothing is assembled in memory first.</summary>
    public static void Write(Stream output, EpochData data, ReadOnlySpan<byte> postTx, ulong postBlock)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(data);
        if (postTx.Length != 32)
        {
            throw new EpochFormatException(EpochFormatError.BadLength, "postTx is 32 bytes");
        }

        WriteAll(output, data.Header.Encode(), data.KeyCounts, data.TokenLeaves, data.PayoutLeaves, postTx.ToArray(), postBlock);
    }

    /// <summary>The whole file with the given header bytes (zero while the roots are still being hashed, see <see cref="EpochBuilder.BuildAndExport"/>).</summary>
    internal static void WriteAll(Stream output, byte[] header, IReadOnlyList<KeyCount> keyCounts, TokenLeafStore leaves, IReadOnlyList<PayoutLeaf> payouts, byte[] postTx, ulong postBlock)
    {
        var buffer = new byte[BufferSize];
        var used = 0;
        void Flush()
        {
            output.Write(buffer, 0, used);
            used = 0;
        }

        Span<byte> Take(int size)
        {
            if (used + size > buffer.Length)
            {
                Flush();
            }

            var span = buffer.AsSpan(used, size);
            used += size;
            return span;
        }

        Magic.CopyTo(Take(4));
        BinaryPrimitives.WriteUInt16BigEndian(Take(2), FormatVersion);
        header.CopyTo(Take(EpochHeader.Size));
        Take(1)[0] = (byte)keyCounts.Count;
        KeyCount.Encode(keyCounts).CopyTo(Take(KeyCount.Size * keyCounts.Count));
        for (long i = 0; i < leaves.Count; i++)
        {
            leaves[i].CopyTo(Take(TokenLeaf.Size));
        }

        foreach (var payout in payouts)
        {
            payout.Encode(Take(PayoutLeaf.Size));
        }

        postTx.CopyTo(Take(32));
        BinaryPrimitives.WriteUInt64BigEndian(Take(8), postBlock);
        Flush();
        output.Flush();
    }

    /// <summary>Writes the header into an export written from <paramref name="start"/> with a zero header, and returns to its end.</summary>
    internal static void PatchHeader(Stream output, long start, EpochHeader header)
    {
        var end = output.Position;
        output.Seek(start + 6, SeekOrigin.Begin);
        output.Write(header.Encode());
        output.Seek(end, SeekOrigin.Begin);
        output.Flush();
    }

    /// <summary>Overwrites the trailer (the last 40 bytes) of a written export, once the post transaction is known.</summary>
    public static void WriteTrailer(Stream export, ReadOnlySpan<byte> postTx, ulong postBlock)
    {
        ArgumentNullException.ThrowIfNull(export);
        if (postTx.Length != 32)
        {
            throw new EpochFormatException(EpochFormatError.BadLength, "postTx is 32 bytes");
        }

        if (!export.CanSeek || export.Length < TrailerSize)
        {
            throw new EpochFormatException(EpochFormatError.Truncated, "the trailer is written into a seekable, complete export");
        }

        Span<byte> trailer = stackalloc byte[TrailerSize];
        postTx.CopyTo(trailer);
        BinaryPrimitives.WriteUInt64BigEndian(trailer[32..], postBlock);
        export.Seek(-TrailerSize, SeekOrigin.End);
        export.Write(trailer);
        export.Flush();
    }

    /// <summary>
    /// Reads an export and re-verifies it against its own header: the key counts hash, the token root over the N leaves,
    /// the payout root and root sum (= total) over the M leaves, R ≤ N. Refuses another magic (<see cref="EpochFormatError.BadMagic"/>),
    /// another format or header version (<see cref="EpochFormatError.BadVersion"/>), a short or overlong file
    /// (<see cref="EpochFormatError.Truncated"/>) and any mismatch (<see cref="EpochFormatError.Mismatch"/>). What the leaves
    /// say (kinds, order, ordinals, tiling, amounts) is the watcher's to check, not the reader's: a file that commits to a
    /// fraud reads fine, so the fraud can be proven. The header's own fields (chain, ledger, epoch, round, R, epochRate) are
    /// only checkable against the ledger: pass the posted <paramref name="expectedCommitment"/> and the header must hash to it.
    /// </summary>
    public static EpochExportFile Read(Stream input, ReadOnlySpan<byte> expectedCommitment = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!expectedCommitment.IsEmpty && expectedCommitment.Length != 32)
        {
            throw new EpochFormatException(EpochFormatError.BadLength, "a commitment is 32 bytes");
        }

        Span<byte> start = stackalloc byte[4 + 2 + EpochHeader.Size + 1];
        ReadExactly(input, start[..4], "the magic");
        if (!start[..4].SequenceEqual(Magic))
        {
            throw new EpochFormatException(EpochFormatError.BadMagic, "not an sxl-epoch file (magic is not \"SXLE\")");
        }

        ReadExactly(input, start[4..], "the header");
        var version = BinaryPrimitives.ReadUInt16BigEndian(start[4..]);
        if (version != FormatVersion)
        {
            throw new EpochFormatException(EpochFormatError.BadVersion, $"sxl-epoch format version {version} is not 1");
        }

        var header = EpochHeader.Decode(start.Slice(6, EpochHeader.Size));
        if (!expectedCommitment.IsEmpty && !Keccak.Hash(start.Slice(6, EpochHeader.Size)).AsSpan().SequenceEqual(expectedCommitment))
        {
            throw new EpochFormatException(EpochFormatError.Mismatch, "the header does not hash to the posted commitment");
        }
        var keyCountBytes = new byte[start[^1] * KeyCount.Size];
        ReadExactly(input, keyCountBytes, "the key counts");
        var keyCounts = KeyCount.Decode(keyCountBytes);
        if (!Keccak.Hash(keyCountBytes).AsSpan().SequenceEqual(header.KeyCountsHash))
        {
            throw new EpochFormatException(EpochFormatError.Mismatch, "the key counts do not hash to the header's keyCountsHash");
        }

        if (header.NonPayingCount > header.TokenCount)
        {
            throw new EpochFormatException(EpochFormatError.Mismatch, "the header counts more non-paying tokens than tokens");
        }

        var leaves = TokenLeafStore.ReadFrom(input, header.TokenCount);
        var payoutBytes = new byte[checked((int)header.PayoutCount * PayoutLeaf.Size)];
        ReadExactly(input, payoutBytes, "the payout leaves");
        var payouts = new PayoutLeaf[header.PayoutCount];
        for (var i = 0; i < payouts.Length; i++)
        {
            payouts[i] = PayoutLeaf.Decode(payoutBytes.AsSpan(i * PayoutLeaf.Size, PayoutLeaf.Size));
        }

        var trailer = new byte[TrailerSize];
        ReadExactly(input, trailer, "the trailer");
        if (input.ReadByte() >= 0)
        {
            throw new EpochFormatException(EpochFormatError.Truncated, "bytes after the trailer");
        }

        var tokenTree = PositionTree.Build(Tags.TokenNode, EpochBuilder.HashLeaves(leaves));
        if (!tokenTree.Root.AsSpan().SequenceEqual(header.TokenRoot))
        {
            throw new EpochFormatException(EpochFormatError.Mismatch, "the token leaves do not hash to the header's tokenRoot");
        }

        var payoutTree = SumTree.Build(payouts);
        if (!payoutTree.RootHash.AsSpan().SequenceEqual(header.PayoutRoot) || payoutTree.RootSum != header.Total)
        {
            throw new EpochFormatException(EpochFormatError.Mismatch, "the payout leaves do not hash and add up to the header's payoutRoot and total");
        }

        return new EpochExportFile(
            new EpochData(header, keyCounts, leaves, payouts, tokenTree, payoutTree),
            trailer[..32],
            BinaryPrimitives.ReadUInt64BigEndian(trailer.AsSpan(32)));
    }

    private static void ReadExactly(Stream input, Span<byte> buffer, string what)
    {
        if (input.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false) < buffer.Length)
        {
            throw new EpochFormatException(EpochFormatError.Truncated, $"the export ends inside {what}");
        }
    }
}
