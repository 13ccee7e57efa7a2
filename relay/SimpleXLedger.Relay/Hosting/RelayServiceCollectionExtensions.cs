using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SimpleXLedger.Relay.Metering;
using SimpleXLedger.Relay.Plugins;
using SimpleXLedger.Relay.Queues;
using SimpleXLedger.Relay.Storage;

namespace SimpleXLedger.Relay.Hosting;

/// <summary>The relay's own services in its ASP.NET Core container.</summary>
internal static class RelayServiceCollectionExtensions
{
    /// <summary>
    /// The opened store, the metering plugin, its store and host (<see cref="GuardedPolicy"/>, registered on first
    /// use with the container as the plugin's service provider) and the engine. All singletons made by factories,
    /// so the container disposes them in reverse order: engine, plugin host, store. Needs <see cref="RelayOptions"/>
    /// and <see cref="ILoggerFactory"/> registered. The clock is not registered as a <see cref="TimeProvider"/>
    /// service, so a test's fake clock reaches only the relay, not ASP.NET Core.
    /// </summary>
    public static IServiceCollection AddRelayEngine(this IServiceCollection services, RelayStore store, IMeteringPlugin plugin, TimeProvider time)
    {
        services.AddSingleton(_ => store);
        services.AddSingleton(plugin);
        services.AddSingleton(sp => PluginStore.Open(plugin.Id, sp.GetRequiredService<RelayStore>()));
        services.AddSingleton(sp => MeteringHost.Start(
            plugin,
            sp.GetRequiredService<PluginStore>(),
            sp.GetRequiredService<RelayOptions>(),
            time,
            sp.GetRequiredService<ILoggerFactory>(),
            sp));
        services.AddSingleton(sp => new RelayEngine(
            sp.GetRequiredService<RelayStore>(),
            sp.GetRequiredService<GuardedPolicy>(),
            sp.GetRequiredService<PluginStore>(),
            sp.GetRequiredService<RelayOptions>(),
            time,
            sp.GetRequiredService<ILoggerFactory>().CreateLogger("SimpleXLedger.Relay")));
        return services;
    }
}
