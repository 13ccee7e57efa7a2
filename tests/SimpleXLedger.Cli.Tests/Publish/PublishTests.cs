using SimpleXLedger.Testing;
using SimpleXLedger.Tokens;

namespace SimpleXLedger.Cli.Tests.Publish;

/// <summary>
/// <c>dotnet publish</c> of the sxl program carries the metering plugins: the published relay finds
/// <c>plugins/&lt;id&gt;/</c> beside it, as a built one does. One publish for every plugin (it takes a while).
/// </summary>
public sealed class PublishTests
{
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromMinutes(15);
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task A_framework_dependent_publish_serves_a_relay_with_each_shipped_plugin()
    {
        using var publish = new TempDirectory("sxl-publish-");
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var project = Path.Combine(RepositoryPaths.Root, "src", "SimpleXLedger.Cli", "SimpleXLedger.Cli.csproj");
        await using (var dotnet = ChildProcess.Start("dotnet", ["publish", project, "-c", configuration, "-o", publish.Path, "-nologo"], workingDirectory: RepositoryPaths.Root))
        {
            Assert.True(await dotnet.WaitForExitAsync(PublishTimeout) == 0, dotnet.AllOutput);
            await dotnet.Exited;
        }

        foreach (var id in new[] { "none", "free", "tokens" })
        {
            Assert.True(Directory.Exists(Path.Combine(publish.Path, "plugins", id)), $"plugins/{id} is not in the published output");
        }

        var sxl = Path.Combine(publish.Path, "sxl.dll");
        await AssertServesAsync(sxl, "--metering", "free");

        var key = TokenPrivateKey.Generate();
        await AssertServesAsync(
            sxl, "--metering", "tokens", "--metering-setting", "issuerName=issuer.test",
            "--metering-setting", $"tokenKeys={key.PublicKey.ToBase64Url()}");
    }

    private static async Task AssertServesAsync(string sxl, params string[] metering)
    {
        using var data = new TempDirectory();
        await using var relay = ChildProcess.Start("dotnet", [sxl, "relay", "serve", "--listen", "127.0.0.1:0", "--data", data.Path, .. metering]);
        var address = await relay.WaitForLineAsync(l => l.StartsWith("sxl://", StringComparison.Ordinal), StartTimeout);
        Assert.Contains("@127.0.0.1:", address, StringComparison.Ordinal);
        Assert.False(relay.HasExited, relay.AllOutput);
    }
}
