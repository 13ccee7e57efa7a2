using System.Buffers.Binary;
using static SimpleXLedger.Epochs.Tests.TestData;

namespace SimpleXLedger.Epochs.Tests;

/// <summary>The export format sxl-epoch v1 (docs/ledger-v2.md §5.8): layout, round trip, typed refusals.</summary>
public sealed class EpochExportTests
{
    private static byte[] Export(EpochData epoch, byte txByte = 0x77, ulong block = 123_456)
    {
        using var stream = new MemoryStream();
        EpochExport.Write(stream, epoch, Repeat(txByte, 32), block);
        return stream.ToArray();
    }

    private static EpochFormatError Refusal(byte[] bytes) =>
        Assert.Throws<EpochFormatException>(() => EpochExport.Read(new MemoryStream(bytes))).Error;

    [Fact]
    public void The_export_is_laid_out_as_documented_and_reads_back_to_the_same_epoch()
    {
        var epoch = VectorBuilder().Build();
        var bytes = Export(epoch);

        Assert.Equal(EpochExport.SizeOf(epoch), bytes.Length);
        Assert.Equal(4 + 2 + 179 + 1 + (2 * 6) + (5 * 378) + (4 * 45) + 32 + 8, bytes.Length);
        Assert.Equal("SXLE"u8.ToArray(), bytes[..4]);
        Assert.Equal(1, BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(4)));
        Assert.Equal(epoch.Header.Encode(), bytes[6..185]);
        Assert.Equal(2, bytes[185]);
        Assert.Equal(KeyCount.Encode(epoch.KeyCounts), bytes[186..198]);
        Assert.Equal(epoch.TokenLeaves[0].ToArray(), bytes[198..576]);
        Assert.Equal(epoch.PayoutLeaves[0].Encode(), bytes[(198 + (5 * 378))..(198 + (5 * 378) + 45)]);
        Assert.Equal(Repeat(0x77, 32), bytes[^40..^8]);
        Assert.Equal(123_456UL, BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan(bytes.Length - 8)));

        var back = EpochExport.Read(new MemoryStream(bytes));
        Assert.Equal(epoch.Commitment, back.Data.Commitment);
        Assert.Equal(Repeat(0x77, 32), back.PostTx);
        Assert.Equal(123_456UL, back.PostBlock);
        Assert.Equal(epoch.KeyCounts, back.Data.KeyCounts);
        Assert.Equal(bytes, Export(back.Data));
    }

    [Fact]
    public void A_larger_epoch_round_trips_through_a_file_and_its_trailer_can_be_filled_in_after_the_post()
    {
        var epoch = RandomEpoch(3, 2000, 50);
        var path = Path.Combine(Path.GetTempPath(), $"sxl-epoch-test-{Guid.NewGuid():N}.sxle");
        try
        {
            using (var file = File.Create(path))
            {
                EpochExport.Write(file, epoch, new byte[32], 0);
            }

            using (var file = File.Open(path, FileMode.Open, FileAccess.ReadWrite))
            {
                EpochExport.WriteTrailer(file, Repeat(0xAB, 32), 99);
            }

            using var read = File.OpenRead(path);
            var back = EpochExport.Read(read);
            Assert.Equal(epoch.Commitment, back.Data.Commitment);
            Assert.Equal(Repeat(0xAB, 32), back.PostTx);
            Assert.Equal(99UL, back.PostBlock);
            Assert.Equal(epoch.TokenTree.Proof(1234), back.Data.TokenTree.Proof(1234));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Building_and_exporting_together_writes_the_same_bytes_as_exporting_afterwards()
    {
        var builder = new EpochBuilder(Parameters());
        var reference = RandomEpoch(9, 3000, 40);
        for (long i = 0; i < reference.TokenLeaves.Count; i++)
        {
            var l = reference.TokenLeaves.Leaf(i);
            builder.Add(l.Kind, l.Payee, l.KeyId, l.Nonce, l.Authenticator, l.Ref);
        }

        using var stream = new MemoryStream();
        stream.Write([1, 2, 3]); // the export starts wherever the stream stands
        var epoch = builder.BuildAndExport(stream);

        Assert.Equal(reference.Commitment, epoch.Commitment);
        Assert.Equal(stream.Length, stream.Position);
        Assert.Equal(Export(reference, 0, 0), stream.ToArray()[3..]);
    }

    [Fact]
    public void Building_into_a_stream_that_cannot_seek_is_refused_before_anything_is_built()
    {
        var builder = VectorBuilder();
        using var pipe = new System.IO.Pipes.AnonymousPipeServerStream(System.IO.Pipes.PipeDirection.Out);
        Assert.Equal(EpochFormatError.BadParameter, Assert.Throws<EpochFormatException>(() => builder.BuildAndExport(pipe)).Error);
        Assert.Equal(VectorBuilder().Build().Commitment, builder.Build().Commitment);
    }

    [Fact]
    public void Another_magic_or_format_version_is_refused()
    {
        var bytes = Export(VectorBuilder().Build());
        var magic = (byte[])bytes.Clone();
        magic[3] = (byte)'D'; // SXLD: the debit-ledger export
        Assert.Equal(EpochFormatError.BadMagic, Refusal(magic));

        var version = (byte[])bytes.Clone();
        version[5] = 2;
        Assert.Equal(EpochFormatError.BadVersion, Refusal(version));

        var headerVersion = (byte[])bytes.Clone();
        headerVersion[7] = 2;
        Assert.Equal(EpochFormatError.BadVersion, Refusal(headerVersion));
    }

    [Fact]
    public void Every_truncation_and_any_trailing_byte_is_refused()
    {
        var bytes = Export(VectorBuilder().Build());
        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.Equal(EpochFormatError.Truncated, Refusal(bytes[..length]));
        }

        Assert.Equal(EpochFormatError.Truncated, Refusal([.. bytes, 0]));
    }

    [Fact]
    public void Any_changed_byte_of_header_key_counts_or_leaves_is_refused_against_the_posted_commitment()
    {
        var epoch = VectorBuilder().Build();
        var bytes = Export(epoch);
        var trailerStart = bytes.Length - 40;
        var uncheckedAlone = 0;
        for (var at = 6; at < trailerStart; at++)
        {
            var changed = (byte[])bytes.Clone();
            changed[at] ^= 0x01;
            Assert.Throws<EpochFormatException>(() => EpochExport.Read(new MemoryStream(changed), epoch.Commitment));
            try
            {
                EpochExport.Read(new MemoryStream(changed));
                uncheckedAlone++;
            }
            catch (EpochFormatException)
            {
            }
        }

        // Without the commitment only the header's own fields go unnoticed: chainId 8, ledger 20, epoch 8, round 1, epochRate 16,
        // and R's low byte (R = 1 becomes 0; a change in its higher bytes makes R > N, refused).
        Assert.Equal(8 + 20 + 8 + 1 + 16 + 1, uncheckedAlone);
        Assert.Equal(EpochFormatError.Mismatch, Assert.Throws<EpochFormatException>(() => EpochExport.Read(new MemoryStream(bytes), new byte[32])).Error);
    }

    [Fact]
    public void The_trailer_needs_a_32_byte_transaction_hash()
    {
        var epoch = VectorBuilder().Build();
        Assert.Equal(EpochFormatError.BadLength, Assert.Throws<EpochFormatException>(() => EpochExport.Write(new MemoryStream(), epoch, new byte[31], 0)).Error);
        Assert.Equal(EpochFormatError.BadLength, Assert.Throws<EpochFormatException>(() => EpochExport.WriteTrailer(new MemoryStream(Export(epoch)), new byte[33], 0)).Error);
    }
}
