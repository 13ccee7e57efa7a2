using System.Reflection;
using System.Runtime.Loader;
using SimpleXLedger.Relay.Metering;

namespace SimpleXLedger.Relay.Plugins;

/// <summary>
/// Finds a metering plugin in <c>&lt;plugins&gt;/&lt;id&gt;/</c> and loads it in an AssemblyLoadContext of
/// its own. Only the contract assembly (and the logging abstractions it exposes) is shared with the
/// relay, so the plugin's types meet the relay's interfaces; every other assembly the plugin brings
/// loads privately from its directory, so plugins cannot clash with the relay or with each other.
/// </summary>
public static class PluginLoader
{
    private static readonly HashSet<string> Shared = new(StringComparer.OrdinalIgnoreCase)
    {
        typeof(IMeteringPlugin).Assembly.GetName().Name!,
        "Microsoft.Extensions.Logging.Abstractions",
        "Microsoft.Extensions.DependencyInjection.Abstractions",
    };

    /// <summary>Plugin ids present (directories) under <paramref name="pluginsDirectory"/>.</summary>
    public static IReadOnlyList<string> Available(string pluginsDirectory) =>
        Directory.Exists(pluginsDirectory)
            ? Directory.GetDirectories(pluginsDirectory).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList()
            : [];

    public static IMeteringPlugin Load(string pluginsDirectory, string id)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        if (id.IndexOfAny(['/', '\\', '.']) >= 0)
        {
            throw new PluginLoadException($"'{id}' is not a plugin id");
        }

        var directory = Path.Combine(pluginsDirectory, id);
        if (!Directory.Exists(directory))
        {
            var available = Available(pluginsDirectory);
            throw new PluginLoadException($"no metering plugin '{id}' in {pluginsDirectory} (available: {(available.Count == 0 ? "none" : string.Join(", ", available))})");
        }

        // The plugin's main assembly is the one its deps.json describes.
        var deps = Directory.GetFiles(directory, "*.deps.json");
        if (deps.Length != 1)
        {
            throw new PluginLoadException($"plugin directory {directory} must hold exactly one *.deps.json (the plugin's build output)");
        }

        var mainPath = Path.Combine(directory, Path.GetFileName(deps[0])[..^".deps.json".Length] + ".dll");
        if (!File.Exists(mainPath))
        {
            throw new PluginLoadException($"plugin assembly {mainPath} is missing");
        }

        var context = new PluginLoadContext(id, mainPath);
        Assembly assembly;
        try
        {
            assembly = context.LoadFromAssemblyPath(mainPath);
        }
        catch (Exception e) when (e is BadImageFormatException or FileLoadException or FileNotFoundException)
        {
            throw new PluginLoadException($"plugin '{id}' could not be loaded: {e.GetType().Name}", e);
        }

        Type[] types;
        try
        {
            types = assembly.GetExportedTypes();
        }
        catch (Exception e) when (e is ReflectionTypeLoadException or FileNotFoundException or FileLoadException)
        {
            throw new PluginLoadException($"plugin '{id}' could not be loaded: {e.GetType().Name} (built against another contract?)", e);
        }

        var pluginTypes = types.Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IMeteringPlugin).IsAssignableFrom(t)).ToList();
        if (pluginTypes.Count != 1)
        {
            throw new PluginLoadException($"plugin assembly {Path.GetFileName(mainPath)} must have exactly one public IMeteringPlugin type, found {pluginTypes.Count}");
        }

        IMeteringPlugin plugin;
        try
        {
            plugin = (IMeteringPlugin)Activator.CreateInstance(pluginTypes[0])!;
        }
        catch (Exception e) when (e is TargetInvocationException or MissingMethodException or MemberAccessException)
        {
            throw new PluginLoadException($"plugin type {pluginTypes[0].FullName} could not be created (needs a public parameterless constructor that does not throw)", e);
        }

        if (!string.Equals(plugin.Id, id, StringComparison.Ordinal))
        {
            throw new PluginLoadException($"plugin in directory '{id}' calls itself '{plugin.Id}'");
        }

        return plugin;
    }

    private sealed class PluginLoadContext(string id, string mainPath) : AssemblyLoadContext($"metering-plugin:{id}", isCollectible: false)
    {
        private readonly AssemblyDependencyResolver _resolver = new(mainPath);

        protected override Assembly? Load(AssemblyName assemblyName)
        {
            if (assemblyName.Name is { } name && Shared.Contains(name))
            {
                return null; // the relay's copy: one type identity for the contract
            }

            var path = _resolver.ResolveAssemblyToPath(assemblyName);
            return path is null ? null : LoadFromAssemblyPath(path);
        }

        protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
        {
            var path = _resolver.ResolveUnmanagedDllToPath(unmanagedDllName);
            return path is null ? IntPtr.Zero : LoadUnmanagedDllFromPath(path);
        }
    }
}

/// <summary>The configured metering plugin could not be found or loaded; the relay does not start.</summary>
public sealed class PluginLoadException : Exception
{
    public PluginLoadException()
    {
    }

    public PluginLoadException(string message)
        : base(message)
    {
    }

    public PluginLoadException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
