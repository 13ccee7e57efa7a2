using System.Text.Json;
using SimpleXLedger.Net.Crash;
using SimpleXLedger.Tokens;
using SimpleXLedger.Wallet.Tests.Support;

namespace SimpleXLedger.Wallet.Tests.Cli;

/// <summary><c>sxl wallet …</c> as a real process against the real issuer and relay; a real SIGKILL mid-redemption.</summary>
[Collection(NetworkCollection.Name)]
public sealed class WalletCommandTests(NetworkFixture network) : IDisposable
{
    private readonly TempDir _dir = new();

    private string[] Issuer => ["--issuer", network.Issuer.GrpcUrl, "--directory", network.Issuer.HttpUrl, "--issuer-fingerprint", network.Issuer.FingerprintText, "--devnet", "--trust-directory"];

    private async Task<string> InitAsync(string name = "w.sxlw", params string[] extra)
    {
        var path = _dir.File(name);
        var (status, output, _) = await Sxl.RunAsync(["wallet", "init", "--wallet", path, "--kdf-memory", "64", "--kdf-passes", "2", .. extra]);
        Assert.True(status == 0, output);
        return path;
    }

    [Fact]
    public async Task Init_refuses_a_KDF_below_64_MiB_and_2_passes_and_has_no_way_to_the_test_parameters()
    {
        var path = _dir.File("weak.sxlw");
        var (status, output, _) = await Sxl.RunAsync(["wallet", "init", "--wallet", path, "--kdf-memory", "1", "--kdf-passes", "1"]);
        Assert.NotEqual(0, status);
        Assert.Contains("Argon2id", output, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task Redeem_create_a_queue_send_with_a_scheduled_top_up_receive_back_up_and_restore()
    {
        var path = await InitAsync(extra: ["--topup-delay", "uniform:100ms-400ms", "--topup-step", "10", "--min-token-age", "0"]);
        var code = (await network.Issuer.CreateCardsAsync(200))[0];

        var (status, output, _) = await Sxl.RunAsync(["wallet", "redeem", code, "--wallet", path, .. Issuer]);
        Assert.True(status == 0, output);
        Assert.Contains("redeemed 200 tokens in 2 batches", output, StringComparison.Ordinal);
        Assert.Contains("DEVELOPMENT", output, StringComparison.Ordinal);
        Assert.DoesNotContain(code, output, StringComparison.Ordinal);

        (status, output, var link) = await Sxl.RunAsync(["wallet", "queue", "create", "--wallet", path, "--relay", network.Relay.Address.ToString(), "--name", "inbox"]);
        Assert.True(status == 0, output);
        Assert.StartsWith("sxl://", link.Trim(), StringComparison.Ordinal);
        Assert.Contains("top-up scheduled", output, StringComparison.Ordinal);

        // Out of credit (the creation token paid for the queue): --wait lets the scheduled top-up run, then sends.
        (status, output, _) = await Sxl.RunAsync(["wallet", "queue", "send", "--wallet", path, "--queue", "inbox", "--message", "hello from the wallet", "--wait"]);
        Assert.True(status == 0, output);
        Assert.Contains("waiting for its top-up", output, StringComparison.Ordinal);
        Assert.Contains("sent", output, StringComparison.Ordinal);

        (status, output, var received) = await Sxl.RunAsync(["wallet", "queue", "receive", "--wallet", path, "--queue", "inbox"]);
        Assert.True(status == 0, output);
        Assert.Equal("hello from the wallet", received.Trim());

        (status, output, var json) = await Sxl.RunAsync(["wallet", "balance", "--json", "--wallet", path]);
        Assert.True(status == 0, output);
        using (var doc = JsonDocument.Parse(json))
        {
            var tokens = doc.RootElement.GetProperty("tokens");
            Assert.Equal(189, tokens.GetProperty("available").GetInt32());
            Assert.Equal(11, tokens.GetProperty("spent").GetInt32());
            var queue = doc.RootElement.GetProperty("queues")[0];
            Assert.Equal("inbox", queue.GetProperty("name").GetString());
            Assert.Equal(10 * TestRelay.MicrosPerCredit - (TestRelay.MicrosPerCredit / TestRelay.MessagesPerCredit), queue.GetProperty("credit").GetInt64());
        }

        (status, output, var table) = await Sxl.RunAsync(["wallet", "balance", "--wallet", path]);
        Assert.True(status == 0, output);
        Assert.Contains("available", table, StringComparison.Ordinal);
        Assert.Contains("inbox", table, StringComparison.Ordinal);

        var backup = _dir.File("backup.sxlw");
        Assert.Equal(0, (await Sxl.RunAsync(["wallet", "backup", "--wallet", path, "--out", backup])).Status);
        var restoredPath = _dir.File("restored.sxlw");
        (status, output, _) = await Sxl.RunAsync(["wallet", "restore", "--wallet", restoredPath, "--from", backup]);
        Assert.True(status == 0, output);
        Assert.Contains("189 tokens", output, StringComparison.Ordinal);
        (status, output, _) = await Sxl.RunAsync(["wallet", "restore", "--wallet", restoredPath, "--from", backup]);
        Assert.Contains("restored 0 cards, 0 batches in flight, 0 tokens (189 already here or spent), 0 queues", output, StringComparison.Ordinal);

        // A wrong passphrase: a typed refusal, exit 1; a wrong card: usage, exit 2.
        (status, output, _) = await Sxl.RunAsync(["wallet", "balance", "--wallet", path], new Dictionary<string, string?> { ["SXL_WALLET_PASSPHRASE"] = "not the passphrase" });
        Assert.Equal(1, status);
        Assert.Contains("passphrase does not open", output, StringComparison.Ordinal);
        (status, _, _) = await Sxl.RunAsync(["wallet", "redeem", "SXL-0000", "--wallet", path, .. Issuer]);
        Assert.Equal(2, status);
    }

    [Theory]
    [InlineData(UserWallet.CrashAfterResponse, 2, 1)]
    [InlineData(UserWallet.CrashBeforeSend, 1, 0)]
    public async Task Killed_mid_redemption_the_wallet_resumes_with_the_same_tokens_and_the_card_is_debited_once(string label, int debitedBeforeResume, int replayed)
    {
        var path = await InitAsync();
        var code = (await network.Issuer.CreateCardsAsync(300))[0];

        // SIGKILL at the second batch: stored (and for after-response, sent and debited) but its tokens not stored.
        var (status, output, _) = await Sxl.RunAsync(["wallet", "redeem", code, "--wallet", path, .. Issuer], new Dictionary<string, string?> { [CrashPoint.EnvironmentVariable] = label + "@2" });
        Assert.True(status != 0, output);
        Assert.Equal(300 - (100 * debitedBeforeResume), await network.Issuer.RemainingAsync(code));

        string[] pendingNonces;
        await using (var killed = UserWallet.Open(path, TestWallets.Passphrase))
        {
            Assert.Equal(100, killed.AvailableTokens);
            var batch = Assert.Single(killed.Read(s => s.Batches.Values.ToList()));
            var key = TokenPublicKey.FromSpki(batch.KeySpki);
            pendingNonces = [.. batch.States.Select(export =>
            {
                Assert.True(TokenRequestState.TryImportSecret(key, export, out var state, out _));
                using (state)
                {
                    return Convert.ToHexString(state.Nonce);
                }
            })];
        }

        (status, output, _) = await Sxl.RunAsync(["wallet", "redeem", "--wallet", path, .. Issuer]);
        Assert.True(status == 0, output);
        Assert.Contains("redeemed 200 tokens in 2 batches", output, StringComparison.Ordinal);
        Assert.Equal(replayed > 0, output.Contains("resumed without a second debit", StringComparison.Ordinal));
        Assert.Equal(0, await network.Issuer.RemainingAsync(code));

        await using var resumed = UserWallet.Open(path, TestWallets.Passphrase);
        Assert.Equal(300, resumed.AvailableTokens);
        Assert.Equal(0, resumed.GetBalance().PendingBatches);
        var nonces = resumed.Read(s => s.Tokens.Values.Select(t => Convert.ToHexString(Token.Parse(t.Token).Nonce)).ToHashSet());
        Assert.Subset(nonces, pendingNonces.ToHashSet());
        Assert.Equal(300, nonces.Count);
    }

    public void Dispose() => _dir.Dispose();
}
