using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using SimpleXLedger.Protos.Turn;
using SimpleXLedger.Relay.Client;
using SimpleXLedger.Relay.Metering.Tokens;
using SimpleXLedger.Relay.Tests.Support;
using SimpleXLedger.Testing;
using SimpleXLedger.Testing.Turn;
using SimpleXLedger.Tokens;
using SimpleXLedger.Turn;
using SimpleXLedger.Turn.Client;

namespace SimpleXLedger.Relay.Tests.Turn;

/// <summary>
/// <c>sxl turn serve</c>'s service: tokens paid through the shipped tokens plugin (and a redeemer standing in for the
/// clearing house, shared with a relay), credentials checked by a real coturn with its own client.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class TurnCredentialTests(TokenFixture tokens) : IClassFixture<TokenFixture>
{
    private const string Realm = "sxl.test";
    private const string Secret = "turn-secret-for-tests-0123456789";

    private async Task<TurnServer> StartAsync(TempDirectory dir, ITokenRedeemer redeemer, long creditsPerBlock = 1, long blockMinutes = 60, long maxLifetime = 600)
    {
        var secretFile = dir.File("turn.secret");
        await File.WriteAllTextAsync(secretFile, Secret + "\n");
        File.SetUnixFileMode(secretFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return await TurnServer.StartAsync(
            new TurnOptions
            {
                DataDirectory = dir.File("turn"),
                Listen = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0),
                SecretFile = secretFile,
                Realm = Realm,
                TurnUrls = ["turn:127.0.0.1:3478?transport=udp"],
                CreditsPerBlock = creditsPerBlock,
                BlockMinutes = blockMinutes,
                MaxAllocateLifetime = TimeSpan.FromSeconds(maxLifetime),
                PluginsDirectory = Relays.ShippedPlugins,
                TokenSettings = tokens.Settings(),
            },
            redeemer);
    }

    [Fact]
    public async Task Credentials_bought_with_a_token_allocate_at_coturn_and_expired_or_forged_ones_are_refused_by_it()
    {
        using var dir = new TempDirectory();
        await using var turn = await StartAsync(dir, new TestRedeemer());
        await using var coturn = await CoturnServer.StartAsync([Secret], Realm);
        using var client = TurnClient.Connect(turn.Address);

        var bought = await client.BuyAsync(tokens.Mint());
        Assert.Equal(Realm, bought.Realm);
        Assert.StartsWith(bought.Expires.ToString(CultureInfo.InvariantCulture) + ":", bought.Username, StringComparison.Ordinal);
        var ok = await coturn.AllocateAsync(bought.Username, bought.Credential);
        Assert.True(ok.ExitCode == 0, ok.Output);
        Assert.DoesNotContain("Cannot complete Allocation", ok.Output, StringComparison.Ordinal);

        // The same scheme with an expiry in the past (signed with the right secret): coturn itself refuses it.
        var expiredUser = $"{DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 5}:{bought.Username.Split(':')[1]}";
        var expired = await coturn.AllocateAsync(expiredUser, Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes(expiredUser))));
        Assert.NotEqual(0, expired.ExitCode);
        Assert.Contains("Cannot complete Allocation", expired.Output, StringComparison.Ordinal);

        // A forged credential: a later expiry under the bought password, and a password under another secret.
        var laterUser = $"{bought.Expires + 86_400}:{bought.Username.Split(':')[1]}";
        var forged = await coturn.AllocateAsync(laterUser, bought.Credential);
        Assert.NotEqual(0, forged.ExitCode);
        Assert.Contains("Cannot complete Allocation", forged.Output, StringComparison.Ordinal);
        var otherSecret = await coturn.AllocateAsync(bought.Username, Convert.ToBase64String(HMACSHA1.HashData("not-the-secret-at-all"u8, Encoding.UTF8.GetBytes(bought.Username))));
        Assert.NotEqual(0, otherSecret.ExitCode);
    }

    [Fact]
    public async Task A_credential_never_outlives_the_time_paid_for()
    {
        using var dir = new TempDirectory();
        await using var turn = await StartAsync(dir, new TestRedeemer(), creditsPerBlock: 2, blockMinutes: 60, maxLifetime: 600);
        using var client = TurnClient.Connect(turn.Address);
        var info = await client.InfoAsync();
        Assert.Equal(1800, info.SecondsPerToken);

        var before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var bought = await client.BuyAsync(tokens.Mint());
        var after = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Assert.Equal(1800, bought.PaidSeconds);
        // Validity plus the longest allocation ends within the time paid for, counted from the purchase.
        Assert.InRange(bought.Expires + 600, before, after + bought.PaidSeconds);
        Assert.True(bought.Expires + 600 <= after + 1800);
        Assert.True(bought.Expires > after);
    }

    [Fact]
    public async Task Bad_forged_and_spent_tokens_are_refused_with_typed_errors_and_nothing_is_issued()
    {
        using var dir = new TempDirectory();
        await using var turn = await StartAsync(dir, new TestRedeemer());
        using var client = TurnClient.Connect(turn.Address);

        Assert.Equal(TurnErrorCode.BadRequest, (await Assert.ThrowsAsync<TurnServiceException>(() => client.BuyAsync(ReadOnlyMemory<byte>.Empty))).Code);
        Assert.Equal(TurnErrorCode.BadRequest, (await Assert.ThrowsAsync<TurnServiceException>(() => client.BuyAsync(new byte[4096]))).Code);
        Assert.Equal(TurnErrorCode.TokenRefused, (await Assert.ThrowsAsync<TurnServiceException>(() => client.BuyAsync("not a token"u8.ToArray()))).Code);

        // Forged: a flipped signature bit; a token of a key nobody trusts; a token for another network's challenge.
        var forged = tokens.Mint();
        forged[^1] ^= 1;
        Assert.Equal(TurnErrorCode.TokenRefused, (await Assert.ThrowsAsync<TurnServiceException>(() => client.BuyAsync(forged))).Code);
        using var stranger = TokenPrivateKey.Generate();
        Assert.Equal(TurnErrorCode.TokenRefused, (await Assert.ThrowsAsync<TurnServiceException>(() => client.BuyAsync(tokens.Mint(stranger)))).Code);
        Assert.Equal(TurnErrorCode.TokenRefused, (await Assert.ThrowsAsync<TurnServiceException>(() => client.BuyAsync(tokens.Mint(challenge: TokenChallenge.ForNetwork("other.example"))))).Code);
        Assert.Equal(0, turn.Issuer.Issued);
        Assert.Equal(0, turn.SpentCount);

        var token = tokens.Mint();
        await client.BuyAsync(token);
        var again = await Assert.ThrowsAsync<TurnServiceException>(() => client.BuyAsync(token));
        Assert.Equal(TurnErrorCode.TokenSpent, again.Code);
        Assert.True(again.TokenSpent);
        Assert.Equal(1, turn.Issuer.Issued);
        Assert.Equal(1, turn.SpentCount);
    }

    [Fact]
    public async Task A_token_spent_at_a_relay_is_refused_by_the_turn_service_through_the_shared_clearing_house()
    {
        using var dir = new TempDirectory();
        var clearing = new TestRedeemer();
        var options = Relays.Options(dir.File("relay"), "tokens") with { MeteringSettings = tokens.Settings() };
        await using var relay = await Relays.StartAsync(options, services: services => services.AddSingleton<ITokenRedeemer>(clearing));
        await using var turn = await StartAsync(dir, clearing);

        var token = tokens.Mint();
        await using (var relayClient = await RelayClient.ConnectAsync(relay.Address))
        {
            using var key = RelayProtocol.NewKey();
            await relayClient.CreateQueueAsync(key, paymentToken: token);
        }

        using var client = TurnClient.Connect(turn.Address);
        var refused = await Assert.ThrowsAsync<TurnServiceException>(() => client.BuyAsync(token));
        Assert.Equal(TurnErrorCode.TokenSpent, refused.Code);
        Assert.Equal(0, turn.Issuer.Issued);
        Assert.Equal(0, turn.SpentCount);

        // The clearing house down: "try again later", nothing issued, the token not spent here.
        clearing.Unavailable = true;
        var later = await Assert.ThrowsAsync<TurnServiceException>(() => client.BuyAsync(tokens.Mint()));
        Assert.Equal(TurnErrorCode.RetryLater, later.Code);
        Assert.Equal(0, turn.SpentCount);
    }

    [Fact]
    public async Task The_secret_file_must_be_owner_only()
    {
        using var dir = new TempDirectory();
        var path = dir.File("open.secret");
        await File.WriteAllTextAsync(path, Secret + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        Assert.Throws<TurnSecretException>(() => TurnSecret.Open(path));
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Assert.Equal(1, TurnSecret.Open(path).Count);
    }
}
