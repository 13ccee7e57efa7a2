using SimpleXLedger.Testing;

namespace SimpleXLedger.Cli.Tests.Publish;

/// <summary>One self-contained publish (<c>-r linux-x64 --self-contained</c>) shared by the tests of <see cref="SelfContainedPublishTests"/>.</summary>
public sealed class SelfContainedPublish : IAsyncLifetime
{
    private readonly TempDirectory _directory = new("sxl-publish-sc-");

    public string Path => _directory.Path;

    /// <summary>The published native program (the apphost), run without <c>dotnet</c>.</summary>
    public string Sxl => System.IO.Path.Combine(_directory.Path, "sxl");

    public Task InitializeAsync() => PublishTests.PublishAsync(_directory.Path, "-r", "linux-x64", "--self-contained");

    public Task DisposeAsync()
    {
        _directory.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>
/// A self-contained publish carries the runtime and the metering plugins: its own <c>sxl</c>, started with no
/// <c>dotnet</c> in front of it, serves a relay with each shipped plugin.
/// </summary>
[Collection(PublishCollection.Name)]
public sealed class SelfContainedPublishTests(SelfContainedPublish publish) : IClassFixture<SelfContainedPublish>
{
    [Fact]
    public void The_self_contained_publish_carries_the_runtime()
    {
        Assert.True(File.Exists(publish.Sxl), "no sxl program in the published output");
        Assert.True(File.Exists(Path.Combine(publish.Path, "libcoreclr.so")), "the runtime is not in the published output");
        Assert.True(File.Exists(Path.Combine(publish.Path, "Microsoft.AspNetCore.Server.Kestrel.Core.dll")), "ASP.NET Core is not in the published output");
    }

    [Fact]
    public async Task A_self_contained_publish_serves_a_relay_with_token_metering() =>
        await PublishTests.AssertServesAsync(publish.Sxl, [], PublishTests.TokensMetering());

    [Fact]
    public async Task A_self_contained_publish_serves_a_relay_with_free_and_no_metering()
    {
        await PublishTests.AssertServesAsync(publish.Sxl, [], "--metering", "free");
        await PublishTests.AssertServesAsync(publish.Sxl, [], "--metering", "none");
    }
}
