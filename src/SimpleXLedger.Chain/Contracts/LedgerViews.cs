using System.Numerics;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Contracts;

namespace SimpleXLedger.Chain.Contracts;

// The ledger's views and their outputs (SxlLedger.sol). Single-value getters return their value
// directly through QueryAsync<T>; multi-value ones have an output DTO.

[Function("token", "address")] public class TokenFunction : FunctionMessage;
[Function("keyRegistry", "address")] public class KeyRegistryFunction : FunctionMessage;
[Function("creditPrice", "uint256")] public class CreditPriceFunction : FunctionMessage;
[Function("vendorShareBps", "uint16")] public class VendorShareBpsFunction : FunctionMessage;
[Function("feeBps", "uint16")] public class FeeBpsFunction : FunctionMessage;
[Function("feeRecipient", "address")] public class FeeRecipientFunction : FunctionMessage;
[Function("operatorRate", "uint256")] public class OperatorRateFunction : FunctionMessage;
[Function("disputeWindow", "uint64")] public class DisputeWindowFunction : FunctionMessage;
[Function("answerWindow", "uint64")] public class AnswerWindowFunction : FunctionMessage;
[Function("postDeadline", "uint64")] public class PostDeadlineFunction : FunctionMessage;
[Function("minBond", "uint256")] public class MinBondFunction : FunctionMessage;
[Function("disputeDeposit", "uint256")] public class DisputeDepositFunction : FunctionMessage;
[Function("disputePenalty", "uint256")] public class DisputePenaltyFunction : FunctionMessage;
[Function("roleChangeDelay", "uint64")] public class RoleChangeDelayFunction : FunctionMessage;
[Function("maxPause", "uint64")] public class MaxPauseFunction : FunctionMessage;
[Function("pauseCooldown", "uint64")] public class PauseCooldownFunction : FunctionMessage;
[Function("governance", "address")] public class GovernanceFunction : FunctionMessage;
[Function("issuer", "address")] public class IssuerFunction : FunctionMessage;
[Function("clearingHouse", "address")] public class ClearingHouseFunction : FunctionMessage;
[Function("creditsFunded", "uint64")] public class CreditsFundedFunction : FunctionMessage;
[Function("totalIssued", "uint64")] public class TotalIssuedFunction : FunctionMessage;
[Function("cumulativeOperatorPosted", "uint128")] public class CumulativeOperatorPostedFunction : FunctionMessage;
[Function("cumulativeFeePosted", "uint128")] public class CumulativeFeePostedFunction : FunctionMessage;
[Function("nextEpoch", "uint64")] public class NextEpochFunction : FunctionMessage;
[Function("lastPostAt", "uint64")] public class LastPostAtFunction : FunctionMessage;
[Function("isPaused", "bool")] public class IsPausedFunction : FunctionMessage;
[Function("activeTime", "uint64")] public class ActiveTimeFunction : FunctionMessage;
[Function("invariantHolds", "bool")] public class InvariantHoldsFunction : FunctionMessage;
[Function("RECEIPT_TYPEHASH", "bytes32")] public class ReceiptTypehashFunction : FunctionMessage;
[Function("FIRST_EPOCH", "uint64")] public class FirstEpochFunction : FunctionMessage;
[Function("clearingHouses", "address[]")] public class ClearingHousesFunction : FunctionMessage;

[Function("bondOf", "uint256")]
public class BondOfFunction : FunctionMessage
{
    [Parameter("address", "", 1)] public string Account { get; set; } = "";
}

[Function("bondUnlockAt", "uint64")]
public class BondUnlockAtFunction : FunctionMessage
{
    [Parameter("address", "", 1)] public string Account { get; set; } = "";
}

[Function("openDisputesAgainst", "uint32")]
public class OpenDisputesAgainstFunction : FunctionMessage
{
    [Parameter("address", "", 1)] public string Account { get; set; } = "";
}

[Function("isVendor", "bool")]
public class IsVendorFunction : FunctionMessage
{
    [Parameter("address", "", 1)] public string Account { get; set; } = "";
}

[Function("vendorBalance", "uint256")]
public class VendorBalanceFunction : FunctionMessage
{
    [Parameter("address", "", 1)] public string Account { get; set; } = "";
}

[Function("claimed", "bool")]
public class ClaimedFunction : FunctionMessage
{
    [Parameter("uint64", "", 1)] public ulong Epoch { get; set; }
    [Parameter("address", "", 2)] public string Payee { get; set; } = "";
}

