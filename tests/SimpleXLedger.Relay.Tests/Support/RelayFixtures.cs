using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SimpleXLedger.Relay.Hosting;
using SimpleXLedger.Testing;

namespace SimpleXLedger.Relay.Tests.Support;

/// <summary>A clock the test moves.</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}

/// <summary>Captures log lines, to check what a relay writes (and that it leaks nothing).</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyCollection<string> Lines => _lines;

    public string All => string.Join('\n', _lines);

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            owner._lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)}{(exception is null ? string.Empty : " " + exception)}");
        }
    }
}

public static class Relays
{
    /// <summary>The shipped plugins, where the build puts them beside the sxl program.</summary>
    public static string ShippedPlugins => System.IO.Path.Combine(System.IO.Path.GetDirectoryName(RepositoryPaths.SxlDll)!, "plugins");

    /// <summary>The test-only plugin's directory (built by SimpleXLedger.Relay.Tests.Plugin).</summary>
    public static string TestPlugins => System.IO.Path.Combine(AppContext.BaseDirectory, "test-plugins");

    public static RelayOptions Options(string dataDirectory, string metering = "none") => new()
    {
        DataDirectory = dataDirectory,
        Listen = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0),
        Metering = metering,
        PluginsDirectory = metering == "testmeter" ? TestPlugins : ShippedPlugins,
    };

    public static Task<RelayServer> StartAsync(RelayOptions options, TimeProvider? time = null, CapturingLoggerProvider? log = null, Action<IServiceCollection>? services = null)
    {
        var loggers = LoggerFactory.Create(b =>
        {
            b.SetMinimumLevel(LogLevel.Information);
            if (log is not null)
            {
                b.AddProvider(log);
            }
        });
        return RelayServer.StartAsync(options, services, time, loggers);
    }
}
