using SimpleXLedger.Net;
using SimpleXLedger.Protos.Turn;
using SimpleXLedger.Testing;
using SimpleXLedger.Testing.Turn;
using SimpleXLedger.Tokens;
using SimpleXLedger.Turn.Client;

namespace SimpleXLedger.Cli.Tests.Turn;

/// <summary><c>sxl turn serve</c> as the real process an operator runs next to coturn.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class TurnServeCommandTests
{
    private const string Secret = "cli-turn-secret-0123456789abcdef";
    private const string Realm = "cli.sxl.test";
    private const string IssuerName = "issuer.cli.test";

    [Fact]
    public async Task The_served_credentials_allocate_at_coturn_and_no_secret_or_credential_reaches_the_log()
    {
        using var dir = new TempDirectory();
        using var key = TokenPrivateKey.Generate();
        var secretFile = dir.File("turn.secret");
        await File.WriteAllTextAsync(secretFile, Secret + "\n");
        File.SetUnixFileMode(secretFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await using var coturn = await CoturnServer.StartAsync([Secret], Realm);
        await using var serve = SxlProcess.Start(
        [
            "turn", "serve", "--data", dir.File("turn"), "--listen", "127.0.0.1:0", "--secret-file", secretFile, "--realm", Realm,
            "--turn-url", $"turn:127.0.0.1:{coturn.Port}?transport=udp", "--turn-url", "turns:turn.example.org:5349?transport=tcp",
            "--max-allocate-lifetime", "600", "--issuer-name", IssuerName, "--token-keys", key.PublicKey.ToBase64Url(),
        ]);
        var address = PinnedAddress.Parse(await serve.WaitForLineAsync(l => l.Length > 0, TimeSpan.FromSeconds(60)));

        using var client = TurnClient.Connect(address);
        var info = await client.InfoAsync();
        Assert.Equal(3600, info.SecondsPerToken);
        var token = Mint(key);
        var bought = await client.BuyAsync(token);
        Assert.Equal(2, bought.Urls.Count);
        var allocation = await coturn.AllocateAsync(bought.Username, bought.Credential);
        Assert.True(allocation.ExitCode == 0, allocation.Output);
        Assert.Equal(TurnErrorCode.TokenSpent, (await Assert.ThrowsAsync<TurnServiceException>(() => client.BuyAsync(token))).Code);

        await serve.KillAsync();
        var log = serve.AllOutput;
        Assert.DoesNotContain(Secret, log, StringComparison.Ordinal);
        Assert.DoesNotContain(bought.Credential, log, StringComparison.Ordinal);
        Assert.DoesNotContain(bought.Username, log, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(token), log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_secret_file_others_can_read_and_a_price_below_the_allocation_lifetime_are_usage_errors()
    {
        using var dir = new TempDirectory();
        var secretFile = dir.File("turn.secret");
        await File.WriteAllTextAsync(secretFile, Secret + "\n");
        File.SetUnixFileMode(secretFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        string[] common = ["turn", "serve", "--data", dir.File("turn"), "--listen", "127.0.0.1:0", "--secret-file", secretFile, "--realm", Realm, "--turn-url", "turn:127.0.0.1:3478", "--issuer-name", IssuerName, "--token-keys", "AAAA"];
        var open = await SxlProcess.RunAsync(common);
        Assert.Equal(2, open.ExitCode);
        Assert.Contains("owner only", open.Stderr, StringComparison.Ordinal);
        Assert.Empty(open.StdoutLines);
        Assert.DoesNotContain(Secret, open.AllOutput, StringComparison.Ordinal);

        var cheap = await SxlProcess.RunAsync([.. common, "--block-minutes", "5", "--max-allocate-lifetime", "600"]);
        Assert.Equal(2, cheap.ExitCode);
        Assert.Contains("max-allocate-lifetime", cheap.Stderr, StringComparison.Ordinal);
    }

    private static byte[] Mint(TokenPrivateKey key)
    {
        using var state = TokenClient.CreateRequest(key.PublicKey, TokenChallenge.ForNetwork(IssuerName));
        return TokenClient.Finalize(state, TokenIssuer.Issue(key, state.Request)).ToArray();
    }
}
