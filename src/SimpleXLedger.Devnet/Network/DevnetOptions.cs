using SimpleXLedger.Devnet.Processes;

namespace SimpleXLedger.Devnet.Network;

/// <summary>How the devnet is laid out: where its data lives, which program it runs, the network's names and rhythm.</summary>
public sealed record DevnetOptions
{
    /// <summary>Every service's data directory (SQLite files, keys, TLS certificates) and the logs live under here.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>The <c>sxl</c> program every service runs as.</summary>
    public required SxlProgram Program { get; init; }

    /// <summary>The issuer's name: the host name in the network's token challenge, which relays and the clearing house demand.</summary>
    public string IssuerName { get; init; } = "issuer.devnet.sxl";

    /// <summary>Settlement epoch length in seconds of block time.</summary>
    public ulong EpochSeconds { get; init; } = 30;

    /// <summary>How often the issuer anchors its issued totals (the clearing house refuses tokens beyond the anchored total).</summary>
    public ulong IssuedAnchorSeconds { get; init; } = 5;

    /// <summary>How many relays (each its own operator and payee); two by default, so a token can be tried at both.</summary>
    public int Relays { get; init; } = 2;

    /// <summary>The vendor batch funded at start: this many cards …</summary>
    public int Cards { get; init; } = 4;

    /// <summary>… of this many credits each (a multiple of the issuer's denomination step, 100).</summary>
    public ulong CreditsPerCard { get; init; } = 100;

    /// <summary>Start coturn and the TURN credential service when coturn is installed (<c>--no-turn</c> leaves them out).</summary>
    public bool Turn { get; init; } = true;

    /// <summary>How long a service may take to print its ready line.</summary>
    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>Extra environment for every child (tests use <c>SXL_CRASH_AT</c>; the audit its tracing).</summary>
    public IReadOnlyDictionary<string, string?>? Environment { get; init; }

    public string LogDirectory => Path.Combine(DataDirectory, "logs");

    public string KeyDirectory => Path.Combine(DataDirectory, "keys");
}
