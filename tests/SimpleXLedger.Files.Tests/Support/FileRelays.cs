using System.Net;
using Microsoft.Extensions.Logging;
using SimpleXLedger.Files.Hosting;
using SimpleXLedger.Testing;

namespace SimpleXLedger.Files.Tests.Support;

/// <summary>Real file relays in process: Kestrel, gRPC over TLS on loopback, SQLite and chunk files in a temporary directory.</summary>
internal static class FileRelays
{
    /// <summary>The plugins directory of the built sxl program (where the shipped plugins copy themselves).</summary>
    public static string ShippedPlugins => Path.Combine(Path.GetDirectoryName(RepositoryPaths.SxlDll)!, "plugins");

    public static FilesOptions Options(string dataDirectory, string metering = "none") => new()
    {
        DataDirectory = dataDirectory,
        Listen = new IPEndPoint(IPAddress.Loopback, 0),
        Metering = metering,
        PluginsDirectory = ShippedPlugins,
    };

    public static Task<FilesServer> StartAsync(FilesOptions options, TimeProvider? time = null) =>
        FilesServer.StartAsync(options, time: time, loggers: LoggerFactory.Create(_ => { }));
}
