using System.Security.Cryptography;
using SimpleXLedger.Files.Client;
using SimpleXLedger.Files.Hosting;
using SimpleXLedger.Files.Tests.Support;
using SimpleXLedger.Protos.Files;
using SimpleXLedger.Testing;

namespace SimpleXLedger.Files.Tests;

/// <summary>Whole files: encrypted, split into chunks of two sizes, replicated on two real relays, described, received.</summary>
public sealed class FileTransferTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private FilesServer _a = null!;
    private FilesServer _b = null!;

    public async Task InitializeAsync()
    {
        _a = await FileRelays.StartAsync(FileRelays.Options(_dir.File("a")));
        _b = await FileRelays.StartAsync(FileRelays.Options(_dir.File("b")));
    }

    public async Task DisposeAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        _dir.Dispose();
    }

    private string WriteFile(string name, int length)
    {
        var path = _dir.File(name);
        File.WriteAllBytes(path, RandomNumberGenerator.GetBytes(length));
        return path;
    }

    [Fact]
    public async Task A_multi_chunk_file_replicated_on_two_relays_arrives_intact_for_each_recipient()
    {
        // 1.3 MiB: one 1 MiB chunk and two 256 KiB chunks (two sizes).
        var path = WriteFile("in.bin", 1_363_000);
        long sent = 0;
        var progress = new SyncProgress(n => sent += n);
        var result = await FileSender.SendAsync(path, [_a.Address, _b.Address], recipients: 2, progress: progress);

        var sizes = result.Recipients[0].Chunks.Select(c => c.Size).ToArray();
        Assert.Equal([1024 * 1024, 256 * 1024, 256 * 1024], sizes);
        Assert.Equal(sizes.Sum(s => (long)s) * 2, sent);
        Assert.All(result.Recipients[0].Chunks, c => Assert.Equal(2, c.Replicas.Count));
        // The two recipients' descriptions share the file key and digests, never an id or a key of a replica.
        var ids0 = result.Recipients[0].Chunks.SelectMany(c => c.Replicas).Select(r => r.Id).ToHashSet();
        Assert.DoesNotContain(result.Recipients[1].Chunks.SelectMany(c => c.Replicas), r => ids0.Contains(r.Id));
        Assert.DoesNotContain(result.Sender.Chunks.SelectMany(c => c.Replicas), r => ids0.Contains(r.Id));

        for (var r = 0; r < 2; r++)
        {
            var description = FileDescription.Parse(result.Recipients[r].ToJson());
            var output = _dir.File($"out{r}.bin");
            var length = await FileReceiver.ReceiveAsync(description, output);
            Assert.Equal(new FileInfo(path).Length, length);
            Assert.Equal(await File.ReadAllBytesAsync(path), await File.ReadAllBytesAsync(output));
        }

        // Each receive acknowledged its chunks where it got them (relay a, the first replica): its ids are gone there.
        Assert.Equal(0L, (await _a.CountsAsync()).Recipients);
        Assert.Equal(6L, (await _b.CountsAsync()).Recipients);
    }

    [Fact]
    public async Task When_one_relay_is_down_the_recipient_falls_back_to_the_other_replica()
    {
        var path = WriteFile("in.bin", 300_000);
        var result = await FileSender.SendAsync(path, [_a.Address, _b.Address]);
        await _a.DisposeAsync();
        var output = _dir.File("out.bin");
        await FileReceiver.ReceiveAsync(FileDescription.Parse(result.Recipients[0].ToJson()), output);
        Assert.Equal(await File.ReadAllBytesAsync(path), await File.ReadAllBytesAsync(output));
        _a = await FileRelays.StartAsync(FileRelays.Options(_dir.File("a")));
    }

    [Fact]
    public async Task A_replica_deleted_by_its_sender_is_skipped_and_a_file_deleted_everywhere_cannot_be_received()
    {
        var path = WriteFile("in.bin", 70_000);
        var result = await FileSender.SendAsync(path, [_a.Address, _b.Address]);
        var onA = result.Sender with { Chunks = result.Sender.Chunks.Select(c => c with { Replicas = c.Replicas.Take(1).ToArray() }).ToArray() };
        Assert.Empty(await FileSender.DeleteAsync(onA));

        var output = _dir.File("out.bin");
        await FileReceiver.ReceiveAsync(result.Recipients[0], output, ack: false);
        Assert.Equal(await File.ReadAllBytesAsync(path), await File.ReadAllBytesAsync(output));

        Assert.Empty(await FileSender.DeleteAsync(result.Sender with { Chunks = result.Sender.Chunks.Select(c => c with { Replicas = c.Replicas.Skip(1).ToArray() }).ToArray() }));
        File.Delete(output);
        var e = await Assert.ThrowsAsync<FileTransferException>(() => FileReceiver.ReceiveAsync(result.Recipients[0], output));
        Assert.Contains("no replica", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
        Assert.False(File.Exists(output + ".part"));
    }

    [Fact]
    public async Task A_description_whose_digest_or_key_was_changed_yields_no_file()
    {
        var path = WriteFile("in.bin", 10_000);
        var result = await FileSender.SendAsync(path, [_a.Address]);
        var wrongKey = result.Recipients[0] with { Key = FileDescription.Text(RandomNumberGenerator.GetBytes(32)) };
        var output = _dir.File("out.bin");
        await Assert.ThrowsAsync<FileTransferException>(() => FileReceiver.ReceiveAsync(wrongKey, output, ack: false));
        Assert.False(File.Exists(output));
        var wrongDigest = result.Recipients[0] with { Chunks = result.Recipients[0].Chunks.Select(c => c with { Digest = FileDescription.Text(new byte[32]) }).ToArray() };
        await Assert.ThrowsAsync<FileTransferException>(() => FileReceiver.ReceiveAsync(wrongDigest, output, ack: false));
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void Malformed_descriptions_are_refused_with_what_is_wrong()
    {
        Assert.Throws<FormatException>(() => FileDescription.Parse("{}"));
        Assert.Throws<FormatException>(() => FileDescription.Parse("not json"));
        var e = Assert.Throws<FormatException>(() => FileDescription.Parse("""{"version":2,"party":"recipient","size":1,"digest":"","key":"","chunks":[]}"""));
        Assert.Contains("version 2", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, new[] { 65536 })]
    [InlineData(65_600, new[] { 65536, 65536 })]
    [InlineData(300_000, new[] { 262144, 65536 })]
    [InlineData(5_000_000, new[] { 4194304, 1048576 })]
    [InlineData(4_100_000, new[] { 1048576, 1048576, 1048576, 1048576 })]
    public void The_chunk_plan_uses_at_most_two_sizes_and_covers_the_encrypted_file(long length, int[] expected)
    {
        var plan = ChunkPlan.For(length);
        Assert.Equal(expected, plan);
        Assert.True(plan.Distinct().Count() <= 2);
        Assert.True(plan.Sum(s => (long)s) >= FileCipher.SegmentsFor(length) * FileCipher.SegmentBytes);
    }

    private sealed class SyncProgress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}
