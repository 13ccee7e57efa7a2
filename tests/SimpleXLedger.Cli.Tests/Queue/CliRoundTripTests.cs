using SimpleXLedger.Testing;

namespace SimpleXLedger.Cli.Tests.Queue;

/// <summary>The sxl commands as two people at two terminals would use them, against a real relay process.</summary>
public sealed class CliRoundTripTests
{
    private static async Task<(int ExitCode, string Stdout, string Stderr)> SxlAsync(params string[] args)
    {
        var run = await SxlProcess.RunAsync(args);
        return (run.ExitCode, run.Stdout, run.Stderr);
    }

    [Fact]
    public async Task Create_send_receive_and_ack_through_the_cli()
    {
        using var dir = new TempDirectory();
        await using var relay = SxlProcess.Start(["relay", "serve", "--data", Path.Combine(dir.Path, "relay"), "--listen", "127.0.0.1:0", "--metering", "free"]);
        var address = await relay.WaitForLineAsync(l => l.Length > 0, TimeSpan.FromSeconds(60));
        Assert.StartsWith("sxl://", address, StringComparison.Ordinal);

        var queueFile = Path.Combine(dir.Path, "queue.json");
        var create = await SxlAsync("queue", "create", "--relay", address, "--out", queueFile);
        Assert.Equal(0, create.ExitCode);
        var link = create.Stdout.Trim();
        Assert.StartsWith(address + "/send/", link, StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(queueFile));
        }
        Assert.Equal(2, (await SxlAsync("queue", "create", "--relay", address, "--out", queueFile)).ExitCode); // never overwritten

        Assert.Equal(0, (await SxlAsync("queue", "send", "--link", link, "--message", "hello from the cli")).ExitCode);
        Assert.Equal(0, (await SxlAsync("queue", "send", "--link", link, "--message", "second line")).ExitCode);

        var peek = await SxlAsync("queue", "receive", "--queue", queueFile);
        Assert.Equal("hello from the cli", peek.Stdout.Trim());
        var all = await SxlAsync("queue", "receive", "--queue", queueFile, "--ack");
        Assert.Equal(["hello from the cli", "second line"], all.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(string.Empty, (await SxlAsync("queue", "receive", "--queue", queueFile, "--ack")).Stdout.Trim());

        // A relay whose certificate is not the one in the address is refused with a clear error.
        var wrong = "sxl://" + new string('A', 43) + address[(address.IndexOf('@', StringComparison.Ordinal))..];
        var refused = await SxlAsync("queue", "create", "--relay", wrong, "--out", Path.Combine(dir.Path, "other.json"));
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("does not match the fingerprint", refused.Stderr, StringComparison.Ordinal);

        Assert.Equal(2, (await SxlAsync("relay", "serve", "--data", dir.Path, "--rpc", "http://127.0.0.1:1", "--ledger", "0x01")).ExitCode);
    }
}
