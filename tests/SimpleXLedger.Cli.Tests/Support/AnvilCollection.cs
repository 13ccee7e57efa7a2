using SimpleXLedger.Testing.Chain;

namespace SimpleXLedger.Cli.Tests.Support;

/// <summary>The tests that share one Anvil node (<see cref="AnvilFixture"/>), one after another.</summary>
[CollectionDefinition(Name)]
public sealed class AnvilCollection : ICollectionFixture<AnvilFixture>
{
    public const string Name = "anvil";
}
