using System.Numerics;
using Nethereum.ABI.FunctionEncoding.Attributes;

namespace SimpleXLedger.Chain.Contracts;

// Every event of ISxlLedger (emitted by SxlLedger, and the key events by SxlKeyRegistry).

[Event("RoleChangeProposed")]
public class RoleChangeProposedEvent : IEventDTO
{
    [Parameter("uint8", "role", 1, true)] public byte Role { get; set; }
    [Parameter("address", "account", 2, true)] public string Account { get; set; } = "";
    [Parameter("uint64", "executableAt", 3, false)] public ulong ExecutableAt { get; set; }
}

[Event("RoleChangeCancelled")]
public class RoleChangeCancelledEvent : IEventDTO
{
    [Parameter("uint8", "role", 1, true)] public byte Role { get; set; }
    [Parameter("address", "account", 2, true)] public string Account { get; set; } = "";
}

[Event("RoleChanged")]
public class RoleChangedEvent : IEventDTO
{
    [Parameter("uint8", "role", 1, true)] public byte Role { get; set; }
    [Parameter("address", "previous", 2, true)] public string Previous { get; set; } = "";
    [Parameter("address", "account", 3, true)] public string Account { get; set; } = "";
}

[Event("Paused")]
public class PausedEvent : IEventDTO
{
    [Parameter("address", "by", 1, true)] public string By { get; set; } = "";
    [Parameter("uint64", "until", 2, false)] public ulong Until { get; set; }
}

[Event("Unpaused")]
public class UnpausedEvent : IEventDTO
{
    [Parameter("address", "by", 1, true)] public string By { get; set; } = "";
}

[Event("VendorRegistered")]
public class VendorRegisteredEvent : IEventDTO
{
    [Parameter("address", "vendor", 1, true)] public string Vendor { get; set; } = "";
}

[Event("VendorRemoved")]
public class VendorRemovedEvent : IEventDTO
{
    [Parameter("address", "vendor", 1, true)] public string Vendor { get; set; } = "";
}

[Event("BatchFunded")]
public class BatchFundedEvent : IEventDTO
{
    [Parameter("address", "vendor", 1, true)] public string Vendor { get; set; } = "";
    [Parameter("bytes32", "batchId", 2, true)] public byte[] BatchId { get; set; } = [];
    [Parameter("bytes32", "root", 3, false)] public byte[] Root { get; set; } = [];
    [Parameter("uint64", "credits", 4, false)] public ulong Credits { get; set; }
    [Parameter("uint256", "amount", 5, false)] public BigInteger Amount { get; set; }
    [Parameter("uint256", "vendorShare", 6, false)] public BigInteger VendorShare { get; set; }
}

[Event("CardBought")]
public class CardBoughtEvent : IEventDTO
{
    [Parameter("address", "buyer", 1, true)] public string Buyer { get; set; } = "";
    [Parameter("address", "vendor", 2, true)] public string Vendor { get; set; } = "";
    [Parameter("bytes32", "cardHash", 3, true)] public byte[] CardHash { get; set; } = [];
    [Parameter("uint64", "credits", 4, false)] public ulong Credits { get; set; }
    [Parameter("uint256", "amount", 5, false)] public BigInteger Amount { get; set; }
    [Parameter("uint256", "vendorShare", 6, false)] public BigInteger VendorShare { get; set; }
}

[Event("VendorWithdrawal")]
public class VendorWithdrawalEvent : IEventDTO
{
    [Parameter("address", "vendor", 1, true)] public string Vendor { get; set; } = "";
    [Parameter("uint256", "amount", 2, false)] public BigInteger Amount { get; set; }
}

[Event("KeyAnchored")]
public class KeyAnchoredEvent : IEventDTO
{
    [Parameter("bytes32", "keyId", 1, true)] public byte[] KeyId { get; set; } = [];
    [Parameter("bytes", "spki", 2, false)] public byte[] Spki { get; set; } = [];
    [Parameter("uint64", "usableFrom", 3, false)] public ulong UsableFrom { get; set; }
    [Parameter("uint64", "issueUntil", 4, false)] public ulong IssueUntil { get; set; }
    [Parameter("uint64", "redeemUntil", 5, false)] public ulong RedeemUntil { get; set; }
}

[Event("KeyRevoked")]
public class KeyRevokedEvent : IEventDTO
{
    [Parameter("bytes32", "keyId", 1, true)] public byte[] KeyId { get; set; } = [];
    [Parameter("uint64", "revokedAt", 2, false)] public ulong RevokedAt { get; set; }
}

[Event("IssuedAnchored")]
public class IssuedAnchoredEvent : IEventDTO
{
    [Parameter("bytes32", "keyId", 1, true)] public byte[] KeyId { get; set; } = [];
    [Parameter("uint64", "cumulative", 2, false)] public ulong Cumulative { get; set; }
    [Parameter("uint64", "totalIssued", 3, false)] public ulong TotalIssued { get; set; }
}

[Event("EpochPosted")]
public class EpochPostedEvent : IEventDTO
{
    [Parameter("uint64", "epoch", 1, true)] public ulong Epoch { get; set; }
    [Parameter("uint8", "round", 2, false)] public byte Round { get; set; }
    [Parameter("bytes32", "root", 3, false)] public byte[] Root { get; set; } = [];
    [Parameter("uint256", "total", 4, false)] public BigInteger Total { get; set; }
    [Parameter("uint256", "operatorTotal", 5, false)] public BigInteger OperatorTotal { get; set; }
    [Parameter("bytes32", "leavesHash", 6, false)] public byte[] LeavesHash { get; set; } = [];
    [Parameter("address", "poster", 7, true)] public string Poster { get; set; } = "";
}

