namespace SimpleXLedger.Relay.Metering;

/// <summary>
/// A metering plugin, as BTCPay Server's plugins: an identifier, a version, a description, and one
/// registration call that receives the relay's configuration and services and returns the policy.
/// A plugin assembly has a public type implementing this with a public parameterless constructor;
/// the relay finds it in <c>plugins/&lt;id&gt;/</c> and loads it in its own AssemblyLoadContext.
/// </summary>
public interface IMeteringPlugin
{
    /// <summary>Lower-case identifier, the name of the plugin's directory and of <c>--metering</c>.</summary>
    string Id { get; }

    Version Version { get; }

    string Description { get; }

    /// <summary>Called once at relay start. Throwing here stops the relay from starting (bad configuration).</summary>
    IMeteringPolicy Register(MeteringPluginContext context);
}
