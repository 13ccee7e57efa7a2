using System.Numerics;
using Nethereum.ABI.FunctionEncoding.Attributes;

namespace SimpleXLedger.Chain.Contracts.V2;

/// <summary><c>EpochHeader</c> (contracts/src/v2/EpochFormats.sol): the header fields every claim, proof and answer passes.</summary>
public class EpochHeaderTuple
{
    [Parameter("uint64", "epoch", 1)] public ulong Epoch { get; set; }
    [Parameter("uint8", "round", 2)] public byte Round { get; set; }
    [Parameter("bytes32", "tokenRoot", 3)] public byte[] TokenRoot { get; set; } = new byte[32];
    [Parameter("uint32", "n", 4)] public uint N { get; set; }
    [Parameter("uint32", "r", 5)] public uint R { get; set; }
    [Parameter("bytes32", "payoutRoot", 6)] public byte[] PayoutRoot { get; set; } = new byte[32];
    [Parameter("uint32", "m", 7)] public uint M { get; set; }
    [Parameter("uint128", "total", 8)] public BigInteger Total { get; set; }
    [Parameter("uint128", "epochRate", 9)] public BigInteger EpochRate { get; set; }
    [Parameter("bytes", "keyCounts", 10)] public byte[] KeyCounts { get; set; } = [];
}

/// <summary><c>SxlLedgerV2.PostInput</c>: what the clearing house posts.</summary>
public class PostInputTuple
{
    [Parameter("uint64", "epoch", 1)] public ulong Epoch { get; set; }
    [Parameter("bytes32", "tokenRoot", 2)] public byte[] TokenRoot { get; set; } = new byte[32];
    [Parameter("uint32", "n", 3)] public uint N { get; set; }
    [Parameter("uint32", "r", 4)] public uint R { get; set; }
    [Parameter("bytes32", "payoutRoot", 5)] public byte[] PayoutRoot { get; set; } = new byte[32];
    [Parameter("uint32", "m", 6)] public uint M { get; set; }
    [Parameter("bytes", "keyCounts", 7)] public byte[] KeyCounts { get; set; } = [];
}

/// <summary><c>TokenEvidence</c>: a token leaf at a position with its path.</summary>
public class TokenEvidenceTuple
{
    [Parameter("uint32", "position", 1)] public uint Position { get; set; }
    [Parameter("bytes", "leaf", 2)] public byte[] Leaf { get; set; } = [];
    [Parameter("bytes32[]", "path", 3)] public List<byte[]> Path { get; set; } = [];
}

/// <summary><c>PayoutEvidence</c>: a payout leaf at an index with sibling hashes and sums.</summary>
public class PayoutEvidenceTuple
{
    [Parameter("uint32", "index", 1)] public uint Index { get; set; }
    [Parameter("bytes", "leaf", 2)] public byte[] Leaf { get; set; } = [];
    [Parameter("bytes32[]", "siblingHashes", 3)] public List<byte[]> SiblingHashes { get; set; } = [];
    [Parameter("uint128[]", "siblingSums", 4)] public List<BigInteger> SiblingSums { get; set; } = [];
}

/// <summary><c>SumEvidence</c>: a payout-tree node, its path, and one child's preimage.</summary>
public class SumEvidenceTuple
{
    [Parameter("uint256", "level", 1)] public BigInteger Level { get; set; }
    [Parameter("uint256", "index", 2)] public BigInteger Index { get; set; }
    [Parameter("bytes", "nodePreimage", 3)] public byte[] NodePreimage { get; set; } = [];
    [Parameter("bytes32[]", "siblingHashes", 4)] public List<byte[]> SiblingHashes { get; set; } = [];
    [Parameter("uint128[]", "siblingSums", 5)] public List<BigInteger> SiblingSums { get; set; } = [];
    [Parameter("bool", "rightChild", 6)] public bool RightChild { get; set; }
    [Parameter("bytes", "childPreimage", 7)] public byte[] ChildPreimage { get; set; } = [];
}
