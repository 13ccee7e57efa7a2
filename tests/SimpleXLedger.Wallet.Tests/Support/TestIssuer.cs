using System.Net;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using SimpleXLedger.Cards;
using SimpleXLedger.Issuer;
using SimpleXLedger.Issuer.Cards;
using SimpleXLedger.Issuer.Hosting;
using SimpleXLedger.Issuer.Keys;
using SimpleXLedger.Issuer.Ledger;
using SimpleXLedger.Issuer.Storage;
using SimpleXLedger.Net.Tls;
using SimpleXLedger.Testing;
using SimpleXLedger.Tokens;
using SimpleXLedger.Wallet.Issuance;

namespace SimpleXLedger.Wallet.Tests.Support;

/// <summary>
/// A real issuer in this process: Kestrel with TLS on two loopback ports (the wallet pins its certificate), a real
/// SQLite file, development mode (cards are active when imported), with a freshly generated issuing key.
/// </summary>
public sealed class TestIssuer : IAsyncDisposable
{
    public const string Name = "issuer.wallet.test";

    private readonly WebApplication _app;
    private readonly string _directory;

    private TestIssuer(WebApplication app, string directory, IssuerEndpoints endpoints, byte[] fingerprint, TokenPublicKey key)
    {
        _app = app;
        _directory = directory;
        Endpoints = endpoints;
        Fingerprint = fingerprint;
        Key = key;
    }

    public IssuerEndpoints Endpoints { get; }

    public byte[] Fingerprint { get; }

    /// <summary>The key it issues with.</summary>
    public TokenPublicKey Key { get; }

    public string GrpcUrl => IssuerHost.UrlOf(Endpoints.Grpc, Endpoints);

    public string HttpUrl => IssuerHost.UrlOf(Endpoints.Http, Endpoints);

    public IssuerEndpoint Endpoint => new(new Uri(GrpcUrl), new Uri(HttpUrl), Fingerprint);

    public string FingerprintText => CertificateFingerprint.ToText(Fingerprint);

    /// <param name="listen">The loopback address to listen on (127.0.0.1 unless a test puts something else on that address).</param>
    public static async Task<TestIssuer> StartAsync(IPAddress? listen = null)
    {
        listen ??= IPAddress.Loopback;
        var directory = Directory.CreateTempSubdirectory("sxl-wallet-issuer-").FullName;
        var settings = new IssuerSettings
        {
            DataDirectory = Path.Combine(directory, "data"),
            Name = Name,
            Devnet = true,
            Windows = KeyWindowPolicy.Devnet with { IssueWindow = TimeSpan.FromHours(2) },
            IdempotencyWindow = TimeSpan.FromHours(1),
        };
        var ledger = new DevelopmentLedger(TimeProvider.System);
        var key = await SeedKeyAsync(settings, ledger);
        var endpoints = new IssuerEndpoints
        {
            Http = new IPEndPoint(listen, FreePort.Next()),
            Grpc = new IPEndPoint(listen, FreePort.Next()),
            TlsOnLoopback = true,
        };
        var app = await IssuerHost.BuildAsync(settings, endpoints, ledger, null);
        await app.StartAsync();
        using var certificate = SelfSignedCertificate.LoadOrCreate(settings.DataDirectory, settings.Name);
        return new TestIssuer(app, directory, endpoints, CertificateFingerprint.Sha256(certificate), key);
    }

    /// <summary>A fresh key, issuing from a second ago (the host would otherwise wait out the usable delay).</summary>
    private static async Task<TokenPublicKey> SeedKeyAsync(IssuerSettings settings, ILedgerView ledger)
    {
        await DataDirectory.OpenAsync(settings, IssuerMode.Development, null);
        using var key = TokenPrivateKey.Generate();
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

    /// <summary>New active cards (development mode), their codes as a person would type them.</summary>
    public async Task<IReadOnlyList<string>> CreateCardsAsync(ulong credits, int count = 1)
    {
        var (codes, batch) = CardMint.Generate("vendor-wallet-tests", credits, count, 1);
        await using var scope = _app.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<IMediator>().Send(new ImportCards(batch, BatchOrigin.Created));
        return [.. codes.Select(c => c.Reveal())];
    }

    /// <summary>Credits left on a card, as the issuer's database says.</summary>
    public async Task<long> RemainingAsync(string code)
    {
        await using var scope = _app.Services.CreateAsyncScope();
        var info = await scope.ServiceProvider.GetRequiredService<IMediator>().Send(new GetCardInfo(CardCode.Parse(code).ComputeHash()));
        return info?.Remaining ?? -1;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Harmless.
        }
    }
}
