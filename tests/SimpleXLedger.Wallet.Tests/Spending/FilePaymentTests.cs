using System.Net;
using System.Security.Cryptography;
using SimpleXLedger.Files;
using SimpleXLedger.Files.Client;
using SimpleXLedger.Files.Hosting;
using SimpleXLedger.Relay.Client;
using SimpleXLedger.Testing;
using SimpleXLedger.Wallet.Tests.Support;

namespace SimpleXLedger.Wallet.Tests.Spending;

/// <summary>
/// Files paid from the wallet at real metered file relays (the shipped tokens plugin, the test issuer's key): the whole
/// price reserved before anything is uploaded, each chunk's tokens spent when its relay accepted them, a refused token
/// dropped and never shown to another relay.
/// </summary>
[Collection(NetworkCollection.Name)]
public sealed class FilePaymentTests(NetworkFixture network) : IDisposable
{
    // 64 KiB × 2 days × 2 credits per MiB-day + a download: 1 token; 256 KiB: 2 tokens. 600,000 bytes: [2, 2, 1, 1].
    private const int PriceOf600000 = 6;
    private readonly TempDir _dir = new();

    private Task<FilesServer> StartRelayAsync(string name, long storagePrice = 2_000_000) => FilesServer.StartAsync(
        new FilesOptions
        {
            DataDirectory = _dir.File(name),
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            Metering = "tokens",
            PluginsDirectory = Path.Combine(Path.GetDirectoryName(RepositoryPaths.SxlDll)!, "plugins"),
            MeteringSettings = new Dictionary<string, string> { ["issuerName"] = TestIssuer.Name, ["tokenKeys"] = network.Issuer.Key.ToBase64Url() },
            StorageMicrosPerMiBDay = storagePrice,
            DownloadMicrosPerMiB = 10_000,
        },
        loggers: Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);

    private async Task<UserWallet> WalletWithAsync(ulong tokens)
    {
        // Batches of one token, so the wallet holds exactly the card's credits.
        var options = TestWallets.Careful(TestWallets.Clock());
        var wallet = TestWallets.Create(_dir.File($"w{Guid.NewGuid():N}.sxlw"), options with { Spending = options.Spending! with { RedeemBatch = 1 } });
        using var issuer = network.IssuerSession();
        await wallet.RedeemCardAsync((await network.Issuer.CreateCardsAsync(tokens))[0], issuer);
        Assert.Equal((int)tokens, wallet.AvailableTokens);
        return wallet;
    }

    private async Task<string> FileAsync(int length)
    {
        var path = _dir.File($"in{Guid.NewGuid():N}.bin");
        await File.WriteAllBytesAsync(path, RandomNumberGenerator.GetBytes(length));
        return path;
    }

    /// <summary>Registers a 64 KiB chunk paid with <paramref name="token"/> directly: throws if the relay refuses it.</summary>
    private static async Task RegisterWithAsync(FilesServer relay, byte[] token)
    {
        using var client = await FileRelayClient.ConnectAsync(relay.Address);
        var bytes = RandomNumberGenerator.GetBytes(64 * 1024);
        using var sender = RelayProtocol.NewKey();
        using var recipient = RelayProtocol.NewKey();
        await client.RegisterAsync(sender, bytes.Length, SHA256.HashData(bytes), [RelayProtocol.PublicKeyBytes(recipient)], tokens: [token]);
    }

    [Fact]
    public async Task A_file_is_sent_paid_from_the_wallet_and_received_and_the_wallet_pays_exactly_the_price()
    {
        await using var relay = await StartRelayAsync("relay");
        await using var wallet = await WalletWithAsync(20);
        var path = await FileAsync(600_000);

        var sent = await wallet.SendFileAsync(path, [relay.Address]);

        Assert.Equal(20 - PriceOf600000, wallet.AvailableTokens);
        var balance = wallet.GetBalance();
        Assert.Equal((PriceOf600000, 0L, 0L, 0), (balance.TokensSpent, balance.TokensDropped, balance.TokensLost, balance.TokensReserved));
        Assert.Equal(4L, (await relay.CountsAsync()).Chunks);
        var output = _dir.File("out.bin");
        await FileReceiver.ReceiveAsync(sent.Recipients[0], output);
        Assert.Equal(await File.ReadAllBytesAsync(path), await File.ReadAllBytesAsync(output));
    }

