using System.Numerics;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Contracts;

namespace SimpleXLedger.Chain.Contracts.V2;

[Function("nextEpoch", "uint64")]
public class NextEpochV2Function : FunctionMessage;

[Function("feeRecipient", "address")]
public class FeeRecipientV2Function : FunctionMessage;

[Function("feePerCredit", "uint256")]
public class FeePerCreditFunction : FunctionMessage;

[Function("challengeWindow", "uint64")]
public class ChallengeWindowFunction : FunctionMessage;

[Function("epochOf", typeof(EpochOfOutput))]
public class EpochOfFunction : FunctionMessage
{
    [Parameter("uint64", "epoch", 1)] public ulong Epoch { get; set; }
}

[FunctionOutput]
public class EpochOfOutput : IFunctionOutputDTO
{
    [Parameter("tuple", "", 1)] public PostedEpochRecord Epoch { get; set; } = new();
}

/// <summary><c>SxlLedgerV2.Epoch</c>: what a post stored. State 0 none, 1 posted, 2 frozen, 3 final.</summary>
public class PostedEpochRecord
{
    public const byte None = 0;
    public const byte Posted = 1;
    public const byte Frozen = 2;
    public const byte Final = 3;

    [Parameter("bytes32", "commitment", 1)] public byte[] Commitment { get; set; } = new byte[32];
    [Parameter("uint96", "unclaimed", 2)] public BigInteger Unclaimed { get; set; }
    [Parameter("uint40", "postedAt", 3)] public ulong PostedAt { get; set; }
    [Parameter("uint32", "postSeq", 4)] public uint PostSeq { get; set; }
    [Parameter("uint32", "paying", 5)] public uint Paying { get; set; }
    [Parameter("uint16", "poster", 6)] public ushort Poster { get; set; }
    [Parameter("uint16", "openChallenges", 7)] public ushort OpenChallenges { get; set; }
    [Parameter("uint8", "round", 8)] public byte Round { get; set; }
    [Parameter("uint8", "state", 9)] public byte State { get; set; }
}

[Function("keyCount", "uint256")]
public class KeyCountV2Function : FunctionMessage;

[Function("keyMaterial", typeof(KeyMaterialOutput))]
public class KeyMaterialFunction : FunctionMessage
{
    [Parameter("uint256", "keyIndex", 1)] public BigInteger KeyIndex { get; set; }
}

[FunctionOutput]
public class KeyMaterialOutput : IFunctionOutputDTO
{
    [Parameter("bytes32", "keyId", 1)] public byte[] KeyId { get; set; } = new byte[32];
    [Parameter("bytes32", "challengeDigest", 2)] public byte[] ChallengeDigest { get; set; } = new byte[32];
    [Parameter("bytes", "modulus", 3)] public byte[] Modulus { get; set; } = [];
}

[Function("issuerNameOf", "string")]
public class IssuerNameOfFunction : FunctionMessage
{
    [Parameter("uint256", "keyIndex", 1)] public BigInteger KeyIndex { get; set; }
}

[Function("token", "address")]
public class LedgerTokenFunction : FunctionMessage;

[Function("daDeposit", "uint256")]
public class DaDepositFunction : FunctionMessage;

/// <summary><c>EpochPosted</c>: every header field, so anyone rebuilds the header from the chain alone.</summary>
[Event("EpochPosted")]
public class EpochPostedV2Event : IEventDTO
{
    [Parameter("uint64", "epoch", 1, true)] public ulong Epoch { get; set; }
    [Parameter("uint8", "round", 2, false)] public byte Round { get; set; }
    [Parameter("bytes32", "commitment", 3, false)] public byte[] Commitment { get; set; } = new byte[32];
    [Parameter("bytes32", "tokenRoot", 4, false)] public byte[] TokenRoot { get; set; } = new byte[32];
    [Parameter("uint32", "n", 5, false)] public uint N { get; set; }
    [Parameter("uint32", "r", 6, false)] public uint R { get; set; }
    [Parameter("bytes32", "payoutRoot", 7, false)] public byte[] PayoutRoot { get; set; } = new byte[32];
    [Parameter("uint32", "m", 8, false)] public uint M { get; set; }
    [Parameter("uint256", "total", 9, false)] public BigInteger Total { get; set; }
    [Parameter("uint256", "epochRate", 10, false)] public BigInteger EpochRate { get; set; }
    [Parameter("bytes", "keyCounts", 11, false)] public byte[] KeyCounts { get; set; } = [];

    public EpochHeaderTuple ToHeader() => new()
    {
        Epoch = Epoch, Round = Round, TokenRoot = TokenRoot, N = N, R = R, PayoutRoot = PayoutRoot, M = M, Total = Total, EpochRate = EpochRate, KeyCounts = KeyCounts,
    };
}
