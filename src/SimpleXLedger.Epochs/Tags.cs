namespace SimpleXLedger.Epochs;

/// <summary>The domain tags of docs/ledger-v2.md §4: the first byte of every hashed preimage.</summary>
public static class Tags
{
    public const byte TokenLeaf = 0x10;
    public const byte TokenNode = 0x11;
    public const byte PayoutLeaf = 0x20;
    public const byte PayoutNode = 0x21;
    public const byte EpochHeader = 0x30;
    public const byte ReceiptLeaf = 0x60;
    public const byte ReceiptNode = 0x61;
}
