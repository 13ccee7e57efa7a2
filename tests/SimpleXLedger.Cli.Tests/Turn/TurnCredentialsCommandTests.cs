using System.Security.Cryptography;
using System.Text.Json;
using SimpleXLedger.Testing;
using SimpleXLedger.Testing.Hosts;
using SimpleXLedger.Testing.Turn;
using SimpleXLedger.Wallet;
using SimpleXLedger.Wallet.Issuance;
using SimpleXLedger.Wallet.Spending;
using SimpleXLedger.Wallet.Storage;

namespace SimpleXLedger.Cli.Tests.Turn;

/// <summary>
/// <c>sxl turn credentials</c> as the real process a user runs: it pays one token from the wallet file to a real
/// <c>sxl turn serve</c> process and prints the ICE server entry, which a real coturn accepts; its errors are clear.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class TurnCredentialsCommandTests
{
    private const string Realm = "cli-credentials.sxl.test";

    [Fact]
    public async Task Credentials_are_paid_from_the_wallet_printed_as_an_ice_server_entry_and_allocate_at_coturn()
    {
        using var dir = new TempDirectory();
        var secret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var secretFile = dir.File("turn.secret");
        await File.WriteAllTextAsync(secretFile, secret + "\n");
        File.SetUnixFileMode(secretFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await using var issuer = await IssuerServer.StartAsync();
        await using var coturn = await CoturnServer.StartAsync([secret], Realm);

        // A wallet holding the tokens of one card (one fixed batch of 100), spendable at once.
        var walletFile = dir.File("user.sxlw");
        var passphrase = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18));
        var code = (await issuer.CreateCardsAsync(100)).Single();
        await using (var wallet = await UserWallet.CreateAsync(walletFile, passphrase, KdfParameters.Interactive, new WalletOptions { Spending = SpendingPolicy.Careful with { MinTokenAge = TimeSpan.Zero } }))
        {
            using var session = await IssuerConnection.OpenAsync(new IssuerEndpoint(issuer.GrpcUrl, issuer.HttpUrl, issuer.Fingerprint), IssuerKeyTrust.DevelopmentDirectory);
            Assert.Equal(100, (await wallet.RedeemCardAsync(code.Reveal(), session)).TokensAdded);
        }

        await using var serve = SxlProcess.Start(
        [
            "turn", "serve", "--data", dir.File("turn"), "--listen", "127.0.0.1:0", "--secret-file", secretFile, "--realm", Realm,
            "--turn-url", $"turn:127.0.0.1:{coturn.Port}?transport=udp", "--max-allocate-lifetime", "600",
            "--issuer-name", IssuerServer.DefaultName, "--token-keys", issuer.Key.ToBase64Url(),
        ]);
        var service = await serve.WaitForLineAsync(l => l.Length > 0, TimeSpan.FromSeconds(60));
        var environment = new Dictionary<string, string?> { ["SXL_WALLET_PASSPHRASE"] = passphrase };

        var bought = await SxlProcess.RunAsync(["turn", "credentials", "--service", service, "--wallet", walletFile], environment);
        Assert.True(bought.ExitCode == 0, bought.AllOutput);
        var entry = JsonDocument.Parse(Assert.Single(bought.StdoutLines)).RootElement;
        Assert.Equal([$"turn:127.0.0.1:{coturn.Port}?transport=udp"], entry.GetProperty("urls").EnumerateArray().Select(u => u.GetString()));
        var username = entry.GetProperty("username").GetString()!;
        var credential = entry.GetProperty("credential").GetString()!;
        var expires = entry.GetProperty("expiresUnix").GetInt64();
        Assert.StartsWith(expires.ToString(System.Globalization.CultureInfo.InvariantCulture) + ":", username, StringComparison.Ordinal);
        // One token buys 60 minutes: the credential lives that long less the longest allocation.
        Assert.InRange(expires - DateTimeOffset.UtcNow.ToUnixTimeSeconds(), 3000 - 60, 3000);
        var allocation = await coturn.AllocateAsync(username, credential);
        Assert.True(allocation.ExitCode == 0, allocation.Output);
        // The credential goes to stdout only: never to stderr (a log).
        Assert.DoesNotContain(credential, bought.Stderr, StringComparison.Ordinal);

        // Paid from the wallet: one token spent, the rest still there.
        await using (var wallet = await UserWallet.OpenAsync(walletFile, passphrase))
        {
            var balance = wallet.GetBalance();
            Assert.Equal(1, balance.TokensSpent);
            Assert.Equal(99, balance.TokensAvailable);
        }

        // Clear errors: a bad address is a usage error, a wrong passphrase or no wallet a failure; nothing is spent.
        var badAddress = await SxlProcess.RunAsync(["turn", "credentials", "--service", "not-an-address", "--wallet", walletFile], environment);
        Assert.Equal(2, badAddress.ExitCode);
        Assert.Contains("--service", badAddress.Stderr, StringComparison.Ordinal);
        var noWallet = await SxlProcess.RunAsync(["turn", "credentials", "--service", service, "--wallet", dir.File("none.sxlw")], environment);
        Assert.Equal(1, noWallet.ExitCode);
        Assert.Contains("no wallet", noWallet.Stderr, StringComparison.Ordinal);
        var help = await SxlProcess.RunAsync("turn", "credentials", "--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("--service", help.Stdout, StringComparison.Ordinal);
        await using (var wallet = await UserWallet.OpenAsync(walletFile, passphrase))
        {
            Assert.Equal(99, wallet.GetBalance().TokensAvailable);
        }
    }
}
