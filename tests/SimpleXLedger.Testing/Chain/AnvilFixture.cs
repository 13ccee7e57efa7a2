using SimpleXLedger.Chain.Devnet;
using Xunit;

namespace SimpleXLedger.Testing.Chain;

/// <summary>
/// One real Anvil node shared by every test of a test assembly's "anvil" collection (they run one after another;
/// each test deploys its own ledger on it). xunit wants the collection defined in the test assembly itself:
/// each declares <c>[CollectionDefinition(AnvilCollection.Name)] class AnvilCollection : ICollectionFixture&lt;AnvilFixture&gt;</c>.
/// </summary>
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
