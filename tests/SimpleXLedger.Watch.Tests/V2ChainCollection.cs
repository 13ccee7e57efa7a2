using SimpleXLedger.Testing.LedgerV2;

namespace SimpleXLedger.Watch.Tests;

[CollectionDefinition(Name)]
public sealed class V2ChainCollection : ICollectionFixture<V2Chain>
{
    public const string Name = "ledger-v2";
}