    [Fact]
    public async Task Too_few_tokens_are_refused_before_anything_is_uploaded_and_nothing_is_spent()
    {
        await using var relay = await StartRelayAsync("relay");
        await using var wallet = await WalletWithAsync(PriceOf600000 - 1);
        var path = await FileAsync(600_000);

        var refused = await Assert.ThrowsAsync<WalletException>(() => wallet.SendFileAsync(path, [relay.Address]));

        Assert.Equal(WalletError.InsufficientTokens, refused.Error);
        Assert.Contains($"costs {PriceOf600000} tokens", refused.Message, StringComparison.Ordinal);
        Assert.Equal((0L, 0L, 0L), await relay.CountsAsync());
        Assert.Equal(PriceOf600000 - 1, wallet.AvailableTokens);
        var balance = wallet.GetBalance();
        Assert.Equal((0L, 0L, 0), (balance.TokensSpent, balance.TokensDropped, balance.TokensReserved));
    }

    [Fact]
    public async Task A_token_a_relay_refused_is_dropped_and_never_shown_to_another_relay()
    {
        await using var a = await StartRelayAsync("a");
        await using var b = await StartRelayAsync("b");
        await using var wallet = await WalletWithAsync(10);
        var path = await FileAsync(10_000);

        // The token the wallet spends first is already spent at relay A (as a relay that refuses at will would make it).
        var first = wallet.Read(s => wallet.AvailableTokenRecords(s, forSpending: true).First());
        await RegisterWithAsync(a, first.Token);

        var refused = await Assert.ThrowsAsync<WalletException>(() => wallet.SendFileAsync(path, [a.Address, b.Address]));
        Assert.Equal(WalletError.RelayRefused, refused.Error);
        Assert.Equal(1L, (await a.CountsAsync()).Chunks);
        Assert.Equal(0L, (await b.CountsAsync()).Chunks);
        // Dropped (counted); the token reserved for B was never sent and is back in the pool.
        Assert.Equal(9, wallet.AvailableTokens);
        Assert.Equal((0L, 1L, 0), (wallet.GetBalance().TokensSpent, wallet.GetBalance().TokensDropped, wallet.GetBalance().TokensReserved));
        Assert.False(wallet.Read(s => s.Tokens.ContainsKey(first.Id)));

        // The next file, to relay B, is paid with another token: B never saw the refused one, so it still accepts it.
        await wallet.SendFileAsync(path, [b.Address]);
        Assert.Equal((8, 1L), (wallet.AvailableTokens, wallet.GetBalance().TokensSpent));
        await RegisterWithAsync(b, first.Token);
        Assert.Equal(2L, (await b.CountsAsync()).Chunks);
    }

    [Fact]
    public async Task Sxl_files_send_with_a_wallet_pays_from_it_and_refuses_a_file_it_cannot_cover()
    {
        await using var relay = await StartRelayAsync("relay");
        await using var dear = await StartRelayAsync("dear", storagePrice: 1_000_000_000);
        var walletPath = _dir.File("cli.sxlw");
        var (status, output, _) = await Sxl.RunAsync(["wallet", "init", "--wallet", walletPath, "--kdf-memory", "64", "--kdf-passes", "2", "--min-token-age", "0"]);
        Assert.True(status == 0, output);
        var code = (await network.Issuer.CreateCardsAsync(100))[0];
        (status, output, _) = await Sxl.RunAsync(["wallet", "redeem", code, "--wallet", walletPath, "--issuer", network.Issuer.GrpcUrl, "--directory", network.Issuer.HttpUrl, "--issuer-fingerprint", network.Issuer.FingerprintText, "--devnet", "--trust-directory"]);
        Assert.True(status == 0, output);

        var path = await FileAsync(600_000);
        var outDir = _dir.File("descriptions");
        (status, output, _) = await Sxl.RunAsync(["files", "send", path, "--relay", relay.Address.ToString(), "--wallet", walletPath, "--out", outDir]);
        Assert.True(status == 0, output);
        Assert.Equal(4L, (await relay.CountsAsync()).Chunks);
        Assert.True(File.Exists(Path.Combine(outDir, Path.GetFileName(path) + ".recipient-1.json")));

        // A relay far dearer than the tokens left: refused with exit 1 and a clear message, nothing uploaded, nothing spent.
        (status, output, _) = await Sxl.RunAsync(["files", "send", path, "--relay", dear.Address.ToString(), "--wallet", walletPath, "--out", outDir]);
        Assert.Equal(1, status);
        Assert.Contains("short", output, StringComparison.Ordinal);
        Assert.Equal(0L, (await dear.CountsAsync()).Chunks);

        await using var wallet = await UserWallet.OpenAsync(walletPath, TestWallets.Passphrase);
        Assert.Equal((100 - PriceOf600000, (long)PriceOf600000), (wallet.AvailableTokens, wallet.GetBalance().TokensSpent));
    }

    public void Dispose() => _dir.Dispose();
}
