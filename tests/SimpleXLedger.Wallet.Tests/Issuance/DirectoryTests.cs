using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using SimpleXLedger.Testing;
using SimpleXLedger.Tokens;
using SimpleXLedger.Wallet.Issuance;
using SimpleXLedger.Wallet.Tests.Support;

namespace SimpleXLedger.Wallet.Tests.Issuance;

/// <summary>
/// Directories a consistent issuer never serves — several keys, or an HTTP directory naming another key than the
/// gRPC one — served by a small stand-in HTTP server beside the real issuer's gRPC endpoint (the real issuer cannot
/// be made to misbehave this way). Even with development trust in the directory, they are refused.
/// </summary>
[Collection(NetworkCollection.Name)]
public sealed class DirectoryTests(NetworkFixture network) : IDisposable
{
    private static readonly Lazy<TokenPublicKey> OtherKey = new(() =>
    {
        using var key = TokenPrivateKey.Generate();
        return key.PublicKey;
    });

    private readonly TempDir _dir = new();

    [Fact]
    public async Task A_directory_offering_more_than_one_key_is_refused()
    {
        var json = IssuerDirectory.Create("https://issuer.example/token-request", (network.Issuer.Key, null), (OtherKey.Value, null)).ToJson();
        var failure = await RedeemThroughAsync(json);
        Assert.Equal(KeyConsistencyFailure.DirectoryOffersSeveralKeys, failure);
    }

    [Fact]
    public async Task An_HTTP_directory_naming_another_key_than_the_issuers_gRPC_directory_is_refused()
    {
        var json = IssuerDirectory.Create("https://issuer.example/token-request", (OtherKey.Value, null)).ToJson();
        Assert.Equal(KeyConsistencyFailure.DirectoryOffersOtherKey, await RedeemThroughAsync(json));
    }

    [Fact]
    public async Task An_empty_or_malformed_directory_is_refused()
    {
        Assert.Equal(KeyConsistencyFailure.DirectoryEmpty, await RedeemThroughAsync("""{"issuer-request-uri":"https://issuer.example/token-request","token-keys":[]}"""));
        Assert.Equal(KeyConsistencyFailure.DirectoryEmpty, await RedeemThroughAsync("not json"));
    }

    private async Task<KeyConsistencyFailure> RedeemThroughAsync(string directoryJson)
    {
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        await using var app = builder.Build();
        app.MapGet(IssuerDirectory.WellKnownPath, () => Results.Text(directoryJson, IssuerDirectory.MediaType));
        await app.StartAsync();

        var code = (await network.Issuer.CreateCardsAsync(100))[0];
        var endpoint = new IssuerEndpoint(new Uri(network.Issuer.GrpcUrl), new Uri($"http://127.0.0.1:{port}"), network.Issuer.Fingerprint);
        using var session = new IssuerSession(endpoint, DirectoryTrust.Development);
        await using var wallet = TestWallets.Create(_dir.File($"{Guid.NewGuid():N}.sxlw"));
        var refused = await Assert.ThrowsAsync<KeyConsistencyException>(() => wallet.RedeemCardAsync(code, session));
        Assert.Equal(100, await network.Issuer.RemainingAsync(code));
        Assert.Empty(wallet.GetBalance().Cards);
        await app.StopAsync();
        return refused.Failure;
    }

    public void Dispose() => _dir.Dispose();
}
