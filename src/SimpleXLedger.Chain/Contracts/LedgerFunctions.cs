using System.Numerics;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Contracts;

namespace SimpleXLedger.Chain.Contracts;

// The ledger's state-changing functions, one message each (SxlLedger.sol).

[Function("proposeRoleChange")]
public class ProposeRoleChangeFunction : FunctionMessage
{
    [Parameter("uint8", "role", 1)] public byte Role { get; set; }
    [Parameter("address", "account", 2)] public string Account { get; set; } = "";
}

[Function("cancelRoleChange")]
public class CancelRoleChangeFunction : FunctionMessage
{
    [Parameter("uint8", "role", 1)] public byte Role { get; set; }
}

[Function("executeRoleChange")]
public class ExecuteRoleChangeFunction : FunctionMessage
{
    [Parameter("uint8", "role", 1)] public byte Role { get; set; }
}

[Function("registerVendor")]
public class RegisterVendorFunction : FunctionMessage
{
    [Parameter("address", "vendor", 1)] public string Vendor { get; set; } = "";
}

[Function("removeVendor")]
public class RemoveVendorFunction : FunctionMessage
{
    [Parameter("address", "vendor", 1)] public string Vendor { get; set; } = "";
}

[Function("pause")]
public class PauseFunction : FunctionMessage;

[Function("unpause")]
public class UnpauseFunction : FunctionMessage;

[Function("fundBatch")]
public class FundBatchFunction : FunctionMessage
{
    [Parameter("bytes32", "batchId", 1)] public byte[] BatchId { get; set; } = [];
    [Parameter("bytes32", "root", 2)] public byte[] Root { get; set; } = [];
    [Parameter("uint64", "credits", 3)] public ulong Credits { get; set; }
}

[Function("buyCard")]
public class BuyCardFunction : FunctionMessage
{
    [Parameter("bytes32", "cardHash", 1)] public byte[] CardHash { get; set; } = [];
    [Parameter("uint64", "credits", 2)] public ulong Credits { get; set; }
    [Parameter("address", "vendor", 3)] public string Vendor { get; set; } = "";
}

[Function("withdrawVendorBalance")]
public class WithdrawVendorBalanceFunction : FunctionMessage;

/// <summary>Called only by the key registry; listed so every function has its message.</summary>
[Function("recordIssued", "uint64")]
public class RecordIssuedFunction : FunctionMessage
{
    [Parameter("uint64", "added", 1)] public ulong Added { get; set; }
}

[Function("depositBond")]
public class DepositBondFunction : FunctionMessage
{
    [Parameter("uint256", "amount", 1)] public BigInteger Amount { get; set; }
}

[Function("withdrawBond")]
public class WithdrawBondFunction : FunctionMessage
{
    [Parameter("uint256", "amount", 1)] public BigInteger Amount { get; set; }
}

[Function("postEpoch")]
public class PostEpochFunction : FunctionMessage
{
    [Parameter("uint64", "epoch", 1)] public ulong Epoch { get; set; }
    [Parameter("bytes32", "root", 2)] public byte[] Root { get; set; } = [];
    [Parameter("uint256", "total", 3)] public BigInteger Total { get; set; }
    [Parameter("uint256", "operatorTotal", 4)] public BigInteger OperatorTotal { get; set; }
    [Parameter("bytes32", "leavesHash", 5)] public byte[] LeavesHash { get; set; } = [];
}

[Function("claim")]
public class ClaimFunction : FunctionMessage
{
    [Parameter("uint64", "epoch", 1)] public ulong Epoch { get; set; }
    [Parameter("address", "payee", 2)] public string Payee { get; set; } = "";
    [Parameter("uint256", "amount", 3)] public BigInteger Amount { get; set; }
    [Parameter("bytes32[]", "proof", 4)] public List<byte[]> Proof { get; set; } = [];
}

[Function("disputeUnderpaid")]
public class DisputeUnderpaidFunction : FunctionMessage
{
    [Parameter("uint64", "epoch", 1)] public ulong Epoch { get; set; }
    [Parameter("uint64", "acceptedInEpoch", 2)] public ulong AcceptedInEpoch { get; set; }
    [Parameter("bytes32", "batchId", 3)] public byte[] BatchId { get; set; } = [];
    [Parameter("bytes", "signature", 4)] public byte[] Signature { get; set; } = [];
    [Parameter("uint256", "leafAmount", 5)] public BigInteger LeafAmount { get; set; }
    [Parameter("bytes32[]", "proof", 6)] public List<byte[]> Proof { get; set; } = [];
}

[Function("disputeMissing")]
public class DisputeMissingFunction : FunctionMessage
{
    [Parameter("uint64", "epoch", 1)] public ulong Epoch { get; set; }
    [Parameter("uint64", "acceptedInEpoch", 2)] public ulong AcceptedInEpoch { get; set; }
    [Parameter("bytes32", "batchId", 3)] public byte[] BatchId { get; set; } = [];
    [Parameter("bytes", "signature", 4)] public byte[] Signature { get; set; } = [];
}

[Function("answerDispute")]
public class AnswerDisputeFunction : FunctionMessage
{
    [Parameter("uint64", "epoch", 1)] public ulong Epoch { get; set; }
    [Parameter("address", "payee", 2)] public string Payee { get; set; } = "";
    [Parameter("uint256", "leafAmount", 3)] public BigInteger LeafAmount { get; set; }
    [Parameter("bytes32[]", "proof", 4)] public List<byte[]> Proof { get; set; } = [];
}

[Function("settleDispute")]
public class SettleDisputeFunction : FunctionMessage
{
    [Parameter("uint64", "epoch", 1)] public ulong Epoch { get; set; }
    [Parameter("address", "payee", 2)] public string Payee { get; set; } = "";
}

[Function("claimLate")]
public class ClaimLateFunction : FunctionMessage
{
    [Parameter("uint64", "epoch", 1)] public ulong Epoch { get; set; }
    [Parameter("uint64", "acceptedInEpoch", 2)] public ulong AcceptedInEpoch { get; set; }
    [Parameter("bytes32", "batchId", 3)] public byte[] BatchId { get; set; } = [];
    [Parameter("bytes", "signature", 4)] public byte[] Signature { get; set; } = [];
}
