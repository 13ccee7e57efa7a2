using System.Text.Json;

namespace SimpleXLedger.Chain.Contracts;

/// <summary>
/// A compiled contract (ABI and creation bytecode) embedded in this assembly by the build, which
/// compiles <c>contracts/src</c> with solc; nothing is read from disk at run time.
/// </summary>
public sealed record ContractArtifact(string Name, string Abi, string Bytecode, string DeployedBytecode)
{
    public static ContractArtifact Ledger { get; } = Load("SxlLedger");

    public static ContractArtifact KeyRegistry { get; } = Load("SxlKeyRegistry");

    public static ContractArtifact TestStablecoin { get; } = Load("TestStablecoin");

    /// <summary>Ledger v2 (docs/ledger-v2.md): escrow and settlement the chain can check; creates its <c>SxlKeyRegistryV2</c>.</summary>
    public static ContractArtifact LedgerV2 { get; } = Load("SxlLedgerV2");

    public static ContractArtifact KeyRegistryV2 { get; } = Load("SxlKeyRegistryV2");

    /// <summary>The stateless fraud-proof judge ledger v2 calls.</summary>
    public static ContractArtifact EpochJudge { get; } = Load("SxlEpochJudge");

    /// <summary>Tests only: exposes the contracts/src/crypto libraries (SHA-384, RSASSA-PSS, token type 2); never deployed by the ledger.</summary>
    internal static ContractArtifact TokenVerifierHarness { get; } = Load("TokenVerifierHarness");

    /// <summary>Runtime code size in bytes (EIP-170 caps it at 24,576 on production chains).</summary>
    public int RuntimeSize => (DeployedBytecode.Length - 2) / 2;

    private static ContractArtifact Load(string name)
    {
        var resource = $"SimpleXLedger.Chain.Contracts.{name}.json";
        using var stream = typeof(ContractArtifact).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"contract artifact {resource} is not embedded; build the Chain project");
        using var doc = JsonDocument.Parse(stream);
        var root = doc.RootElement;
        return new ContractArtifact(
            name,
            root.GetProperty("abi").GetRawText(),
            root.GetProperty("bytecode").GetString()!,
            root.GetProperty("deployedBytecode").GetString()!);
    }

    internal static IReadOnlyList<string> EmbeddedNames() =>
        typeof(ContractArtifact).Assembly.GetManifestResourceNames().Where(n => n.StartsWith("SimpleXLedger.Chain.Contracts.", StringComparison.Ordinal)).ToList();
}
