using SimpleXLedger.Clearing.Registry;

namespace SimpleXLedger.Clearing.Redemption;

/// <summary>
/// How long the clearing house waits for the issuer to anchor what it issued before a token beyond a key's anchored
/// total counts as over-issued. The issuer anchors its issued totals once per anchoring period (its epoch, an hour by
/// default), so an honest token issued since the last anchoring is beyond the total for up to a period. While the
/// issuer may still anchor it — the key is still issuing, or stopped (its window ended or it was revoked) less than one
/// period plus a grace ago, by block time — such a token is <see cref="TokenOutcomeCode.NotYetAnchored"/>: refused
/// for now, nothing recorded, to be tried again. After that the issuer has had its chance, and a token beyond the
/// total is <see cref="TokenOutcomeCode.OverIssued"/> with the alarm. The registry keeps no time of a key's last
/// anchoring, so the rule is judged from the key's windows. Either way nothing beyond the total is ever accepted:
/// the allowance only decides whether the refusal is final and alarming. Set by <c>sxl clearing serve
/// --anchoring-period-seconds --anchoring-grace-seconds</c> (<see cref="ClearingSettings.AnchoringAllowance"/>).
/// </summary>
public sealed record AnchoringAllowance(TimeSpan Period, TimeSpan Grace)
{
    /// <summary>The issuer's default anchoring period (an hour) and a grace as long, for a late or restarted issuer and clock skew.</summary>
    public static AnchoringAllowance Default { get; } = new(TimeSpan.FromHours(1), TimeSpan.FromHours(1));

    /// <summary>Block time from which the issuer can no longer anchor more under the key: its issuing end plus period and grace.</summary>
    public ulong AnchoringDeadline(RegisteredKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var issuingEnd = key.RevokedAt != 0 ? Math.Min(key.IssueUntil, key.RevokedAt) : key.IssueUntil;
        var allowance = (ulong)(Period + Grace).TotalSeconds;
        return issuingEnd > ulong.MaxValue - allowance ? ulong.MaxValue : issuingEnd + allowance;
    }

    /// <summary>The issuer may still anchor tokens of this key issued so far at block time <paramref name="blockTime"/>.</summary>
    public bool MayStillAnchor(RegisteredKey key, ulong blockTime) => blockTime < AnchoringDeadline(key);
}
