namespace SimpleXLedger.Issuer.Keys;

/// <summary>
/// How long each phase of a token key lasts: usable <see cref="UsableDelay"/> after anchoring, issuing for
/// <see cref="IssueWindow"/>, then redeemable for <see cref="RedeemWindow"/>. The next key is prepared
/// <see cref="RotateAhead"/> before the current one stops issuing, so its window starts exactly as the current ends.
/// </summary>
public sealed record KeyWindowPolicy(TimeSpan UsableDelay, TimeSpan IssueWindow, TimeSpan RedeemWindow, TimeSpan RotateAhead)
{
    /// <summary>The ledger's minimums for a real network (DESIGN.md, key consistency).</summary>
    public static KeyWindowPolicy Production { get; } =
        new(TimeSpan.FromHours(24), TimeSpan.FromDays(30), TimeSpan.FromDays(90), TimeSpan.FromHours(72));

    /// <summary>Seconds-long windows for the devnet and tests.</summary>
    public static KeyWindowPolicy Devnet { get; } =
        new(TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(30), TimeSpan.FromMinutes(2));

    /// <summary>Refuses windows shorter than the production minimums unless running with <c>--devnet</c>.</summary>
    public void Validate(bool devnet)
    {
        if (UsableDelay < TimeSpan.Zero || IssueWindow <= TimeSpan.Zero || RedeemWindow <= TimeSpan.Zero || RotateAhead <= TimeSpan.Zero)
        {
            throw new ArgumentException("key windows must be positive");
        }

        if (RotateAhead >= IssueWindow)
        {
            throw new ArgumentException("the next key is prepared within the current issuing window (rotate-ahead < issue window)");
        }

        if (RotateAhead < UsableDelay + TimeSpan.FromSeconds(KeySchedule.LedgerMarginSeconds(this)))
        {
            throw new ArgumentException($"the next key must be prepared at least the usable delay (and a margin) ahead (rotate-ahead >= usable delay)");
        }

        if (devnet)
        {
            return;
        }

        var min = Production;
        if (UsableDelay < min.UsableDelay || IssueWindow < min.IssueWindow || RedeemWindow < min.RedeemWindow)
        {
            throw new ArgumentException(
                $"key windows shorter than {min.UsableDelay.TotalHours} h delay, {min.IssueWindow.TotalDays} days issuing and {min.RedeemWindow.TotalDays} days redeeming are accepted only with --devnet");
        }
    }

    public string Serialize() =>
        FormattableString.Invariant($"{(long)UsableDelay.TotalSeconds},{(long)IssueWindow.TotalSeconds},{(long)RedeemWindow.TotalSeconds},{(long)RotateAhead.TotalSeconds}");

    public static KeyWindowPolicy Deserialize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split(',').Select(p => TimeSpan.FromSeconds(long.Parse(p, System.Globalization.CultureInfo.InvariantCulture))).ToArray();
        return parts.Length == 4 ? new KeyWindowPolicy(parts[0], parts[1], parts[2], parts[3]) : throw new FormatException("key window policy");
    }
}
