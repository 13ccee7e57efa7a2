using System.Security.Cryptography;
using SimpleXLedger.Files.Client;
using SimpleXLedger.Files.Tests.Support;
using SimpleXLedger.Protos.Files;
using SimpleXLedger.Relay.Client;
using SimpleXLedger.Testing;

namespace SimpleXLedger.Files.Tests;

/// <summary>A relay with an upload password (XFTP's basic auth): registering needs it; recipients never do.</summary>
public sealed class UploadPasswordTests
{
    [Fact]
    public async Task Registering_without_the_right_password_is_auth_and_records_nothing()
    {
        using var dir = new TempDirectory();
        await using var relay = await FileRelays.StartAsync(FileRelays.Options(dir.File("relay")) with { UploadPassword = "correct horse" });
        using var client = await FileRelayClient.ConnectAsync(relay.Address);
        Assert.True(client.Hello.UploadRequiresPassword);
        var bytes = RandomNumberGenerator.GetBytes(64 * 1024);
        using var sender = RelayProtocol.NewKey();
        using var recipient = RelayProtocol.NewKey();
        byte[][] keys = [RelayProtocol.PublicKeyBytes(recipient)];

        foreach (var wrong in new string?[] { null, "", "correct horse ", "wrong" })
        {
            var e = await Assert.ThrowsAsync<FileRelayException>(() => client.RegisterAsync(sender, bytes.Length, SHA256.HashData(bytes), keys, wrong));
            Assert.Equal(FileErrorCode.Auth, e.Code);
        }

        Assert.Equal((0L, 0L, 0L), await relay.CountsAsync());
        var ids = await client.RegisterAsync(sender, bytes.Length, SHA256.HashData(bytes), keys, "correct horse");
        await client.UploadAsync(ids.SenderId.Memory, sender, bytes);
        Assert.Equal(bytes, await client.DownloadAsync(ids.RecipientIds[0].Memory, recipient));
    }
}
