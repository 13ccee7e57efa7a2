using System.Net;
using SimpleXLedger.Hosting.Startup;

namespace SimpleXLedger.Files;

/// <summary>How a file relay runs (see <c>sxl files serve --help</c>).</summary>
public sealed record FilesOptions
{
    public required string DataDirectory { get; init; }

    public IPEndPoint Listen { get; init; } = new(IPAddress.Loopback, 5226);

    /// <summary>The host name in the relay's address (default: the listen address).</summary>
    public string? PublicHost { get; init; }

    /// <summary>The metering plugin's id: <c>none</c> (unmetered, everything free) or <c>tokens</c>.</summary>
    public string Metering { get; init; } = "none";

    public string PluginsDirectory { get; init; } = Path.Combine(AppContext.BaseDirectory, "plugins");

    /// <summary>The plugin's settings (the tokens plugin's issuerName, tokenKeys…).</summary>
    public IReadOnlyDictionary<string, string> MeteringSettings { get; init; } = new Dictionary<string, string>();

    /// <summary>How long a chunk lives after it is registered (XFTP's default: 48 hours).</summary>
    public TimeSpan ChunkTtl { get; init; } = TimeSpan.FromHours(48);

    /// <summary>Bytes of chunks the relay holds at most (registered chunks count at their full size).</summary>
    public long QuotaBytes { get; init; } = 10L * 1024 * 1024 * 1024;

    public int MaxRecipients { get; init; } = 64;

    /// <summary>When set, registering a chunk needs this password (XFTP's basic auth for uploads).</summary>
    public string? UploadPassword { get; init; }

    /// <summary>Storage price in microcredits per MiB-day (one token = 1,000,000), for the chunk's whole lifetime.</summary>
    public long StorageMicrosPerMiBDay { get; init; } = 100_000;

    /// <summary>Download price in microcredits per MiB, paid at registration for each recipient id.</summary>
    public long DownloadMicrosPerMiB { get; init; } = 10_000;

    /// <summary>How often expired chunks are removed.</summary>
    public TimeSpan SweepInterval { get; init; } = TimeSpan.FromMinutes(5);

    public bool Devnet { get; init; }

    /// <summary>The token issuer's directory URL (devnet), passed to the plugin as the <c>issuer</c> setting.</summary>
    public string? Issuer { get; init; }

    public ServiceObservability Observability { get; init; } = ServiceObservability.None;

    /// <summary>Unmetered: the <c>none</c> plugin, or both prices zero.</summary>
    public bool Free => Metering == "none" || (StorageMicrosPerMiBDay == 0 && DownloadMicrosPerMiB == 0);

    /// <summary>What is wrong with these options, or null.</summary>
    public string? Validate()
    {
        if (ChunkTtl < TimeSpan.FromSeconds(1))
        {
            return "--ttl must be at least one second";
        }

        if (QuotaBytes < Client.FilesProtocol.ChunkSizes[^1])
        {
            return "--quota must hold at least one 4 MiB chunk";
        }

        if (MaxRecipients is < 1 or > 1024)
        {
            return "--max-recipients must be between 1 and 1024";
        }

        if (StorageMicrosPerMiBDay < 0 || DownloadMicrosPerMiB < 0)
        {
            return "prices must not be negative";
        }

        if (SweepInterval < TimeSpan.FromSeconds(1) || SweepInterval > TimeSpan.FromDays(30))
        {
            return "the sweep interval must be between one second and 30 days";
        }

        if (UploadPassword is { Length: 0 })
        {
            return "--upload-password must not be empty";
        }

        return null;
    }
}