[Function("latePaid", "bool")]
public class LatePaidFunction : FunctionMessage
{
    [Parameter("uint64", "", 1)] public ulong Epoch { get; set; }
    [Parameter("address", "", 2)] public string Payee { get; set; } = "";
}

[Function("payoutLeaf", "bytes32")]
public class PayoutLeafFunction : FunctionMessage
{
    [Parameter("uint64", "epoch", 1)] public ulong Epoch { get; set; }
    [Parameter("address", "payee", 2)] public string Payee { get; set; } = "";
    [Parameter("uint256", "amount", 3)] public BigInteger Amount { get; set; }
}

[Function("receiptDigest", "bytes32")]
public class ReceiptDigestFunction : FunctionMessage
{
    [Parameter("address", "payee", 1)] public string Payee { get; set; } = "";
    [Parameter("uint64", "epoch", 2)] public ulong Epoch { get; set; }
    [Parameter("uint64", "acceptedInEpoch", 3)] public ulong AcceptedInEpoch { get; set; }
    [Parameter("bytes32", "batchId", 4)] public byte[] BatchId { get; set; } = [];
}

[Function("receiptSigner", "address")]
public class ReceiptSignerFunction : FunctionMessage
{
    [Parameter("address", "payee", 1)] public string Payee { get; set; } = "";
    [Parameter("uint64", "epoch", 2)] public ulong Epoch { get; set; }
    [Parameter("uint64", "acceptedInEpoch", 3)] public ulong AcceptedInEpoch { get; set; }
    [Parameter("bytes32", "batchId", 4)] public byte[] BatchId { get; set; } = [];
    [Parameter("bytes", "signature", 5)] public byte[] Signature { get; set; } = [];
}

[Function("isValidReceipt", "bool")]
public class IsValidReceiptFunction : FunctionMessage
{
    [Parameter("address", "payee", 1)] public string Payee { get; set; } = "";
    [Parameter("uint64", "epoch", 2)] public ulong Epoch { get; set; }
    [Parameter("uint64", "acceptedInEpoch", 3)] public ulong AcceptedInEpoch { get; set; }
    [Parameter("bytes32", "batchId", 4)] public byte[] BatchId { get; set; } = [];
    [Parameter("bytes", "signature", 5)] public byte[] Signature { get; set; } = [];
}

[Function("pendingRoleChange", typeof(PendingRoleChangeOutput))]
public class PendingRoleChangeFunction : FunctionMessage
{
    [Parameter("uint8", "role", 1)] public byte Role { get; set; }
}

[FunctionOutput]
public class PendingRoleChangeOutput : IFunctionOutputDTO
{
    [Parameter("address", "account", 1)] public string Account { get; set; } = "";
    [Parameter("uint64", "executableAt", 2)] public ulong ExecutableAt { get; set; }
}

[Function("pauseState", typeof(PauseStateOutput))]
public class PauseStateFunction : FunctionMessage;

[FunctionOutput]
public class PauseStateOutput : IFunctionOutputDTO
{
    [Parameter("uint64", "start", 1)] public ulong Start { get; set; }
    [Parameter("uint64", "end", 2)] public ulong End { get; set; }
    [Parameter("uint64", "pausedBefore", 3)] public ulong PausedBefore { get; set; }
    [Parameter("bool", "paused", 4)] public bool Paused { get; set; }
}

[Function("batchOf", typeof(BatchOfOutput))]
public class BatchOfFunction : FunctionMessage
{
    [Parameter("bytes32", "batchId", 1)] public byte[] BatchId { get; set; } = [];
}

[FunctionOutput]
public class BatchOfOutput : IFunctionOutputDTO
{
    [Parameter("address", "vendor", 1)] public string Vendor { get; set; } = "";
    [Parameter("uint64", "credits", 2)] public ulong Credits { get; set; }
    [Parameter("bytes32", "root", 3)] public byte[] Root { get; set; } = [];
}

[Function("cardOf", typeof(CardOfOutput))]
public class CardOfFunction : FunctionMessage
{
    [Parameter("bytes32", "cardHash", 1)] public byte[] CardHash { get; set; } = [];
}

[FunctionOutput]
public class CardOfOutput : IFunctionOutputDTO
{
    [Parameter("address", "vendor", 1)] public string Vendor { get; set; } = "";
    [Parameter("uint64", "credits", 2)] public ulong Credits { get; set; }
}

