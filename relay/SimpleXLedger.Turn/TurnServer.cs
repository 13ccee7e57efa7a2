using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SimpleXLedger.Hosting.Startup;
using SimpleXLedger.Net;
using SimpleXLedger.Net.Tls;
using SimpleXLedger.Relay.Metering;
using SimpleXLedger.Relay.Metering.Tokens;
using SimpleXLedger.Relay.Plugins;

namespace SimpleXLedger.Turn;

/// <summary>
/// A running TURN credential service: the relay's tokens metering plugin (loaded from the plugins directory, given the
/// host's redeemer and key source as a relay gives them), its spent-set in <c>turn.db</c>, and Kestrel serving gRPC on
/// HTTP/2 with TLS under the service's own persisted certificate (pinned address <c>sxl://fingerprint@host:port</c>).
/// </summary>
public sealed class TurnServer : IAsyncDisposable
{
    /// <summary>The spent-set's SQLite file in the data directory.</summary>
    public const string DatabaseFileName = "turn.db";

    public const string TokensPluginId = "tokens";

    private readonly WebApplication _app;
    private readonly IMeteringPolicy _policy;
    private readonly SpentStore _store;
    private readonly ServiceProvider _hostServices;

    private TurnServer(WebApplication app, PinnedAddress address, TurnCredentialIssuer issuer, IMeteringPolicy policy, SpentStore store, ServiceProvider hostServices)
    {
        _app = app;
        Address = address;
        Issuer = issuer;
        _policy = policy;
        _store = store;
        _hostServices = hostServices;
    }

    public PinnedAddress Address { get; }

    public TurnCredentialIssuer Issuer { get; }

    /// <summary>Tokens in the service's spent-set.</summary>
    public int SpentCount => _store.Scan("spent:").Count;

    /// <summary>
    /// Starts the service. <paramref name="redeemer"/> (the clearing house) and <paramref name="keySource"/> (the ledger's
    /// registry) are offered to the tokens plugin; they stay the caller's to dispose. Throws <see cref="TurnSecretException"/>,
    /// <see cref="PluginLoadException"/> or <see cref="ArgumentException"/> (bad options) before anything listens.
    /// </summary>
    public static async Task<TurnServer> StartAsync(TurnOptions options, ITokenRedeemer? redeemer = null, ITokenKeySource? keySource = null, TimeProvider? time = null, ILoggerFactory? loggers = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Validate() is { } error)
        {
            throw new ArgumentException(error, nameof(options));
        }

        time ??= TimeProvider.System;
        loggers ??= LoggerFactory.Create(logging => logging
            .AddSimpleConsole(o => o.SingleLine = true)
            .AddFilter("Microsoft", LogLevel.Warning)
            .AddFilter("Grpc", LogLevel.Warning)
            .Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
        var secret = TurnSecret.Open(options.SecretFile);
        var plugin = PluginLoader.Load(options.PluginsDirectory, TokensPluginId);
        Directory.CreateDirectory(options.DataDirectory);
        var certificate = SelfSignedCertificate.LoadOrCreate(options.DataDirectory, "sxl-turn");
        var fingerprint = CertificateFingerprint.Sha256(certificate);

        var hostServices = new ServiceCollection();
        if (redeemer is not null)
        {
            hostServices.AddSingleton(redeemer);
        }

        if (keySource is not null)
        {
            hostServices.AddSingleton(keySource);
        }

        var provider = hostServices.BuildServiceProvider();
        var store = SpentStore.Open(Path.Combine(options.DataDirectory, DatabaseFileName));
        IMeteringPolicy? policy = null;
        WebApplication? app = null;
        try
        {
            var settings = new Dictionary<string, string>(options.TokenSettings, StringComparer.OrdinalIgnoreCase)
            {
                ["devnet"] = options.Devnet ? "true" : "false",
                // Credentials are never issued on the operator's risk: an unreachable clearing house means "try again later".
                ["riskBudget"] = "0",
            };
            if (options.Issuer is not null)
            {
                settings["issuer"] = options.Issuer;
            }

            var pluginDirectory = Path.Combine(options.DataDirectory, "metering", plugin.Id);
            Directory.CreateDirectory(pluginDirectory);
            try
            {
                policy = plugin.Register(new MeteringPluginContext(settings, loggers.CreateLogger("SimpleXLedger.Turn.Tokens"), time, pluginDirectory, store, provider));
            }
            catch (Exception e) when (e is ArgumentException or FormatException or InvalidOperationException)
            {
                throw new PluginLoadException($"the tokens plugin refused to start: {e.Message}", e);
            }

            var issuer = new TurnCredentialIssuer(policy, store, secret, options, time);
            var builder = ServiceHost.CreateBuilder();
            builder.Services.AddSingleton(issuer);
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(options.Listen, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                listen.UseHttps(certificate);
            }));
            builder.Services.AddServiceDefaults(options.DataDirectory, 8 * 1024);
            app = builder.Build();
            app.UseServiceDefaults();
            app.MapGrpcService<TurnGrpcService>();
            await app.StartAsync(cancellationToken);
            var address = ServiceHost.BoundAddress(app, options.Listen, options.PublicHost, fingerprint);
            return new TurnServer(app, address, issuer, policy, store, provider);
        }
        catch
        {
            if (app is not null)
            {
                await app.DisposeAsync();
            }

            if (policy is not null)
            {
                await policy.DisposeAsync();
            }

            store.Dispose();
            await provider.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        using (var stopTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await _app.StopAsync(stopTimeout.Token);
        }

        await _app.DisposeAsync();
        await _policy.DisposeAsync();
        _store.Dispose();
        await _hostServices.DisposeAsync();
    }
}
