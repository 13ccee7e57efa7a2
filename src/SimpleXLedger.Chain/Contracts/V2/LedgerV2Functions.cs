using System.Numerics;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Contracts;

namespace SimpleXLedger.Chain.Contracts.V2;

[Function("registerVendor")]
public class RegisterVendorV2Function : FunctionMessage
{
    [Parameter("address", "vendor", 1)] public string Vendor { get; set; } = "";
}

[Function("fundBatch")]
public class FundBatchV2Function : FunctionMessage
{
    [Parameter("bytes32", "batchId", 1)] public byte[] BatchId { get; set; } = new byte[32];
    [Parameter("bytes32", "root", 2)] public byte[] Root { get; set; } = new byte[32];
    [Parameter("uint64", "credits", 3)] public ulong Credits { get; set; }
}

[Function("depositBond")]
public class DepositBondV2Function : FunctionMessage
{
    [Parameter("uint256", "amount", 1)] public BigInteger Amount { get; set; }
}

[Function("withdrawBond")]
public class WithdrawBondV2Function : FunctionMessage
{
    [Parameter("uint256", "amount", 1)] public BigInteger Amount { get; set; }
}

[Function("withdraw")]
public class WithdrawOwedFunction : FunctionMessage;

[Function("post", "bytes32")]
public class PostEpochV2Function : FunctionMessage
{
    [Parameter("tuple", "p", 1)] public PostInputTuple Input { get; set; } = new();
}

[Function("claim")]
public class ClaimV2Function : FunctionMessage
{
    [Parameter("tuple", "h", 1)] public EpochHeaderTuple Header { get; set; } = new();
    [Parameter("uint32", "leafIndex", 2)] public uint LeafIndex { get; set; }
    [Parameter("bytes", "leaf", 3)] public byte[] Leaf { get; set; } = [];
    [Parameter("bytes32[]", "siblingHashes", 4)] public List<byte[]> SiblingHashes { get; set; } = [];
    [Parameter("uint128[]", "siblingSums", 5)] public List<BigInteger> SiblingSums { get; set; } = [];
}

[Function("prove", "uint64")]
public class ProveFunction : FunctionMessage
{
    [Parameter("bytes", "judgeCall", 1)] public byte[] JudgeCall { get; set; } = [];
}

/// <summary>Tree 0 is the token tree, 1 the payout tree; every position must be below its leaf count.</summary>
[Function("challengeData", "bytes32")]
public class ChallengeDataFunction : FunctionMessage
{
    [Parameter("tuple", "h", 1)] public EpochHeaderTuple Header { get; set; } = new();
    [Parameter("uint8", "tree", 2)] public byte Tree { get; set; }
    [Parameter("uint32[]", "positions", 3)] public List<uint> Positions { get; set; } = [];
}

[Function("answerData")]
public class AnswerDataFunction : FunctionMessage
{
    [Parameter("bytes32", "id", 1)] public byte[] Id { get; set; } = new byte[32];
    [Parameter("bytes", "judgeCall", 2)] public byte[] JudgeCall { get; set; } = [];
}

[Function("settleData")]
public class SettleDataFunction : FunctionMessage
{
    [Parameter("bytes32", "id", 1)] public byte[] Id { get; set; } = new byte[32];
    [Parameter("tuple", "h", 2)] public EpochHeaderTuple Header { get; set; } = new();
}

[Function("markLate")]
public class MarkLateFunction : FunctionMessage
{
    [Parameter("uint64", "epoch", 1)] public ulong Epoch { get; set; }
}

[Function("advanceFinality", "uint64")]
public class AdvanceFinalityFunction : FunctionMessage
{
    [Parameter("uint256", "maxSteps", 1)] public BigInteger MaxSteps { get; set; }
}

[Function("keyRegistry", "address")]
public class KeyRegistryAddressFunction : FunctionMessage;

[Function("isFinal", "bool")]
public class IsFinalFunction : FunctionMessage
{
    [Parameter("uint64", "epoch", 1)] public ulong Epoch { get; set; }
}

[Function("owed", "uint256")]
public class OwedFunction : FunctionMessage
{
    [Parameter("address", "account", 1)] public string Account { get; set; } = "";
}

