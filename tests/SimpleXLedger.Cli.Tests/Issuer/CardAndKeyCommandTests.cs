using SimpleXLedger.Cards;
using SimpleXLedger.Testing;

namespace SimpleXLedger.Cli.Tests.Issuer;

public sealed class CardAndKeyCommandTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("sxl-issuer-cli-");

    public void Dispose() => _root.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_root.FullName, name);

    [Fact]
    public async Task A_vendor_batch_is_generated_owner_only_and_imported_once()
    {
        var generated = await SxlProcess.RunAsync("vendor", "cards", "generate", "--vendor", "vendor-7", "--value", "200", "--count", "4", "--out", PathOf("vendor"));
        Assert.True(generated.ExitCode == 0, generated.Stderr);

        var codesFile = Directory.GetFiles(PathOf("vendor"), "*.codes.txt").Single();
        var batchFile = Directory.GetFiles(PathOf("vendor"), "*.batch.json").Single();
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(codesFile));
        var codes = (await File.ReadAllLinesAsync(codesFile)).Select(CardCode.Parse).ToList();
        var batch = CardBatchFile.Read(batchFile);
        Assert.Equal(codes.Select(c => c.ComputeHash()), batch.Cards.Select(c => c.Hash));
        Assert.All(batch.Cards, c => Assert.Equal(200UL, c.Credits));
        Assert.Equal("vendor-7", batch.Vendor);
        Assert.DoesNotContain(codes[0].Reveal(), string.Join('\n', generated.StdoutLines), StringComparison.Ordinal);

        var imported = await SxlProcess.RunAsync("issuer", "cards", "import", "--data", PathOf("issuer"), "--batch", batchFile);
        Assert.True(imported.ExitCode == 0, imported.Stderr);
        Assert.Contains("4 cards, 800 credits, active", Assert.Single(imported.StdoutLines), StringComparison.Ordinal);

        var again = await SxlProcess.RunAsync("issuer", "cards", "import", "--data", PathOf("issuer"), "--batch", batchFile);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("already imported", again.Stderr, StringComparison.Ordinal);
        Assert.Empty(again.StdoutLines);
    }

    [Fact]
    public async Task Values_off_the_step_are_a_usage_error()
    {
        var result = await SxlProcess.RunAsync("vendor", "cards", "generate", "--vendor", "v", "--value", "150", "--count", "1", "--out", PathOf("v"));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("multiple of 100", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cards_create_prints_codes_and_nothing_else_on_stdout()
    {
        var result = await SxlProcess.RunAsync("issuer", "cards", "create", "--data", PathOf("issuer"), "--vendor", "dev", "--value", "25", "--count", "3");

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal(3, result.StdoutLines.Count);
        Assert.All(result.StdoutLines, line => Assert.True(CardCode.TryParse(line, out _, out _), "not a card code on stdout"));
        Assert.Equal(3, result.StdoutLines.Distinct().Count());
        Assert.Contains("created batch", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keys_rotate_prepares_the_first_and_next_key_and_list_shows_them()
    {
        var data = PathOf("issuer");
        var first = await SxlProcess.RunAsync("issuer", "keys", "rotate", "--data", data);
        var second = await SxlProcess.RunAsync("issuer", "keys", "rotate", "--data", data);
        var third = await SxlProcess.RunAsync("issuer", "keys", "rotate", "--data", data);
        var list = await SxlProcess.RunAsync("issuer", "keys", "list", "--data", data);

        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.StartsWith("prepared key 0x", Assert.Single(first.StdoutLines), StringComparison.Ordinal);
        Assert.StartsWith("prepared key 0x", Assert.Single(second.StdoutLines), StringComparison.Ordinal);
        Assert.Contains("already prepared", Assert.Single(third.StdoutLines), StringComparison.Ordinal);
        var table = string.Join('\n', list.StdoutLines);
        Assert.Contains("Issuing", table, StringComparison.Ordinal);
        Assert.Contains("Upcoming", table, StringComparison.Ordinal);
        Assert.Equal(2, Directory.GetFiles(Path.Combine(data, "keys"), "*.pem").Length);
    }

    [Fact]
    public async Task Serve_refuses_short_windows_without_devnet_and_half_a_ledger_configuration()
    {
        var shortWindows = await SxlProcess.RunAsync("issuer", "serve", "--data", PathOf("a"), "--name", "i.test", "--http", "127.0.0.1:1", "--grpc", "127.0.0.1:2", "--issue-window", "60s", "--rotate-ahead", "10s", "--usable-delay", "5s", "--redeem-window", "120s");
        Assert.Equal(1, shortWindows.ExitCode);
        Assert.Contains("--devnet", shortWindows.Stderr, StringComparison.Ordinal);

        var halfLedger = await SxlProcess.RunAsync("issuer", "serve", "--data", PathOf("b"), "--name", "i.test", "--http", "127.0.0.1:1", "--grpc", "127.0.0.1:2", "--rpc", "http://127.0.0.1:8545");
        Assert.Equal(2, halfLedger.ExitCode);
        Assert.Contains("--ledger", halfLedger.Stderr, StringComparison.Ordinal);
    }
}
