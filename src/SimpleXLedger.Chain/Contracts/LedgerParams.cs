using System.Numerics;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Contracts;

namespace SimpleXLedger.Chain.Contracts;

/// <summary>The ledger's constructor argument, <c>ISxlLedger.Params</c>, as an ABI tuple.</summary>
public class LedgerParams
{
    [Parameter("address", "token", 1)] public string Token { get; set; } = "";
    [Parameter("uint256", "creditPrice", 2)] public BigInteger CreditPrice { get; set; }
    [Parameter("uint16", "vendorShareBps", 3)] public ushort VendorShareBps { get; set; }
    [Parameter("uint16", "feeBps", 4)] public ushort FeeBps { get; set; }
    [Parameter("address", "feeRecipient", 5)] public string FeeRecipient { get; set; } = "";
    [Parameter("address", "governance", 6)] public string Governance { get; set; } = "";
    [Parameter("address", "issuer", 7)] public string Issuer { get; set; } = "";
    [Parameter("address", "clearingHouse", 8)] public string ClearingHouse { get; set; } = "";
    [Parameter("uint64", "minKeyDelay", 9)] public ulong MinKeyDelay { get; set; }
    [Parameter("uint64", "minIssueWindow", 10)] public ulong MinIssueWindow { get; set; }
    [Parameter("uint64", "minRedeemWindow", 11)] public ulong MinRedeemWindow { get; set; }
    [Parameter("uint64", "disputeWindow", 12)] public ulong DisputeWindow { get; set; }
    [Parameter("uint64", "answerWindow", 13)] public ulong AnswerWindow { get; set; }
    [Parameter("uint64", "postDeadline", 14)] public ulong PostDeadline { get; set; }
    [Parameter("uint256", "minBond", 15)] public BigInteger MinBond { get; set; }
    [Parameter("uint256", "disputeDeposit", 16)] public BigInteger DisputeDeposit { get; set; }
    [Parameter("uint256", "disputePenalty", 17)] public BigInteger DisputePenalty { get; set; }
    [Parameter("uint64", "roleChangeDelay", 18)] public ulong RoleChangeDelay { get; set; }
    [Parameter("uint64", "maxPause", 19)] public ulong MaxPause { get; set; }
    [Parameter("uint64", "pauseCooldown", 20)] public ulong PauseCooldown { get; set; }
}

/// <summary>Deploys <c>SxlLedger</c> (which creates its <c>SxlKeyRegistry</c> in the same transaction).</summary>
public class SxlLedgerDeployment : ContractDeploymentMessage
{
    public SxlLedgerDeployment()
        : base(ContractArtifact.Ledger.Bytecode)
    {
    }

    [Parameter("tuple", "p", 1)] public LedgerParams Params { get; set; } = new();
}

/// <summary>Deploys the dev chain's <c>TestStablecoin</c>, minted by <see cref="Owner"/>.</summary>
public class TestStablecoinDeployment : ContractDeploymentMessage
{
    public TestStablecoinDeployment()
        : base(ContractArtifact.TestStablecoin.Bytecode)
    {
    }

    [Parameter("address", "owner_", 1)] public string Owner { get; set; } = "";
}

/// <summary>The ledger's roles, as <c>ISxlLedger.Role</c> (uint8 on the wire).</summary>
public enum LedgerRole : byte
{
    Governance = 0,
    Issuer = 1,
    ClearingHouse = 2,
}

/// <summary>A dispute's state, as <c>SxlLedger.DisputeStatus</c>.</summary>
public enum DisputeStatus : byte
{
    None = 0,
    Open = 1,
    Answered = 2,
    Upheld = 3,
    Proven = 4,
}
