using System.Text.Json;

namespace SimpleXLedger.Relay.Plugins;

/// <summary>The metering plugin's settings: <c>metering.json</c> in the data directory, then the command line's settings over it, then what the relay adds.</summary>
internal static class MeteringSettings
{
    public static Dictionary<string, string> Merge(RelayOptions options)
    {
        var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var file = Path.Combine(options.DataDirectory, "metering.json");
        if (File.Exists(file))
        {
            using var json = JsonDocument.Parse(File.ReadAllText(file));
            foreach (var p in json.RootElement.EnumerateObject())
            {
                settings[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText();
            }
        }

        foreach (var (k, v) in options.MeteringSettings)
        {
            settings[k] = v;
        }

        settings["devnet"] = options.Devnet ? "true" : "false";
        if (options.Issuer is not null)
        {
            settings["issuer"] = options.Issuer;
        }

        return settings;
    }
}
