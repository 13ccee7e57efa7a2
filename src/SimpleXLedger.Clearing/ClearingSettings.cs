using SimpleXLedger.Clearing.Redemption;

namespace SimpleXLedger.Clearing;

/// <summary>How a clearing house runs.</summary>
public sealed record ClearingSettings
{
    /// <summary>Production epochs are at least this long; shorter ones only with <see cref="Devnet"/>.</summary>
    public const ulong MinProductionEpochSeconds = 3600;

    /// <summary>Longest anchoring period, and longest grace, a clearing house accepts (a year).</summary>
    public const ulong MaxAnchoringSeconds = 366 * 86_400;

    public required string DataDirectory { get; init; }

    /// <summary>Most tokens in one batch.</summary>
    public int MaxBatch { get; init; } = 1024;

    /// <summary>Length of a settlement epoch in seconds of block time (a day in production).</summary>
    public ulong EpochSeconds { get; init; } = 86_400;

    /// <summary>Block time at which epoch 1 starts when the database is new; the registry's time at first start when null.</summary>
    public ulong? FirstEpochStart { get; init; }

    /// <summary>
    /// The issuer's name: when set, a token must have been made for the network challenge of this issuer
    /// (type 2, this name, empty redemption context and origin info), as relays demand.
    /// </summary>
    public string? IssuerName { get; init; }

    /// <summary>Development network: short epochs allowed, keys may come from a file.</summary>
    public bool Devnet { get; init; }

    /// <summary>
    /// How long a token beyond its key's anchored issued total is "not yet anchored" (retryable) rather than
    /// over-issued (the alarm): the issuer's anchoring period plus a grace, after the key stops issuing. An issuer
    /// with a longer anchoring epoch needs more; the devnet (issued totals anchored every few seconds) far less.
    /// </summary>
    public AnchoringAllowance AnchoringAllowance { get; init; } = AnchoringAllowance.Default;

    /// <summary>How often epochs are advanced and expired keys' spent rows dropped.</summary>
    public TimeSpan MaintenanceInterval { get; init; } = TimeSpan.FromSeconds(5);

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(DataDirectory))
        {
            throw new ArgumentException("a data directory is required");
        }

        if (MaxBatch is < 1 or > 4096)
        {
            throw new ArgumentException("the batch limit is 1 to 4096 tokens");
        }

        var longest = TimeSpan.FromSeconds(MaxAnchoringSeconds);
        if (AnchoringAllowance is null || AnchoringAllowance.Period < TimeSpan.FromSeconds(1) || AnchoringAllowance.Period > longest)
        {
            throw new ArgumentException($"the issuer's anchoring period is 1 to {MaxAnchoringSeconds} seconds");
        }

        if (AnchoringAllowance.Grace < TimeSpan.Zero || AnchoringAllowance.Grace > longest)
        {
            throw new ArgumentException($"the anchoring grace is 0 to {MaxAnchoringSeconds} seconds");
        }

        if (EpochSeconds == 0 || (!Devnet && EpochSeconds < MinProductionEpochSeconds))
        {
            throw new ArgumentException($"epochs last at least {MinProductionEpochSeconds} seconds (shorter ones only with --devnet)");
        }
    }
}
