using SimpleXLedger.Hosting.Startup;
using System.Net;
using System.Net.Security;
using Grpc.Net.Client;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SimpleXLedger.Cards;
using SimpleXLedger.Issuer;
using SimpleXLedger.Issuer.Cards;
using SimpleXLedger.Issuer.Hosting;
using SimpleXLedger.Issuer.Keys;
using SimpleXLedger.Issuer.Ledger;
using SimpleXLedger.Issuer.Storage;
using SimpleXLedger.Net.Tls;
using SimpleXLedger.Tokens;

namespace SimpleXLedger.Testing.Hosts;

/// <summary>
/// A real issuer host in this process: Kestrel on two free loopback ports, TLS on both (self-signed, pinned by the
/// clients), a real SQLite file, development mode (cards are active when imported), seeded with an issuing key that
/// is usable at once (a fresh one, or a test's shared key so no test waits for key generation).
/// </summary>
public sealed class IssuerServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly byte[] _fingerprint;

    private IssuerServer(WebApplication app, string directory, IssuerEndpoints endpoints, byte[] fingerprint, TokenPublicKey key)
    {
        _app = app;
        Directory = directory;
        Endpoints = endpoints;
        _fingerprint = fingerprint;
        Key = key;
    }

    public string Directory { get; }

    public IssuerEndpoints Endpoints { get; }

    public TokenPublicKey Key { get; }

    public Uri GrpcUrl => new(IssuerHost.UrlOf(Endpoints.Grpc, Endpoints));

    public Uri HttpUrl => new(IssuerHost.UrlOf(Endpoints.Http, Endpoints));

    public IServiceProvider Services => _app.Services;

    /// <summary>Where <c>/metrics</c> is served, or null without a metrics listener.</summary>
    public Uri? MetricsUrl => ServiceHost.MetricsUrl(_app);

    /// <summary>The issuer name a test server uses unless told otherwise.</summary>
    public const string DefaultName = "issuer.test";

    /// <param name="configure">Changes to the default settings (the name, windows, limits).</param>
    /// <param name="tls">TLS on the loopback listeners too (the default, as wallets pin it).</param>
    /// <param name="logs">Where the host logs (everything, from Trace), if anywhere.</param>
    /// <param name="key">The issuing key to seed (disposed after); by default a fresh one.</param>
    /// <param name="listen">The loopback address to listen on (127.0.0.1 unless a test puts something else there).</param>
    public static async Task<IssuerServer> StartAsync(Func<IssuerSettings, IssuerSettings>? configure = null, bool tls = true, ILoggerProvider? logs = null, Func<TokenPrivateKey>? key = null, IPAddress? listen = null, ServiceObservability? observability = null, Func<IssuerEndpoints, IssuerEndpoints>? configureEndpoints = null)
    {
        listen ??= IPAddress.Loopback;
        var directory = System.IO.Directory.CreateTempSubdirectory("sxl-issuer-host-").FullName;
        var settings = new IssuerSettings
        {
            DataDirectory = Path.Combine(directory, "data"),
            Name = DefaultName,
            Devnet = true,
            Windows = KeyWindowPolicy.Devnet,
        };
        settings = configure?.Invoke(settings) ?? settings;
        var ledger = new DevelopmentLedger(TimeProvider.System);
        var seeded = await SeedKeyAsync(settings, ledger, key ?? TokenPrivateKey.Generate);
        var endpoints = new IssuerEndpoints
        {
            Http = new IPEndPoint(listen, FreePort.Next()),
            Grpc = new IPEndPoint(listen, FreePort.Next()),
            TlsOnLoopback = tls,
            Observability = observability ?? ServiceObservability.None,
        };
        endpoints = configureEndpoints?.Invoke(endpoints) ?? endpoints;
        var app = await IssuerHost.BuildAsync(settings, endpoints, ledger, null, logs is null ? null : l =>
        {
            l.SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Trace);
            l.AddProvider(logs);
        });
        await app.StartAsync();
        using var certificate = SelfSignedCertificate.LoadOrCreate(settings.DataDirectory, settings.Name);
        return new IssuerServer(app, directory, endpoints, CertificateFingerprint.Sha256(certificate), seeded);
    }

    /// <summary>Puts a key into a fresh data directory as the issuing key, issuing from a second ago (the host would otherwise generate one and wait out the usable delay).</summary>
    public static async Task<TokenPublicKey> SeedKeyAsync(IssuerSettings settings, ILedgerView ledger, Func<TokenPrivateKey> keySource)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(keySource);
        await DataDirectory.OpenAsync(settings, IssuerMode.Development, null);
        using var key = keySource();
        var keyId = "0x" + key.PublicKey.KeyIdHex;
        using (var files = new KeyFiles(settings.DataDirectory, settings.KeyPassphrase))
        {
            files.Save(keyId, key);
        }

        await using var db = new IssuerDbContext(IssuerDatabase.Options(settings.DatabasePath));
        var now = await ledger.LatestBlockTimeAsync(default);
        db.TokenKeys.Add(new TokenKeyRow
        {
            Id = keyId,
            Spki = key.PublicKey.ExportSpki(),
            UsableFrom = now - 1,
            IssueUntil = now - 1 + (long)settings.Windows.IssueWindow.TotalSeconds,
            RedeemUntil = now - 1 + (long)(settings.Windows.IssueWindow + settings.Windows.RedeemWindow).TotalSeconds,
            Anchoring = KeyAnchoring.Local,
            CreatedAt = now,
        });
        await db.SaveChangesAsync();
        return key.PublicKey;
    }

    /// <summary>A TLS handler that trusts exactly this server's certificate.</summary>
    public SocketsHttpHandler PinnedHandler() => new()
    {
        EnableMultipleHttp2Connections = true,
        SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, certificate, _, _) => CertificateFingerprint.Matches(certificate, _fingerprint),
        },
    };

    public GrpcChannel Channel() => GrpcChannel.ForAddress(GrpcUrl, new GrpcChannelOptions { HttpHandler = PinnedHandler() });

    public HttpClient Http() => new(PinnedHandler()) { BaseAddress = HttpUrl };

    public byte[] Fingerprint => _fingerprint;

    public async Task<IReadOnlyList<CardCode>> CreateCardsAsync(ulong credits, int count = 1, string vendor = "vendor-1")
    {
        var (codes, batch) = CardMint.Generate(vendor, credits, count, 1);
        await using var scope = _app.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<IMediator>().Send(new ImportCards(batch, BatchOrigin.Created));
        return codes;
    }

    public async Task<CardInfo> CardAsync(CardCode code)
    {
        ArgumentNullException.ThrowIfNull(code);
        return await FindCardAsync(code) ?? throw new InvalidOperationException("the issuer does not know that card");
    }

    /// <summary>What the issuer's database says of a card, or null when it does not know it.</summary>
    public async Task<CardInfo?> FindCardAsync(CardCode code)
    {
        ArgumentNullException.ThrowIfNull(code);
        await using var scope = _app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<IMediator>().Send(new GetCardInfo(code.ComputeHash()));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Harmless.
        }
    }
}
