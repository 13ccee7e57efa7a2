using System.Net;
using SimpleXLedger.Relay.Metering.Tokens;
using SimpleXLedger.Testing;
using SimpleXLedger.Turn;
using SimpleXLedger.Wallet.Tests.Support;

namespace SimpleXLedger.Wallet.Tests.Spending;

/// <summary>
/// The wallet buys TURN credentials with one token over a fresh connection; on refusal it keeps or drops the token by
/// the rules of queue payments: "spent" drops it (counted lost), "try again later" keeps it.
/// </summary>
[Collection(NetworkCollection.Name)]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class TurnPaymentTests(NetworkFixture network) : IDisposable
{
    private readonly TempDir _dir = new();

    [Fact]
    public async Task A_purchase_spends_one_token_a_spent_answer_drops_it_and_try_again_later_keeps_it()
    {
        var redeemer = new SwitchRedeemer();
        var secret = _dir.File("turn.secret");
        await File.WriteAllTextAsync(secret, "wallet-test-turn-secret-0123456789\n");
        File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await using var turn = await TurnServer.StartAsync(
            new TurnOptions
            {
                DataDirectory = _dir.File("turn"),
                Listen = new IPEndPoint(IPAddress.Loopback, 0),
                SecretFile = secret,
                Realm = "wallet.test",
                TurnUrls = ["turn:127.0.0.1:3478"],
                MaxAllocateLifetime = TimeSpan.FromSeconds(600),
                PluginsDirectory = Path.Combine(Path.GetDirectoryName(RepositoryPaths.SxlDll)!, "plugins"),
                TokenSettings = new Dictionary<string, string> { ["issuerName"] = TestIssuer.Name, ["tokenKeys"] = network.Issuer.Key.ToBase64Url() },
            },
            redeemer,
            loggers: Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
        var clock = TestWallets.Clock();
        await using var wallet = TestWallets.Create(_dir.File("w.sxlw"), TestWallets.Careful(clock));
        using (var issuer = network.IssuerSession())
        {
            await wallet.RedeemCardAsync((await network.Issuer.CreateCardsAsync(100))[0], issuer);
        }

        var credentials = await wallet.BuyTurnCredentialsAsync(turn.Address);
        Assert.Equal(["turn:127.0.0.1:3478"], credentials.Urls);
        Assert.Equal(99, wallet.AvailableTokens);
        Assert.Equal((1L, 0L), (wallet.GetBalance().TokensSpent, wallet.GetBalance().TokensLost));

        // "Try again later": the token was shown to this service, so it is kept for it (not for the pool).
        redeemer.Mode = RedemptionOutcome.RetryLater;
        var later = await Assert.ThrowsAsync<WalletException>(() => wallet.BuyTurnCredentialsAsync(turn.Address));
        Assert.Equal(WalletError.Unreachable, later.Error);
        Assert.Equal((98, 1), (wallet.AvailableTokens, wallet.GetBalance().TokensReserved));

        // The next purchase there shows the very same token; "already spent" loses it.
        redeemer.Mode = RedemptionOutcome.AlreadySpent;
        var spent = await Assert.ThrowsAsync<WalletException>(() => wallet.BuyTurnCredentialsAsync(turn.Address));
        Assert.Equal(WalletError.RelayRefused, spent.Error);
        Assert.Equal((98, 0), (wallet.AvailableTokens, wallet.GetBalance().TokensReserved));
        Assert.Equal((1L, 1L), (wallet.GetBalance().TokensSpent, wallet.GetBalance().TokensLost));

        // A refusal: the token is dropped, never shown elsewhere, and counted.
        redeemer.Mode = RedemptionOutcome.Refused;
        var refused = await Assert.ThrowsAsync<WalletException>(() => wallet.BuyTurnCredentialsAsync(turn.Address));
        Assert.Equal(WalletError.RelayRefused, refused.Error);
        Assert.Equal((97, 0, 1L), (wallet.AvailableTokens, wallet.GetBalance().TokensReserved, wallet.GetBalance().TokensDropped));
        Assert.Equal(1, turn.Issuer.Issued);
    }

    public void Dispose() => _dir.Dispose();

    /// <summary>Accepts every token, or answers every token with <see cref="Mode"/>.</summary>
    private sealed class SwitchRedeemer : ITokenRedeemer
    {
        public volatile RedemptionOutcome Mode = RedemptionOutcome.Accepted;

        public ValueTask<IReadOnlyList<RedemptionOutcome>> RedeemAsync(IReadOnlyList<ReadOnlyMemory<byte>> tokens, CancellationToken cancellationToken) =>
            ValueTask.FromResult<IReadOnlyList<RedemptionOutcome>>(tokens.Select(_ => Mode).ToList());
    }
}
