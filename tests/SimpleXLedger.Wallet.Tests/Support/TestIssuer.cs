using System.Net;
using SimpleXLedger.Cards;
using SimpleXLedger.Issuer.Hosting;
using SimpleXLedger.Net.Tls;
using SimpleXLedger.Testing.Hosts;
using SimpleXLedger.Tokens;
using SimpleXLedger.Wallet.Issuance;

namespace SimpleXLedger.Wallet.Tests.Support;

/// <summary>
/// The shared in-process issuer (<see cref="IssuerServer"/>: Kestrel with TLS on two loopback ports, a real SQLite file,
/// development mode, a fresh issuing key) as the wallet sees it: an <see cref="IssuerEndpoint"/> to pin, card codes as
/// a person types them.
/// </summary>
public sealed class TestIssuer : IAsyncDisposable
{
    public const string Name = "issuer.wallet.test";

    private readonly IssuerServer _server;

    private TestIssuer(IssuerServer server) => _server = server;

    public byte[] Fingerprint => _server.Fingerprint;

    public IssuerEndpoints Endpoints => _server.Endpoints;

    /// <summary>The key it issues with.</summary>
    public TokenPublicKey Key => _server.Key;

    public string GrpcUrl => _server.GrpcUrl.ToString().TrimEnd('/');

    public string HttpUrl => _server.HttpUrl.ToString().TrimEnd('/');

    public IssuerEndpoint Endpoint => new(_server.GrpcUrl, _server.HttpUrl, Fingerprint);

    public string FingerprintText => CertificateFingerprint.ToText(Fingerprint);

    /// <param name="listen">The loopback address to listen on (127.0.0.1 unless a test puts something else on that address).</param>
    public static async Task<TestIssuer> StartAsync(IPAddress? listen = null) => new(await IssuerServer.StartAsync(
        settings => settings with
        {
            Name = Name,
            Windows = settings.Windows with { IssueWindow = TimeSpan.FromHours(2) },
            IdempotencyWindow = TimeSpan.FromHours(1),
        },
        listen: listen));

    /// <summary>New active cards (development mode), their codes as a person would type them.</summary>
    public async Task<IReadOnlyList<string>> CreateCardsAsync(ulong credits, int count = 1) =>
        [.. (await _server.CreateCardsAsync(credits, count, "vendor-wallet-tests")).Select(c => c.Reveal())];

    /// <summary>Credits left on a card, as the issuer's database says.</summary>
    public async Task<long> RemainingAsync(string code) =>
        (await _server.FindCardAsync(CardCode.Parse(code)))?.Remaining ?? -1;

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
