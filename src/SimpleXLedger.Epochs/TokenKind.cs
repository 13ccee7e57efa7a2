namespace SimpleXLedger.Epochs;

/// <summary>A token leaf's kind (docs/ledger-v2.md §5.1): only PAID entries pay an operator and the fee.</summary>
public enum TokenKind : byte
{
    Paid = 0x01,
    Rollover = 0x02,
    Recoup = 0x03,
}
