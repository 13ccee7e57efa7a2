namespace SimpleXLedger.Devnet.Tests.EndToEnd;

/// <summary>
/// The tests that start a whole devnet (Anvil and four services each) run one after another, not side by side:
/// on a two-core machine several devnets at once only slow each other down towards their timeouts.
/// </summary>
[CollectionDefinition(Name)]
public sealed class DevnetProcessesCollection
{
    public const string Name = "whole devnets";
}
