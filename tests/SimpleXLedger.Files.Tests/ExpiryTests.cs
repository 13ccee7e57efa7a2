using System.Security.Cryptography;
using Microsoft.Extensions.Time.Testing;
using SimpleXLedger.Files.Client;
using SimpleXLedger.Files.Tests.Support;
using SimpleXLedger.Protos.Files;
using SimpleXLedger.Relay.Client;
using SimpleXLedger.Testing;

namespace SimpleXLedger.Files.Tests;

/// <summary>Chunks live for the operator's TTL (48 hours unless set), on the relay's clock.</summary>
public sealed class ExpiryTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public async Task A_chunk_is_served_until_its_ttl_and_then_neither_served_nor_kept(int ttlHours)
    {
        using var dir = new TempDirectory();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        // The sweep runs when the test says (its own timer would fire as the fake clock moves).
        var options = FileRelays.Options(dir.File("relay")) with { SweepInterval = TimeSpan.FromDays(30) };
        if (ttlHours > 0)
        {
            options = options with { ChunkTtl = TimeSpan.FromHours(ttlHours) };
        }

        var ttl = options.ChunkTtl;
        Assert.Equal(ttlHours == 0 ? TimeSpan.FromHours(48) : TimeSpan.FromHours(ttlHours), ttl);
        await using var relay = await FileRelays.StartAsync(options, time);
        using var client = await FileRelayClient.ConnectAsync(relay.Address);
        Assert.Equal((ulong)ttl.TotalSeconds, client.Hello.ChunkTtlSeconds);

        var bytes = RandomNumberGenerator.GetBytes(64 * 1024);
        using var sender = RelayProtocol.NewKey();
        using var recipient = RelayProtocol.NewKey();
        var ids = await client.RegisterAsync(sender, bytes.Length, SHA256.HashData(bytes), [RelayProtocol.PublicKeyBytes(recipient)]);
        await client.UploadAsync(ids.SenderId.Memory, sender, bytes);

        time.Advance(ttl - TimeSpan.FromSeconds(2));
        Assert.Equal(0, await relay.SweepAsync());
        Assert.Equal(bytes, await client.DownloadAsync(ids.RecipientIds[0].Memory, recipient));

        time.Advance(TimeSpan.FromSeconds(2));
        var e = await Assert.ThrowsAsync<FileRelayException>(() => client.DownloadAsync(ids.RecipientIds[0].Memory, recipient));
        Assert.Equal(FileErrorCode.NoFile, e.Code);
        Assert.Equal(1, await relay.SweepAsync());
        Assert.Equal((0L, 0L, 0L), await relay.CountsAsync());
        var gone = await Assert.ThrowsAsync<FileRelayException>(() => client.DownloadAsync(ids.RecipientIds[0].Memory, recipient));
        Assert.Equal(FileErrorCode.Auth, gone.Code);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(dir.File("relay"), "chunks")));
    }
}