[Function("epochInfo", typeof(EpochInfoOutput))]
public class EpochInfoFunction : FunctionMessage
{
    [Parameter("uint64", "epoch", 1)] public ulong Epoch { get; set; }
}

/// <summary><c>ISxlLedger.EpochView</c>: times are on the ledger's active clock.</summary>
public class EpochView
{
    [Parameter("bytes32", "root", 1)] public byte[] Root { get; set; } = [];
    /// <summary>The posted total less what payees have claimed so far.</summary>
    [Parameter("uint256", "unclaimed", 2)] public BigInteger Unclaimed { get; set; }
    [Parameter("uint256", "operatorTotal", 3)] public BigInteger OperatorTotal { get; set; }
    [Parameter("uint8", "round", 4)] public byte Round { get; set; }
    [Parameter("address", "poster", 5)] public string Poster { get; set; } = "";
    [Parameter("uint64", "postedAt", 6)] public ulong PostedAt { get; set; }
    [Parameter("uint64", "windowClosesAt", 7)] public ulong WindowClosesAt { get; set; }
    [Parameter("uint64", "frozenAt", 8)] public ulong FrozenAt { get; set; }
    [Parameter("uint32", "openDisputes", 9)] public uint OpenDisputes { get; set; }
}

[FunctionOutput]
public class EpochInfoOutput : IFunctionOutputDTO
{
    [Parameter("tuple", "info", 1)] public EpochView Info { get; set; } = new();
}

[Function("disputeOf", typeof(DisputeOfOutput))]
public class DisputeOfFunction : FunctionMessage
{
    [Parameter("uint64", "epoch", 1)] public ulong Epoch { get; set; }
    [Parameter("address", "payee", 2)] public string Payee { get; set; } = "";
}

[FunctionOutput]
public class DisputeOfOutput : IFunctionOutputDTO
{
    [Parameter("uint8", "status", 1)] public byte Status { get; set; }
    [Parameter("uint8", "round", 2)] public byte Round { get; set; }
    [Parameter("uint64", "answerBy", 3)] public ulong AnswerBy { get; set; }
    [Parameter("uint64", "acceptedInEpoch", 4)] public ulong AcceptedInEpoch { get; set; }
    [Parameter("uint256", "owed", 5)] public BigInteger Owed { get; set; }
}

[Function("accounts", typeof(AccountsOutput))]
public class AccountsFunction : FunctionMessage;

[FunctionOutput]
public class AccountsOutput : IFunctionOutputDTO
{
    [Parameter("uint256", "escrowReceived", 1)] public BigInteger EscrowReceived { get; set; }
    [Parameter("uint256", "vendorBalances", 2)] public BigInteger VendorBalances { get; set; }
    [Parameter("uint256", "vendorWithdrawn", 3)] public BigInteger VendorWithdrawn { get; set; }
    [Parameter("uint256", "claimsPaid", 4)] public BigInteger ClaimsPaid { get; set; }
    [Parameter("uint256", "allocatedUnclaimed", 5)] public BigInteger AllocatedUnclaimed { get; set; }
    [Parameter("uint256", "unallocated", 6)] public BigInteger Unallocated { get; set; }
    [Parameter("uint256", "bondsHeld", 7)] public BigInteger BondsHeld { get; set; }
    [Parameter("uint256", "depositsHeld", 8)] public BigInteger DepositsHeld { get; set; }
    [Parameter("uint256", "tokenBalance", 9)] public BigInteger TokenBalance { get; set; }
}

[Function("eip712Domain", typeof(Eip712DomainOutput))]
public class Eip712DomainFunction : FunctionMessage;

[FunctionOutput]
public class Eip712DomainOutput : IFunctionOutputDTO
{
    [Parameter("bytes1", "fields", 1)] public byte[] Fields { get; set; } = [];
    [Parameter("string", "name", 2)] public string Name { get; set; } = "";
    [Parameter("string", "version", 3)] public string Version { get; set; } = "";
    [Parameter("uint256", "chainId", 4)] public BigInteger ChainId { get; set; }
    [Parameter("address", "verifyingContract", 5)] public string VerifyingContract { get; set; } = "";
    [Parameter("bytes32", "salt", 6)] public byte[] Salt { get; set; } = [];
    [Parameter("uint256[]", "extensions", 7)] public List<BigInteger> Extensions { get; set; } = [];
}
