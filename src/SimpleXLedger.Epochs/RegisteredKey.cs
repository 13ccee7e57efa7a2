namespace SimpleXLedger.Epochs;

/// <summary>A token key as the registry knows it: keyId (SHA-256 of the SPKI) and its registry index.</summary>
public sealed record RegisteredKey(byte[] KeyId, ushort Index);
