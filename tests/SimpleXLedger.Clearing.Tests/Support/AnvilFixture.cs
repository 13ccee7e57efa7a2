using SimpleXLedger.Chain.Devnet;

namespace SimpleXLedger.Clearing.Tests.Support;

/// <summary>One real Anvil node shared by the "anvil" collection; each test deploys its own ledger on it.</summary>
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
