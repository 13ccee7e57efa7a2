using SimpleXLedger.Chain.Devnet;

namespace SimpleXLedger.Chain.Tests.Fixtures;

/// <summary>One real Anvil node shared by every test of the "anvil" collection (they run one after another).</summary>
public sealed class AnvilFixture : IAsyncLifetime
{
    private AnvilNode? _node;

    public AnvilNode Node => _node ?? throw new InvalidOperationException("anvil is not started");

    public string RpcUrl => Node.RpcUrl;

    public async Task InitializeAsync() => _node = await AnvilNode.StartAsync();

    public async Task DisposeAsync()
    {
        if (_node is not null)
        {
            await _node.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class AnvilCollection : ICollectionFixture<AnvilFixture>
{
    public const string Name = "anvil";
}
