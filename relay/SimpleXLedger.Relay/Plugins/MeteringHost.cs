using Microsoft.Extensions.Logging;
using SimpleXLedger.Relay.Metering;

namespace SimpleXLedger.Relay.Plugins;

/// <summary>Registers the metering plugin with the relay and guards its policy.</summary>
internal static class MeteringHost
{
    /// <summary>
    /// Gives the plugin its context (merged settings, its own logger and directory, its store, and the relay's
    /// <paramref name="services"/>, where it finds an <see cref="Metering.Tokens.ITokenRedeemer"/> or
    /// <see cref="Metering.Tokens.ITokenKeySource"/> when the host registered one) and wraps the policy it returns.
    /// A plugin that refuses to start is a <see cref="PluginLoadException"/>.
    /// </summary>
    public static GuardedPolicy Start(IMeteringPlugin plugin, PluginStore store, RelayOptions options, TimeProvider time, ILoggerFactory loggers, IServiceProvider services)
    {
        var pluginDirectory = Path.Combine(options.DataDirectory, "metering", plugin.Id);
        Directory.CreateDirectory(pluginDirectory);
        var context = new MeteringPluginContext(
            MeteringSettings.Merge(options),
            loggers.CreateLogger($"SimpleXLedger.Relay.Metering.{plugin.Id}"),
            time,
            pluginDirectory,
            store,
            services);
        IMeteringPolicy policy;
        try
        {
            policy = plugin.Register(context);
        }
        catch (Exception e)
        {
            throw new PluginLoadException($"metering plugin '{plugin.Id}' refused to start: {e.GetType().Name}: {e.Message}", e);
        }

        return new GuardedPolicy(plugin, policy, options.MeteringFailOpen, options.MeteringTimeout, loggers.CreateLogger("SimpleXLedger.Relay"));
    }
}
