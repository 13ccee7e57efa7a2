using SimpleXLedger.Chain.Devnet;
using Xunit;

namespace SimpleXLedger.Testing.LedgerV2;

/// <summary>
/// One Anvil for the ledger v2 tests, under Osaka with EIP-7825's per-transaction gas cap enforced (the
/// chain the gas budgets of docs/ledger-v2.md §11 are stated for). Each test deploys its own ledger on it.
/// </summary>
public sealed class V2Chain : IAsyncLifetime
{
    private AnvilNode? _node;

    public string RpcUrl => (_node ?? throw new InvalidOperationException("anvil is not started")).RpcUrl;

    public async Task InitializeAsync() =>
        _node = await AnvilNode.StartAsync(new AnvilOptions { ExtraArguments = ["--hardfork", "osaka", "--enable-tx-gas-limit"] });

    public async Task DisposeAsync()
    {
        if (_node is not null)
        {
            await _node.DisposeAsync();
        }
    }
}
