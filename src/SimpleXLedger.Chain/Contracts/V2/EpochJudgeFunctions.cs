using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Contracts;

namespace SimpleXLedger.Chain.Contracts.V2;

// The judge's proof functions (contracts/src/v2/SxlEpochJudge.sol). Their call data is what
// SxlLedgerV2.prove(judgeCall) takes: build one of these and pass GetCallData().

[Function("invalidToken")]
public class InvalidTokenProof : FunctionMessage
{
    [Parameter("tuple", "h", 1)] public EpochHeaderTuple Header { get; set; } = new();
    [Parameter("tuple", "t", 2)] public TokenEvidenceTuple Token { get; set; } = new();
}

[Function("undeclared")]
public class UndeclaredProof : FunctionMessage
{
    [Parameter("tuple", "h", 1)] public EpochHeaderTuple Header { get; set; } = new();
    [Parameter("tuple", "t", 2)] public TokenEvidenceTuple Token { get; set; } = new();
}

[Function("conflict")]
public class ConflictProof : FunctionMessage
{
    [Parameter("tuple", "h", 1)] public EpochHeaderTuple Header { get; set; } = new();
    [Parameter("tuple", "a", 2)] public TokenEvidenceTuple A { get; set; } = new();
    [Parameter("tuple", "b", 3)] public TokenEvidenceTuple B { get; set; } = new();
}

[Function("duplicateAcross")]
public class DuplicateAcrossProof : FunctionMessage
{
    [Parameter("tuple", "h", 1)] public EpochHeaderTuple Header { get; set; } = new();
    [Parameter("tuple", "a", 2)] public TokenEvidenceTuple A { get; set; } = new();
    [Parameter("tuple", "other", 3)] public EpochHeaderTuple Other { get; set; } = new();
    [Parameter("tuple", "b", 4)] public TokenEvidenceTuple B { get; set; } = new();
}

[Function("order")]
public class OrderProof : FunctionMessage
{
    [Parameter("tuple", "h", 1)] public EpochHeaderTuple Header { get; set; } = new();
    [Parameter("tuple", "a", 2)] public TokenEvidenceTuple A { get; set; } = new();
    [Parameter("tuple", "b", 3)] public TokenEvidenceTuple B { get; set; } = new();
}

[Function("kindRange")]
public class KindRangeProof : FunctionMessage
{
    [Parameter("tuple", "h", 1)] public EpochHeaderTuple Header { get; set; } = new();
    [Parameter("tuple", "t", 2)] public TokenEvidenceTuple Token { get; set; } = new();
}

[Function("payoutLeaf")]
public class PayoutLeafProof : FunctionMessage
{
    [Parameter("tuple", "h", 1)] public EpochHeaderTuple Header { get; set; } = new();
    [Parameter("tuple", "p", 2)] public PayoutEvidenceTuple Payout { get; set; } = new();
}

[Function("tiling")]
public class TilingProof : FunctionMessage
{
    [Parameter("tuple", "h", 1)] public EpochHeaderTuple Header { get; set; } = new();
    [Parameter("tuple", "a", 2)] public PayoutEvidenceTuple A { get; set; } = new();
    [Parameter("tuple", "b", 3)] public PayoutEvidenceTuple B { get; set; } = new();
}

[Function("rangePayee")]
public class RangePayeeProof : FunctionMessage
{
    [Parameter("tuple", "h", 1)] public EpochHeaderTuple Header { get; set; } = new();
    [Parameter("tuple", "p", 2)] public PayoutEvidenceTuple Payout { get; set; } = new();
    [Parameter("tuple", "t", 3)] public TokenEvidenceTuple Token { get; set; } = new();
}

[Function("sumChild")]
public class SumChildProof : FunctionMessage
{
    [Parameter("tuple", "h", 1)] public EpochHeaderTuple Header { get; set; } = new();
    [Parameter("tuple", "s", 2)] public SumEvidenceTuple Sum { get; set; } = new();
}

[Function("rootSum")]
public class RootSumProof : FunctionMessage
{
    [Parameter("tuple", "h", 1)] public EpochHeaderTuple Header { get; set; } = new();
    [Parameter("bytes", "rootPreimage", 2)] public byte[] RootPreimage { get; set; } = [];
}

[Function("answerTokens")]
public class AnswerTokensCall : FunctionMessage
{
    [Parameter("tuple", "h", 1)] public EpochHeaderTuple Header { get; set; } = new();
    [Parameter("tuple[]", "leaves", 2)] public List<TokenEvidenceTuple> Leaves { get; set; } = [];
}

[Function("answerPayouts")]
public class AnswerPayoutsCall : FunctionMessage
{
    [Parameter("tuple", "h", 1)] public EpochHeaderTuple Header { get; set; } = new();
    [Parameter("tuple[]", "leaves", 2)] public List<PayoutEvidenceTuple> Leaves { get; set; } = [];
}
