namespace SimpleXLedger.Clearing.Redemption;

/// <summary>What became of one token of a batch. Values equal clearing.proto's TokenOutcome (stored as one byte each).</summary>
public enum TokenOutcomeCode : byte
{
    Unspecified = 0,

    /// <summary>Recorded as spent in this batch and counted in its receipt.</summary>
    Accepted = 1,

    /// <summary>Accepted earlier for the same operator and relay (a relay's retry after a crash): not counted again.</summary>
    AcceptedEarlier = 2,

    /// <summary>Already spent elsewhere, or twice in this batch.</summary>
    Spent = 3,

    Malformed = 4,
    UnknownKey = 5,
    KeyNotRedeemable = 6,
    InvalidSignature = 7,

    /// <summary>Beyond the total the issuer anchored as issued under the key (proof of liabilities; an alarm).</summary>
    OverIssued = 8,

    /// <summary>
    /// Beyond the total the issuer anchored as issued under the key while the issuer may still anchor it (see
    /// <see cref="AnchoringAllowance"/>): an honest token issued since the last anchoring. Nothing recorded; retry later.
    /// </summary>
    NotYetAnchored = 9,
}
