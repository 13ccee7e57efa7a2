using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using SimpleXLedger.Chain.Devnet;
using SimpleXLedger.Chain.Services;
using SimpleXLedger.Issuer;
using SimpleXLedger.Issuer.Hosting;
using SimpleXLedger.Issuer.Keys;
using SimpleXLedger.Issuer.Ledger;
using SimpleXLedger.Net.Tls;
using SimpleXLedger.Testing;
using SimpleXLedger.Tokens;
using SimpleXLedger.Wallet.Issuance;

namespace SimpleXLedger.Wallet.Tests.Support;

/// <summary>
/// A real issuer in ledger mode in this process: it anchors its own key in the registry, and activates a card only
/// once it sees the card's purchase on-chain (its maintenance pass runs every half second here).
/// </summary>
public sealed class LedgerIssuer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ChainConnection _connection;
    private readonly string _directory;

    private LedgerIssuer(WebApplication app, ChainConnection connection, string directory, IssuerEndpoint endpoint)
    {
        _app = app;
        _connection = connection;
        _directory = directory;
        Endpoint = endpoint;
    }

    public IssuerEndpoint Endpoint { get; }

    public static async Task<LedgerIssuer> StartAsync(string rpcUrl, string ledger)
    {
        var directory = Directory.CreateTempSubdirectory("sxl-wallet-ledger-issuer-").FullName;
        var connection = await ChainConnection.ConnectAsync(rpcUrl, DevAccounts.Issuer.Key);
        var chainLedger = new ChainLedger(await LedgerClient.AttachAsync(connection, ledger));
        var settings = new IssuerSettings
        {
            DataDirectory = Path.Combine(directory, "data"),
            Name = TestIssuer.Name,
            Devnet = true,
            Windows = KeyWindowPolicy.Devnet,
            MaintenanceInterval = TimeSpan.FromMilliseconds(500),
        };
        var endpoints = new IssuerEndpoints
        {
            Http = new IPEndPoint(IPAddress.Loopback, FreePort.Next()),
            Grpc = new IPEndPoint(IPAddress.Loopback, FreePort.Next()),
            TlsOnLoopback = true,
        };
        var app = await IssuerHost.BuildAsync(settings, endpoints, chainLedger, chainLedger);
        await app.StartAsync();
        using var certificate = SelfSignedCertificate.LoadOrCreate(settings.DataDirectory, settings.Name);
        var endpoint = new IssuerEndpoint(new Uri(IssuerHost.UrlOf(endpoints.Grpc, endpoints)), new Uri(IssuerHost.UrlOf(endpoints.Http, endpoints)), CertificateFingerprint.Sha256(certificate));
        return new LedgerIssuer(app, connection, directory, endpoint);
    }

    /// <summary>Waits until the issuer's own view (block time, read every half second; directory cached a second) has a key issuing.</summary>
    public async Task<TokenPublicKey> WaitUntilIssuingAsync(TimeSpan timeout)
    {
        var keys = _app.Services.GetRequiredService<IssuingKeyDirectory>();
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            if (await keys.CurrentAsync(deadline.Token) is { } row)
            {
                return TokenPublicKey.FromSpki(row.Spki);
            }

            await Task.Delay(100, deadline.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _connection.Dispose();
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
