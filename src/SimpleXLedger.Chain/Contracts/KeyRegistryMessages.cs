using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Contracts;

namespace SimpleXLedger.Chain.Contracts;

// The key registry's functions (SxlKeyRegistry.sol), at the address the ledger's keyRegistry() names.

[Function("anchorKey")]
public class AnchorKeyFunction : FunctionMessage
{
    [Parameter("bytes32", "keyId", 1)] public byte[] KeyId { get; set; } = [];
    [Parameter("bytes", "spki", 2)] public byte[] Spki { get; set; } = [];
    [Parameter("uint64", "usableFrom", 3)] public ulong UsableFrom { get; set; }
    [Parameter("uint64", "issueUntil", 4)] public ulong IssueUntil { get; set; }
    [Parameter("uint64", "redeemUntil", 5)] public ulong RedeemUntil { get; set; }
}

[Function("revokeKey")]
public class RevokeKeyFunction : FunctionMessage
{
    [Parameter("bytes32", "keyId", 1)] public byte[] KeyId { get; set; } = [];
}

[Function("anchorIssued")]
public class AnchorIssuedFunction : FunctionMessage
{
    [Parameter("bytes32", "keyId", 1)] public byte[] KeyId { get; set; } = [];
    [Parameter("uint64", "cumulative", 2)] public ulong Cumulative { get; set; }
}

[Function("ledger", "address")] public class RegistryLedgerFunction : FunctionMessage;
[Function("minKeyDelay", "uint64")] public class MinKeyDelayFunction : FunctionMessage;
[Function("minIssueWindow", "uint64")] public class MinIssueWindowFunction : FunctionMessage;
[Function("minRedeemWindow", "uint64")] public class MinRedeemWindowFunction : FunctionMessage;
[Function("keyCount", "uint256")] public class KeyCountFunction : FunctionMessage;

[Function("keyIdAt", "bytes32")]
public class KeyIdAtFunction : FunctionMessage
{
    [Parameter("uint256", "index", 1)] public System.Numerics.BigInteger Index { get; set; }
}

[Function("keySpki", "bytes")]
public class KeySpkiFunction : FunctionMessage
{
    [Parameter("bytes32", "keyId", 1)] public byte[] KeyId { get; set; } = [];
}

[Function("currentIssuingKey", typeof(CurrentIssuingKeyOutput))]
public class CurrentIssuingKeyFunction : FunctionMessage;

[FunctionOutput]
public class CurrentIssuingKeyOutput : IFunctionOutputDTO
{
    [Parameter("bytes32", "keyId", 1)] public byte[] KeyId { get; set; } = [];
    [Parameter("uint64", "usableFrom", 2)] public ulong UsableFrom { get; set; }
    [Parameter("uint64", "issueUntil", 3)] public ulong IssueUntil { get; set; }
    [Parameter("uint64", "redeemUntil", 4)] public ulong RedeemUntil { get; set; }
    [Parameter("bytes", "spki", 5)] public byte[] Spki { get; set; } = [];
}

[Function("keyWindows", typeof(KeyWindowsOutput))]
public class KeyWindowsFunction : FunctionMessage
{
    [Parameter("bytes32", "keyId", 1)] public byte[] KeyId { get; set; } = [];
}

[FunctionOutput]
public class KeyWindowsOutput : IFunctionOutputDTO
{
    [Parameter("uint64", "usableFrom", 1)] public ulong UsableFrom { get; set; }
    [Parameter("uint64", "issueUntil", 2)] public ulong IssueUntil { get; set; }
    [Parameter("uint64", "redeemUntil", 3)] public ulong RedeemUntil { get; set; }
    [Parameter("uint64", "revokedAt", 4)] public ulong RevokedAt { get; set; }
    [Parameter("uint64", "anchoredAt", 5)] public ulong AnchoredAt { get; set; }
    [Parameter("uint64", "issued", 6)] public ulong Issued { get; set; }
}
