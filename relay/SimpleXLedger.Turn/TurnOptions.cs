using System.Net;

namespace SimpleXLedger.Turn;

/// <summary>How the TURN credential service runs (see <c>sxl turn serve --help</c>).</summary>
public sealed record TurnOptions
{
    public required string DataDirectory { get; init; }

    public IPEndPoint Listen { get; init; } = new(IPAddress.Loopback, 5225);

    /// <summary>The host name in the service's address (default: the listen address).</summary>
    public string? PublicHost { get; init; }

    /// <summary>The file holding coturn's static-auth-secret: one or two lines (the first signs; the second is accepted during a change). Mode 0600.</summary>
    public required string SecretFile { get; init; }

    public required string Realm { get; init; }

    /// <summary>The TURN URLs handed out with each credential (<c>turn:host:3478?transport=udp</c>, <c>turns:host:5349</c>…).</summary>
    public required IReadOnlyList<string> TurnUrls { get; init; }

    /// <summary>Credits one block of minutes costs.</summary>
    public long CreditsPerBlock { get; init; } = 1;

    public long BlockMinutes { get; init; } = 60;

    /// <summary>coturn's <c>max-allocate-lifetime</c> (its default is 3600 s): an allocation may outlive its credential by this much.</summary>
    public TimeSpan MaxAllocateLifetime { get; init; } = TimeSpan.FromSeconds(3600);

    /// <summary>The tokens plugin's directory (plugins/ beside sxl) and its settings (issuerName, tokenKeys).</summary>
    public required string PluginsDirectory { get; init; }

    public IReadOnlyDictionary<string, string> TokenSettings { get; init; } = new Dictionary<string, string>();

    public bool Devnet { get; init; }

    /// <summary>The issuer's directory URL: the key source with <see cref="Devnet"/> and no ledger.</summary>
    public string? Issuer { get; init; }

    /// <summary>Seconds one token (one credit) buys.</summary>
    public long SecondsPerToken => BlockMinutes * 60 / CreditsPerBlock;

    /// <summary>What is wrong with these options, or null.</summary>
    public string? Validate()
    {
        if (CreditsPerBlock < 1 || BlockMinutes < 1)
        {
            return "--credits-per-block and --block-minutes must be at least 1";
        }

        if (MaxAllocateLifetime <= TimeSpan.Zero)
        {
            return "--max-allocate-lifetime must be positive";
        }

        if (SecondsPerToken <= (long)MaxAllocateLifetime.TotalSeconds)
        {
            return $"one token buys {SecondsPerToken} s, not more than --max-allocate-lifetime ({(long)MaxAllocateLifetime.TotalSeconds} s): a credential would have no validity left";
        }

        if (TurnUrls.Count == 0)
        {
            return "give at least one --turn-url";
        }

        foreach (var url in TurnUrls)
        {
            if (!(url.StartsWith("turn:", StringComparison.Ordinal) || url.StartsWith("turns:", StringComparison.Ordinal)))
            {
                return $"--turn-url '{url}' is not a turn: or turns: URL";
            }
        }

        if (string.IsNullOrWhiteSpace(Realm))
        {
            return "--realm must not be empty";
        }

        return null;
    }
}