[Event("EpochFrozen")]
public class EpochFrozenEvent : IEventDTO
{
    [Parameter("uint64", "epoch", 1, true)] public ulong Epoch { get; set; }
    [Parameter("uint8", "round", 2, false)] public byte Round { get; set; }
    [Parameter("uint256", "returnedToUnallocated", 3, false)] public BigInteger ReturnedToUnallocated { get; set; }
}

[Event("Claimed")]
public class ClaimedEvent : IEventDTO
{
    [Parameter("uint64", "epoch", 1, true)] public ulong Epoch { get; set; }
    [Parameter("address", "payee", 2, true)] public string Payee { get; set; } = "";
    [Parameter("uint256", "amount", 3, false)] public BigInteger Amount { get; set; }
}

[Event("DisputeOpened")]
public class DisputeOpenedEvent : IEventDTO
{
    [Parameter("uint64", "epoch", 1, true)] public ulong Epoch { get; set; }
    [Parameter("address", "payee", 2, true)] public string Payee { get; set; } = "";
    [Parameter("uint8", "round", 3, false)] public byte Round { get; set; }
    [Parameter("uint64", "acceptedInEpoch", 4, false)] public ulong AcceptedInEpoch { get; set; }
    [Parameter("bytes32", "batchId", 5, false)] public byte[] BatchId { get; set; } = [];
    [Parameter("uint256", "owed", 6, false)] public BigInteger Owed { get; set; }
    [Parameter("uint64", "answerBy", 7, false)] public ulong AnswerBy { get; set; }
}

[Event("DisputeAnswered")]
public class DisputeAnsweredEvent : IEventDTO
{
    [Parameter("uint64", "epoch", 1, true)] public ulong Epoch { get; set; }
    [Parameter("address", "payee", 2, true)] public string Payee { get; set; } = "";
    [Parameter("uint8", "round", 3, false)] public byte Round { get; set; }
    [Parameter("uint256", "leafAmount", 4, false)] public BigInteger LeafAmount { get; set; }
    [Parameter("uint256", "depositForfeited", 5, false)] public BigInteger DepositForfeited { get; set; }
}

[Event("DisputeUpheld")]
public class DisputeUpheldEvent : IEventDTO
{
    [Parameter("uint64", "epoch", 1, true)] public ulong Epoch { get; set; }
    [Parameter("address", "payee", 2, true)] public string Payee { get; set; } = "";
    [Parameter("uint8", "round", 3, false)] public byte Round { get; set; }
    [Parameter("uint256", "shortfall", 4, false)] public BigInteger Shortfall { get; set; }
    [Parameter("uint256", "paidFromBond", 5, false)] public BigInteger PaidFromBond { get; set; }
}

[Event("UnderpaymentProven")]
public class UnderpaymentProvenEvent : IEventDTO
{
    [Parameter("uint64", "epoch", 1, true)] public ulong Epoch { get; set; }
    [Parameter("address", "payee", 2, true)] public string Payee { get; set; } = "";
    [Parameter("uint8", "round", 3, false)] public byte Round { get; set; }
    [Parameter("uint256", "leafAmount", 4, false)] public BigInteger LeafAmount { get; set; }
    [Parameter("uint256", "owed", 5, false)] public BigInteger Owed { get; set; }
    [Parameter("uint256", "paidFromBond", 6, false)] public BigInteger PaidFromBond { get; set; }
}

[Event("LateEpochPaid")]
public class LateEpochPaidEvent : IEventDTO
{
    [Parameter("uint64", "epoch", 1, true)] public ulong Epoch { get; set; }
    [Parameter("address", "payee", 2, true)] public string Payee { get; set; } = "";
    [Parameter("address", "clearingHouse", 3, true)] public string ClearingHouse { get; set; } = "";
    [Parameter("uint256", "owed", 4, false)] public BigInteger Owed { get; set; }
    [Parameter("uint256", "paidFromBond", 5, false)] public BigInteger PaidFromBond { get; set; }
}

[Event("BondDeposited")]
public class BondDepositedEvent : IEventDTO
{
    [Parameter("address", "clearingHouse", 1, true)] public string ClearingHouse { get; set; } = "";
    [Parameter("address", "from", 2, true)] public string From { get; set; } = "";
    [Parameter("uint256", "amount", 3, false)] public BigInteger Amount { get; set; }
}

[Event("BondWithdrawn")]
public class BondWithdrawnEvent : IEventDTO
{
    [Parameter("address", "clearingHouse", 1, true)] public string ClearingHouse { get; set; } = "";
    [Parameter("uint256", "amount", 2, false)] public BigInteger Amount { get; set; }
}

[Event("BondPaid")]
public class BondPaidEvent : IEventDTO
{
    [Parameter("address", "clearingHouse", 1, true)] public string ClearingHouse { get; set; } = "";
    [Parameter("address", "to", 2, true)] public string To { get; set; } = "";
    [Parameter("uint256", "amount", 3, false)] public BigInteger Amount { get; set; }
}
