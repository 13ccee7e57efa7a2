using SimpleXLedger.Issuer.Storage;

namespace SimpleXLedger.Issuer.Keys;

/// <summary>A key's place in time, as <c>sxl issuer keys list</c> shows it.</summary>
public enum KeyPhase
{
    /// <summary>Made, not yet anchored (ledger mode).</summary>
    Pending,

    /// <summary>Anchored (or local), its issuing window still ahead.</summary>
    Upcoming,

    /// <summary>The one key that issues now.</summary>
    Issuing,

    /// <summary>Past issuing; tokens under it are still redeemable.</summary>
    Redeemable,

    /// <summary>Past redeeming.</summary>
    Expired,
}

/// <summary>
/// The pure rules of the key lifecycle. Windows of consecutive keys touch and never overlap
/// (next.UsableFrom == current.IssueUntil), so at any moment at most one key issues.
/// </summary>
public static class KeySchedule
{
    /// <summary>
    /// Seconds added to the minimum delay for a new key on a ledger, because the anchoring transaction lands in a
    /// block some time after planning: 5 s on a devnet (delays of seconds), 2 minutes for real delays (hours).
    /// </summary>
    public static long LedgerMarginSeconds(KeyWindowPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return policy.UsableDelay < TimeSpan.FromHours(1) ? 5 : 120;
    }

    public static KeyPhase PhaseAt(TokenKeyRow key, long now, bool development)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!development && key.Anchoring != KeyAnchoring.Anchored)
        {
            return KeyPhase.Pending;
        }

        if (now < key.UsableFrom)
        {
            return KeyPhase.Upcoming;
        }

        if (now < key.IssueUntil)
        {
            return KeyPhase.Issuing;
        }

        return now < key.RedeemUntil ? KeyPhase.Redeemable : KeyPhase.Expired;
    }

    /// <summary>The key that issues at <paramref name="now"/>, if any. Never more than one (see <see cref="PlanNext"/>).</summary>
    public static TokenKeyRow? IssuingAt(IEnumerable<TokenKeyRow> keys, long now, bool development)
    {
        TokenKeyRow? found = null;
        foreach (var key in keys)
        {
            if (PhaseAt(key, now, development) != KeyPhase.Issuing)
            {
                continue;
            }

            if (found is not null)
            {
                throw new InvalidOperationException("two keys issue at once: the key table is inconsistent");
            }

            found = key;
        }

        return found;
    }

    /// <summary>
    /// The window of the key to prepare now, or null when none is needed. With <paramref name="force"/>, prepares
    /// the next key even if the current one has long to run (but never a second future key).
    /// </summary>
    public static KeyWindow? PlanNext(IReadOnlyCollection<TokenKeyRow> keys, long now, KeyWindowPolicy policy, bool development, bool force)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(policy);

        // In development there is nothing to anchor, so a first key (or one after a gap) is usable at once. With a
        // ledger a key is usable only the minimum delay after its anchoring transaction is mined: a few seconds of
        // margin cover the time until that block.
        var earliest = development ? now : now + (long)policy.UsableDelay.TotalSeconds + LedgerMarginSeconds(policy);
        var last = keys.MaxBy(k => k.IssueUntil);
        long start;
        if (last is null || last.IssueUntil <= now)
        {
            // No key, or the chain of windows has run out (the issuer was down): start a new chain as soon as allowed.
            start = earliest;
        }
        else if (last.UsableFrom > now)
        {
            // A future key is already prepared: never two ahead.
            return null;
        }
        else if (force || last.IssueUntil - now <= (long)policy.RotateAhead.TotalSeconds)
        {
            // Start exactly where the current window ends, unless that is too soon to anchor (then a gap is unavoidable).
            start = Math.Max(last.IssueUntil, earliest);
        }
        else
        {
            return null;
        }

        var issueUntil = start + (long)policy.IssueWindow.TotalSeconds;
        return new KeyWindow(start, issueUntil, issueUntil + (long)policy.RedeemWindow.TotalSeconds);
    }
}

/// <summary>A key's windows, Unix seconds.</summary>
public sealed record KeyWindow(long UsableFrom, long IssueUntil, long RedeemUntil);
