namespace SimpleXLedger.Epochs;

/// <summary>
/// What a close needs besides the redemptions: where it is posted (chain id, ledger, epoch, round), the money terms
/// (fee recipient, fee per credit, the epoch's operator rate including any bonus, docs/ledger-v2.md §5.3) and the key
/// registry's index of every key the epoch's tokens may name.
/// </summary>
public sealed record EpochParameters(
    ulong ChainId,
    byte[] Ledger,
    ulong Epoch,
    byte Round,
    byte[] FeeRecipient,
    UInt128 FeePerCredit,
    UInt128 EpochRate,
    IReadOnlyList<RegisteredKey> Keys);
