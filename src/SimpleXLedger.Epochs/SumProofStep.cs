namespace SimpleXLedger.Epochs;

/// <summary>One level of a Merkle-sum proof: the sibling's hash and the sibling's sum.</summary>
public sealed record SumProofStep(byte[] SiblingHash, UInt128 SiblingSum);
