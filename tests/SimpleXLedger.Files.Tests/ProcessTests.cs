using System.Security.Cryptography;
using SimpleXLedger.Files.Client;
using SimpleXLedger.Net;
using SimpleXLedger.Protos.Files;
using SimpleXLedger.Relay.Client;
using SimpleXLedger.Testing;

namespace SimpleXLedger.Files.Tests;

/// <summary>The real <c>sxl files …</c> program: serve as processes, send and receive through the CLI, kill -9 mid-upload.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ProcessTests
{
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(60);

    private static async Task<(ChildProcess Process, PinnedAddress Address)> ServeAsync(string data, string listen = "127.0.0.1:0", IDictionary<string, string?>? environment = null)
    {
        var process = SxlProcess.Start(["files", "serve", "--data", data, "--listen", listen], environment);
        var line = await process.WaitForLineAsync(l => l.StartsWith("sxl://", StringComparison.Ordinal), Startup);
        return (process, PinnedAddress.Parse(line));
    }

    [Fact]
    public async Task Send_and_receive_through_the_cli_fall_back_when_a_relay_is_killed_and_a_blocked_file_is_refused()
    {
        using var dir = new TempDirectory();
        var (a, addressA) = await ServeAsync(dir.File("a"));
        await using var _a = a;
        var (b, addressB) = await ServeAsync(dir.File("b"));
        await using var _b = b;

        var input = dir.File("photo.bin");
        await File.WriteAllBytesAsync(input, RandomNumberGenerator.GetBytes(700_000));
        var send = await SxlProcess.RunAsync("files", "send", input, "--relay", addressA.ToString(), "--relay", addressB.ToString(), "--out", dir.Path);
        Assert.True(send.ExitCode == 0, send.AllOutput);
        var description = dir.File("photo.bin.recipient-1.json");
        Assert.True(File.Exists(description));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(description));
        var parsed = FileDescription.Parse(await File.ReadAllTextAsync(description));
        // Neither the file key nor any id or key of a replica reaches the terminal.
        Assert.DoesNotContain(parsed.Key, send.AllOutput, StringComparison.Ordinal);
        Assert.All(parsed.Chunks.SelectMany(c => c.Replicas), r => Assert.DoesNotContain(r.Id, send.AllOutput, StringComparison.Ordinal));

        await a.KillAsync();
        var output = dir.File("out.bin");
        var receive = await SxlProcess.RunAsync("files", "receive", description, "--out", output, "--no-ack");
        Assert.True(receive.ExitCode == 0, receive.AllOutput);
        Assert.Equal(await File.ReadAllBytesAsync(input), await File.ReadAllBytesAsync(output));
        Assert.DoesNotContain(parsed.Key, receive.AllOutput, StringComparison.Ordinal);

        // The operator of relay b blocks the first chunk (by the recipient id from an abuse report), while it serves.
        var block = await SxlProcess.RunAsync("files", "block", parsed.Chunks[0].Replicas[1].Id, "--data", dir.File("b"));
        Assert.True(block.ExitCode == 0, block.AllOutput);
        File.Delete(output);
        var refused = await SxlProcess.RunAsync("files", "receive", description, "--out", output);
        Assert.Equal(ExitCodes.Failed, refused.ExitCode);
        Assert.Contains("NoFile", refused.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(output));

        var unknown = await SxlProcess.RunAsync("files", "block", FileDescription.Text(FilesProtocol.NewId()), "--data", dir.File("b"));
        Assert.Equal(ExitCodes.Failed, unknown.ExitCode);
        var malformed = await SxlProcess.RunAsync("files", "block", "not-an-id", "--data", dir.File("b"));
        Assert.Equal(ExitCodes.Usage, malformed.ExitCode);
    }

    [Theory]
    [InlineData("files", "serve")]
    [InlineData("files", "send")]
    [InlineData("files", "receive")]
    [InlineData("files", "delete")]
    [InlineData("files", "block")]
    public async Task Every_files_command_has_help(string group, string command)
    {
        var help = await SxlProcess.RunAsync(group, command, "--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("Usage:", help.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_serve_options_are_usage_errors()
    {
        using var dir = new TempDirectory();
        var ttl = await SxlProcess.RunAsync("files", "serve", "--data", dir.Path, "--ttl", "soon");
        Assert.Equal(ExitCodes.Usage, ttl.ExitCode);
        var quota = await SxlProcess.RunAsync("files", "serve", "--data", dir.Path, "--quota-mib", "1");
        Assert.Equal(ExitCodes.Usage, quota.ExitCode);
        var plugin = await SxlProcess.RunAsync("files", "serve", "--data", dir.Path, "--metering", "no-such-plugin");
        Assert.Equal(ExitCodes.Usage, plugin.ExitCode);
    }

    [Theory]
    [InlineData("files.upload.before-commit", false)]
    [InlineData("files.upload.after-commit", true)]
    public async Task A_relay_killed_mid_upload_never_serves_a_half_chunk_and_keeps_a_durable_one(string crashAt, bool durable)
    {
        using var dir = new TempDirectory();
        var data = dir.File("relay");
        var (crashing, address) = await ServeAsync(data, environment: new Dictionary<string, string?> { ["SXL_CRASH_AT"] = crashAt });
        var bytes = RandomNumberGenerator.GetBytes(1024 * 1024);
        using var sender = RelayProtocol.NewKey();
        using var recipient = RelayProtocol.NewKey();
        ChunkIds ids;
        await using (crashing)
        {
            using var client = await FileRelayClient.ConnectAsync(address);
            ids = await client.RegisterAsync(sender, bytes.Length, SHA512.HashData(bytes), [RelayProtocol.PublicKeyBytes(recipient)]);
            var e = await Assert.ThrowsAsync<FileRelayException>(() => client.UploadAsync(ids.SenderId.Memory, sender, bytes));
            Assert.Equal(FileErrorCode.Unspecified, e.Code);
            await crashing.WaitForExitAsync(Startup);
            Assert.NotEqual(0, crashing.ExitCode);
        }

        var (restarted, again) = await ServeAsync(data, $"127.0.0.1:{address.Port}");
        await using (restarted)
        {
            Assert.Empty(Directory.EnumerateFiles(Path.Combine(data, "chunks", "tmp")));
            using var client = await FileRelayClient.ConnectAsync(again);
            if (durable)
            {
                Assert.Equal(bytes, await client.DownloadAsync(ids.RecipientIds[0].Memory, recipient));
            }
            else
            {
                Assert.Empty(Directory.EnumerateFiles(Path.Combine(data, "chunks")));
                var e = await Assert.ThrowsAsync<FileRelayException>(() => client.DownloadAsync(ids.RecipientIds[0].Memory, recipient));
                Assert.Equal(FileErrorCode.NoFile, e.Code);

                // The sender retries the upload after the restart, and then it is served.
                await client.UploadAsync(ids.SenderId.Memory, sender, bytes);
                Assert.Equal(bytes, await client.DownloadAsync(ids.RecipientIds[0].Memory, recipient));
            }
        }
    }
}
