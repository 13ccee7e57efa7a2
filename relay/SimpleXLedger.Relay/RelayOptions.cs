using System.Net;
using SimpleXLedger.Hosting.Startup;

namespace SimpleXLedger.Relay;

/// <summary>How a relay runs: where it keeps data and listens, its limits, and its metering.</summary>
public sealed record RelayOptions
{
    public required string DataDirectory { get; init; }

    public IPEndPoint Listen { get; init; } = new(IPAddress.Loopback, 5223);

    /// <summary>Host name written in the relay's address (defaults to the listen address).</summary>
    public string? PublicHost { get; init; }

    /// <summary>The metering plugin's id (its directory under <see cref="PluginsDirectory"/>).</summary>
    public string Metering { get; init; } = "none";

    /// <summary>Where plugins are found, one directory per plugin id; defaults to <c>plugins/</c> beside the program.</summary>
    public string PluginsDirectory { get; init; } = Path.Combine(AppContext.BaseDirectory, "plugins");

    /// <summary>Plugin settings (merged over <c>metering.json</c> in the data directory).</summary>
    public IReadOnlyDictionary<string, string> MeteringSettings { get; init; } = new Dictionary<string, string>();

    /// <summary>When the metering plugin throws: true accepts the work free of charge, false refuses it (UNAVAILABLE).</summary>
    public bool MeteringFailOpen { get; init; }

    /// <summary>How long a plugin call may take before it counts as failed.</summary>
    public TimeSpan MeteringTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public int MaxMessageBytes { get; init; } = 16_064;

    public int QueueQuota { get; init; } = 128;

    public TimeSpan MessageTtl { get; init; } = TimeSpan.FromDays(21);

    /// <summary>When set, creating a queue needs this password (as smp-server's create_password).</summary>
    public string? CreatePassword { get; init; }

    /// <summary>How often undelivered messages are expired and storage is charged.</summary>
    public TimeSpan SweepInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Most units of work in one group commit.</summary>
    public int MaxCommitBatch { get; init; } = 1024;

    /// <summary>Commands in flight on one session stream before the relay stops reading it.</summary>
    public int MaxSessionInFlight { get; init; } = 512;

    public bool Devnet { get; init; }

    /// <summary>Retiring the relay: existing queues keep working, creating one is refused (<c>NO_NEW_QUEUES</c>).</summary>
    public bool NoNewQueues { get; init; }

    /// <summary>Prometheus metrics listener and gRPC reflection (health checks are always served).</summary>
    public ServiceObservability Observability { get; init; } = ServiceObservability.None;

    /// <summary>The token issuer's directory URL (devnet), passed to the metering plugin as the <c>issuer</c> setting.</summary>
    public string? Issuer { get; init; }
}
