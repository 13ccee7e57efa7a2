using Microsoft.Extensions.Logging;

namespace SimpleXLedger.Relay.Metering;

/// <summary>What the relay gives a plugin at registration.</summary>
public sealed class MeteringPluginContext
{
    public MeteringPluginContext(
        IReadOnlyDictionary<string, string> settings,
        ILogger logger,
        TimeProvider time,
        string dataDirectory,
        IMeteringStore store,
        IServiceProvider services)
    {
        Settings = settings;
        Logger = logger;
        Time = time;
        DataDirectory = dataDirectory;
        Store = store;
        Services = services;
    }

    /// <summary>
    /// The plugin's configuration (case-insensitive keys), from the relay's command line and
    /// <c>metering.json</c>. The relay adds <c>devnet</c> ("true"/"false") and, when given, <c>issuer</c>.
    /// </summary>
    public IReadOnlyDictionary<string, string> Settings { get; }

    /// <summary>Log ids and counts, never tokens, keys or queue ids.</summary>
    public ILogger Logger { get; }

    /// <summary>The relay's clock (tests move it).</summary>
    public TimeProvider Time { get; }

    /// <summary>A directory of the plugin's own under the relay's data directory.</summary>
    public string DataDirectory { get; }

    /// <summary>The plugin's durable key-value state, written in the relay's own transactions.</summary>
    public IMeteringStore Store { get; }

    /// <summary>Services the host offers, such as <see cref="Tokens.ITokenRedeemer"/> or <see cref="Tokens.ITokenKeySource"/>; absent ones return null.</summary>
    public IServiceProvider Services { get; }

    public string? Setting(string key) => Settings.TryGetValue(key, out var value) ? value : null;
}
