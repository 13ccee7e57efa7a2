using System.Numerics;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Contracts;

namespace SimpleXLedger.Chain.Contracts.V2;

/// <summary>The v2 ledger's constructor argument, <c>SxlLedgerV2.Params</c> (docs/ledger-v2.md §9.7), as an ABI tuple.</summary>
public class LedgerV2Params
{
    [Parameter("address", "token", 1)] public string Token { get; set; } = "";
    [Parameter("uint256", "creditPrice", 2)] public BigInteger CreditPrice { get; set; }
    [Parameter("uint16", "vendorShareBps", 3)] public ushort VendorShareBps { get; set; }
    [Parameter("uint16", "feeBps", 4)] public ushort FeeBps { get; set; }
    [Parameter("address", "feeRecipient", 5)] public string FeeRecipient { get; set; } = "";
    [Parameter("address", "governance", 6)] public string Governance { get; set; } = "";
    [Parameter("address", "issuer", 7)] public string Issuer { get; set; } = "";
    [Parameter("address", "clearingHouse", 8)] public string ClearingHouse { get; set; } = "";
    [Parameter("address", "judge", 9)] public string Judge { get; set; } = "";
    [Parameter("uint64", "genesis", 10)] public ulong Genesis { get; set; }
    [Parameter("uint64", "epochLength", 11)] public ulong EpochLength { get; set; }
    [Parameter("uint64", "postDeadline", 12)] public ulong PostDeadline { get; set; }
    [Parameter("uint64", "challengeWindow", 13)] public ulong ChallengeWindow { get; set; }
    [Parameter("uint64", "answerWindow", 14)] public ulong AnswerWindow { get; set; }
    [Parameter("uint64", "roleChangeDelay", 15)] public ulong RoleChangeDelay { get; set; }
    [Parameter("uint256", "minBond", 16)] public BigInteger MinBond { get; set; }
    [Parameter("uint256", "daDeposit", 17)] public BigInteger DaDeposit { get; set; }
    [Parameter("uint256", "daPenalty", 18)] public BigInteger DaPenalty { get; set; }
    [Parameter("uint256", "latePenalty", 19)] public BigInteger LatePenalty { get; set; }
    [Parameter("uint16", "proverRewardBps", 20)] public ushort ProverRewardBps { get; set; }
    [Parameter("uint256", "proverRewardCap", 21)] public BigInteger ProverRewardCap { get; set; }
    [Parameter("uint64", "minKeyDelay", 22)] public ulong MinKeyDelay { get; set; }
    [Parameter("uint64", "minIssueWindow", 23)] public ulong MinIssueWindow { get; set; }
    [Parameter("uint64", "minRedeemWindow", 24)] public ulong MinRedeemWindow { get; set; }
}

/// <summary>Deploys <c>SxlLedgerV2</c> (which creates its <c>SxlKeyRegistryV2</c>); the judge is deployed first.</summary>
public class SxlLedgerV2Deployment : ContractDeploymentMessage
{
    public SxlLedgerV2Deployment()
        : base(ContractArtifact.LedgerV2.Bytecode)
    {
    }

    [Parameter("tuple", "p", 1)] public LedgerV2Params Params { get; set; } = new();
}

/// <summary>Deploys the stateless <c>SxlEpochJudge</c>.</summary>
public class SxlEpochJudgeDeployment : ContractDeploymentMessage
{
    public SxlEpochJudgeDeployment()
        : base(ContractArtifact.EpochJudge.Bytecode)
    {
    }
}
