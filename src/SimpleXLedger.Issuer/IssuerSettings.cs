using SimpleXLedger.Issuer.Keys;

namespace SimpleXLedger.Issuer;

/// <summary>The issuer's configuration, fixed for the life of the process.</summary>
public sealed record IssuerSettings
{
    /// <summary>Where the database, the private keys and the TLS certificate live.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>The issuer's name (host name in the network's token challenge).</summary>
    public string Name { get; init; } = "issuer.localhost";

    /// <summary>
    /// The origin (<c>https://host[:port]</c>) that RFC 9578 clients reach the token-request endpoint at, as the
    /// directory's <c>issuer-request-uri</c> names it. Never taken from a request's Host header (a client could
    /// otherwise be handed a per-client URI). By default <c>https://</c> + <see cref="Name"/>; on the devnet, the
    /// address the HTTP listener bound.
    /// </summary>
    public Uri? PublicOrigin { get; init; }

    /// <summary>Short windows and steps are accepted only on the devnet.</summary>
    public bool Devnet { get; init; }

    public KeyWindowPolicy Windows { get; init; } = KeyWindowPolicy.Production;

    /// <summary>Most token requests in one redemption.</summary>
    public int MaxBatch { get; init; } = 1000;

    /// <summary>How long a request id is remembered (a retry within it is answered without a second debit).</summary>
    public TimeSpan IdempotencyWindow { get; init; } = TimeSpan.FromHours(24);

    /// <summary>Card values are multiples of this step: 100 (the wallet's batch size); 1 in development mode.</summary>
    public ulong? Denomination { get; init; }

    /// <summary>How long a card stays redeemable after it is registered.</summary>
    public TimeSpan CardValidity { get; init; } = TimeSpan.FromDays(3 * 365);

    /// <summary>Encrypts private key files (PKCS#8, PBES2) when set.</summary>
    public string? KeyPassphrase { get; init; }

    /// <summary>Wrong card codes allowed per client per minute before that client is held off.</summary>
    public int WrongCodesPerClientPerMinute { get; init; } = 10;

    /// <summary>Wrong card codes allowed from everybody together per minute.</summary>
    public int WrongCodesGlobalPerMinute { get; init; } = 600;

    /// <summary>How often issued totals are anchored on-chain (ledger mode).</summary>
    public TimeSpan Epoch { get; init; } = TimeSpan.FromHours(1);

    /// <summary>How often keys, funding and idempotency records are looked after.</summary>
    public TimeSpan MaintenanceInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The issuer's SQLite file name, in its data directory.</summary>
    public const string DatabaseFileName = "issuer.db";

    public string DatabasePath => Path.Combine(DataDirectory, DatabaseFileName);

    public ulong DenominationFor(bool development) => Denomination ?? (development ? 1UL : 100UL);

    /// <summary>Checks the combination; the short-window rule is in <see cref="KeyWindowPolicy.Validate"/>.</summary>
    public void Validate()
    {
        Windows.Validate(Devnet);
        if (Windows.RotateAhead < Windows.UsableDelay + TimeSpan.FromSeconds(Keys.KeySchedule.LedgerMarginSeconds(Windows)) + MaintenanceInterval)
        {
            throw new ArgumentException("rotate-ahead must cover the usable delay, a few seconds and one maintenance interval, or windows would have gaps");
        }

        if (MaxBatch is < 1 or > 100_000)
        {
            throw new ArgumentException("the batch maximum is between 1 and 100000");
        }

        if (IdempotencyWindow <= TimeSpan.Zero)
        {
            throw new ArgumentException("the idempotency window is positive");
        }

        if (!Devnet && IdempotencyWindow < TimeSpan.FromMinutes(10))
        {
            throw new ArgumentException("an idempotency window under 10 minutes is accepted only with --devnet");
        }

        if (PublicOrigin is not null && (!PublicOrigin.IsAbsoluteUri || PublicOrigin.Scheme is not ("https" or "http") || PublicOrigin.AbsolutePath != "/" || PublicOrigin.Query.Length > 0))
        {
            throw new ArgumentException("the public origin is an https URL with a host and no path, e.g. https://issuer.example.org");
        }

        if (PublicOrigin is not null && !Devnet && PublicOrigin.Scheme != "https")
        {
            throw new ArgumentException("the public origin is https outside --devnet");
        }

        if (Denomination is 0)
        {
            throw new ArgumentException("the denomination step is at least 1");
        }
    }
}
