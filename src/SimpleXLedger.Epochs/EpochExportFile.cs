namespace SimpleXLedger.Epochs;

/// <summary>An <c>sxl-epoch</c> file read back: the epoch's data, re-verified, and where it was posted.</summary>
public sealed record EpochExportFile(EpochData Data, byte[] PostTx, ulong PostBlock);
