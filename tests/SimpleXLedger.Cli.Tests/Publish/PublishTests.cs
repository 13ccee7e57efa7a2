using SimpleXLedger.Testing;
using SimpleXLedger.Tokens;

namespace SimpleXLedger.Cli.Tests.Publish;

/// <summary>
/// <c>dotnet publish</c> of the sxl program carries the metering plugins: the published relay finds
/// <c>plugins/&lt;id&gt;/</c> beside it, as a built one does. One publish for every plugin (it takes a while).
/// </summary>
[Collection(PublishCollection.Name)]
public sealed class PublishTests
{
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromMinutes(15);
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task A_framework_dependent_publish_serves_a_relay_with_each_shipped_plugin()
    {
        using var publish = new TempDirectory("sxl-publish-");
        await PublishAsync(publish.Path);
        var sxl = Path.Combine(publish.Path, "sxl.dll");
        await AssertServesAsync("dotnet", [sxl], "--metering", "free");
        await AssertServesAsync("dotnet", [sxl], TokensMetering());
    }

    /// <summary><c>dotnet publish</c> of the sxl program into <paramref name="output"/> (with <paramref name="extra"/> arguments), checking the plugins came along.</summary>
    internal static async Task PublishAsync(string output, params string[] extra)
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var project = Path.Combine(RepositoryPaths.Root, "src", "SimpleXLedger.Cli", "SimpleXLedger.Cli.csproj");
        await using (var dotnet = ChildProcess.Start("dotnet", ["publish", project, "-c", configuration, "-o", output, "-nologo", .. extra], workingDirectory: RepositoryPaths.Root))
        {
            Assert.True(await dotnet.WaitForExitAsync(PublishTimeout) == 0, dotnet.AllOutput);
            await dotnet.Exited;
        }

        foreach (var id in new[] { "none", "free", "tokens" })
        {
            Assert.True(Directory.Exists(Path.Combine(output, "plugins", id)), $"plugins/{id} is not in the published output");
        }
    }

    /// <summary>The token metering plugin's settings, with a fresh token key.</summary>
    internal static string[] TokensMetering() =>
        ["--metering", "tokens", "--metering-setting", "issuerName=issuer.test", "--metering-setting", $"tokenKeys={TokenPrivateKey.Generate().PublicKey.ToBase64Url()}"];

    /// <summary>Starts <c>relay serve</c> through <paramref name="program"/> and waits until it prints its address and still runs.</summary>
    internal static async Task AssertServesAsync(string program, string[] prefix, params string[] metering)
    {
        using var data = new TempDirectory();
        await using var relay = ChildProcess.Start(program, [.. prefix, "relay", "serve", "--listen", "127.0.0.1:0", "--data", data.Path, .. metering]);
        var address = await relay.WaitForLineAsync(l => l.StartsWith("sxl://", StringComparison.Ordinal), StartTimeout);
        Assert.Contains("@127.0.0.1:", address, StringComparison.Ordinal);
        Assert.False(relay.HasExited, relay.AllOutput);
    }
}

/// <summary>
/// The publish tests run one at a time: each publish restores the sxl project (with or without a runtime identifier),
/// and a restore beside another publish of the same project breaks it (NETSDK1047).
/// </summary>
[CollectionDefinition(Name)]
public sealed class PublishCollection
{
    public const string Name = "dotnet publish";
}
