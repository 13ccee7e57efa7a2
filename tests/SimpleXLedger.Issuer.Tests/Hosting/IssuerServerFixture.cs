using SimpleXLedger.Testing.Hosts;

namespace SimpleXLedger.Issuer.Tests.Hosting;

/// <summary>One shared server for a test class (cards are per test, so tests do not interfere).</summary>
public sealed class IssuerServerFixture : IAsyncLifetime
{
    public IssuerServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await IssuerServer.StartAsync(key: () => SharedKeys.Get(1));

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
