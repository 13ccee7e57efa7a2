namespace SimpleXLedger.Files.Client;

/// <summary>
/// How an encrypted file is split: at most two of the four chunk sizes (XFTP's advice), the larger one as often as
/// it fits, the rest in chunks a quarter its size (four of those become one more large chunk). The plan's total is
/// the padded, encrypted file size, a whole number of <see cref="FileCipher.SegmentBytes"/>.
/// </summary>
public static class ChunkPlan
{
    /// <summary>The chunk sizes, in order, for a file of <paramref name="fileLength"/> bytes.</summary>
    public static IReadOnlyList<int> For(long fileLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fileLength);
        var encrypted = FileCipher.SegmentsFor(fileLength) * FileCipher.SegmentBytes;
        var sizes = FilesProtocol.ChunkSizes;
        var large = sizes[0];
        foreach (var s in sizes)
        {
            if (encrypted >= s)
            {
                large = s;
            }
        }

        if (large == sizes[0])
        {
            return Enumerable.Repeat(large, (int)((encrypted + large - 1) / large)).ToArray();
        }

        var small = large / 4;
        var nLarge = encrypted / large;
        var rest = encrypted - (nLarge * large);
        var nSmall = (rest + small - 1) / small;
        if (nSmall == 4)
        {
            nLarge++;
            nSmall = 0;
        }

        return Enumerable.Repeat(large, (int)nLarge).Concat(Enumerable.Repeat(small, (int)nSmall)).ToArray();
    }
}