[Function("bondOf", "uint256")]
public class BondOfV2Function : FunctionMessage
{
    [Parameter("address", "house", 1)] public string House { get; set; } = "";
}

[Function("invariants", typeof(InvariantsOutput))]
public class InvariantsFunction : FunctionMessage;

[FunctionOutput]
public class InvariantsOutput : IFunctionOutputDTO
{
    [Parameter("bool", "booksBalance", 1)] public bool BooksBalance { get; set; }
    [Parameter("bool", "covered", 2)] public bool Covered { get; set; }
    [Parameter("bool", "backed", 3)] public bool Backed { get; set; }
}

[Function("books", typeof(BooksOutput))]
public class BooksFunction : FunctionMessage;

[FunctionOutput]
public class BooksOutput : IFunctionOutputDTO
{
    [Parameter("tuple", "b", 1)] public BooksTuple Books { get; set; } = new();
}

public class BooksTuple
{
    [Parameter("uint256", "escrowReceived", 1)] public BigInteger EscrowReceived { get; set; }
    [Parameter("uint256", "slashedIn", 2)] public BigInteger SlashedIn { get; set; }
    [Parameter("uint256", "unallocated", 3)] public BigInteger Unallocated { get; set; }
    [Parameter("uint256", "allocatedUnclaimed", 4)] public BigInteger AllocatedUnclaimed { get; set; }
    [Parameter("uint256", "claimsPaid", 5)] public BigInteger ClaimsPaid { get; set; }
    [Parameter("uint256", "owedTotal", 6)] public BigInteger OwedTotal { get; set; }
    [Parameter("uint256", "withdrawn", 7)] public BigInteger Withdrawn { get; set; }
    [Parameter("uint256", "bondsHeld", 8)] public BigInteger BondsHeld { get; set; }
    [Parameter("uint256", "depositsHeld", 9)] public BigInteger DepositsHeld { get; set; }
    [Parameter("uint256", "bonusPool", 10)] public BigInteger BonusPool { get; set; }
    [Parameter("uint64", "creditsBacked", 11)] public ulong CreditsBacked { get; set; }
    [Parameter("uint64", "creditsFunded", 12)] public ulong CreditsFunded { get; set; }
    [Parameter("uint256", "balance", 13)] public BigInteger Balance { get; set; }
}

[Function("anchorKey", "uint256")]
public class AnchorKeyV2Function : FunctionMessage
{
    [Parameter("bytes", "spki", 1)] public byte[] Spki { get; set; } = [];
    [Parameter("string", "issuerName", 2)] public string IssuerName { get; set; } = "";
    [Parameter("uint40", "usableFrom", 3)] public ulong UsableFrom { get; set; }
    [Parameter("uint40", "issueUntil", 4)] public ulong IssueUntil { get; set; }
    [Parameter("uint40", "redeemUntil", 5)] public ulong RedeemUntil { get; set; }
}

[Function("anchorIssued")]
public class AnchorIssuedV2Function : FunctionMessage
{
    [Parameter("uint256", "keyIndex", 1)] public BigInteger KeyIndex { get; set; }
    [Parameter("uint64", "cumulative", 2)] public ulong Cumulative { get; set; }
}

[Function("keyWindows", typeof(KeyWindowsV2Output))]
public class KeyWindowsV2Function : FunctionMessage
{
    [Parameter("uint256", "keyIndex", 1)] public BigInteger KeyIndex { get; set; }
}

[FunctionOutput]
public class KeyWindowsV2Output : IFunctionOutputDTO
{
    [Parameter("uint64", "usableFrom", 1)] public ulong UsableFrom { get; set; }
    [Parameter("uint64", "issueUntil", 2)] public ulong IssueUntil { get; set; }
    [Parameter("uint64", "redeemUntil", 3)] public ulong RedeemUntil { get; set; }
    [Parameter("uint64", "revokedAt", 4)] public ulong RevokedAt { get; set; }
    [Parameter("uint64", "issued", 5)] public ulong Issued { get; set; }
    [Parameter("uint64", "counted", 6)] public ulong Counted { get; set; }
}

[Function("networkChallengeDigest", "bytes32")]
public class NetworkChallengeDigestFunction : FunctionMessage
{
    [Parameter("string", "issuerName", 1)] public string IssuerName { get; set; } = "";
}
