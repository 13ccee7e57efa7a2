using SimpleXLedger.Chain.Devnet;
using SimpleXLedger.Chain.Services;
using SimpleXLedger.Net;
using SimpleXLedger.Protos.Relay;
using SimpleXLedger.Relay.Client;
using SimpleXLedger.Relay.Tests.Support;
using SimpleXLedger.Testing;
using SimpleXLedger.Tokens;

namespace SimpleXLedger.Relay.Tests.Ledger;

/// <summary>
/// <c>sxl relay serve --metering tokens --rpc … --ledger …</c> as a real process on a real chain (Anvil): token keys
/// and windows from the ledger's registry, judged at the latest block time (the test moves it with
/// <c>evm_setNextBlockTimestamp</c>/<c>evm_mine</c>); the spent-set survives SIGKILL and is dropped once the key is
/// past redeemUntil.
/// </summary>
public sealed class LedgerKeySourceProcessTests(TokenFixture tokens) : IClassFixture<TokenFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task A_relay_on_the_ledger_takes_anchored_usable_keys_only_and_its_spent_set_survives_SIGKILL_and_is_dropped_after_redeemUntil()
    {
        await using var anvil = await AnvilNode.StartAsync();
        // Windows long enough that wall-clock time never closes one on a loaded machine: the test moves block time itself.
        var deployment = await DevnetLedger.DeployAsync(anvil.RpcUrl, p => p with { MinKeyDelay = 100, MinIssueWindow = 1_000, MinRedeemWindow = 2_000 });
        using var issuerConnection = await ChainConnection.ConnectAsync(anvil.RpcUrl, DevAccounts.Issuer.Key);
        var issuer = await LedgerClient.AttachAsync(issuerConnection, deployment.Ledger);

        // Key A, and key B issuing right after it (redeemable longer). Key C is never anchored.
        using var keyB = TokenPrivateKey.Generate();
        using var keyC = TokenPrivateKey.Generate();
        // (The registry wants usableFrom at least 100 s after the anchoring block: room for a slow machine.)
        var fromA = await issuer.LatestBlockTimeAsync() + 400;
        var fromB = fromA + 1_000;
        var redeemUntilA = fromB + 2_000;
        await issuer.AnchorKeyAsync(tokens.IssuerKey.PublicKey.ExportSpki(), fromA, fromB, redeemUntilA);
        await issuer.AnchorKeyAsync(keyB.PublicKey.ExportSpki(), fromB, fromB + 1_000, fromB + 1_000 + 2_000);

        using var dir = new TempDirectory();
        var port = FreePort.Next();
        string[] serve =
        [
            RepositoryPaths.SxlDll, "relay", "serve", "--data", dir.Path, "--listen", $"127.0.0.1:{port}", "--metering", "tokens",
            "--rpc", anvil.RpcUrl, "--ledger", deployment.Ledger, "--devnet", "--registry-max-age-ms", "0",
            "--metering-setting", $"issuerName={TokenFixture.IssuerName}",
            "--metering-setting", "creditsPerQueue=0",
            "--metering-setting", "spentPruneSeconds=1",
        ];

        // Without --devnet a relay refuses a ledger whose key windows are this short.
        await using (var production = ChildProcess.Start("dotnet", serve.Where(a => a != "--devnet")))
        {
            Assert.Equal(1, await production.WaitForExitAsync(Patience));
            Assert.Contains("only with --devnet", production.AllOutput, StringComparison.Ordinal);
        }

        using var recipient = RelayProtocol.NewKey();
        var a1 = tokens.Mint();
        byte[] rid;
        await using (var relay = await StartAsync(serve))
        await using (var client = await RelayClient.ConnectAsync(relay.Address))
        {
            var q = await client.CreateQueueAsync(recipient);
            rid = q.RecipientId.ToByteArray();

            // Anchored, but not usable yet by the chain's clock; never anchored: unknown.
            await RefusedAsync(client, rid, recipient, a1, "not usable yet");
            await RefusedAsync(client, rid, recipient, tokens.Mint(keyC), "not one this relay trusts");

            await MineAtAsync(issuer, fromA);
            Assert.Equal(1_000_000, (await client.TopUpAsync(rid, recipient, a1)).Amount);
            Assert.Equal(1, TokenMeteringTests.SpentEntries(dir.Path));
            await relay.Process.KillAsync(); // SIGKILL: the spend is on disk with the credit, or neither is
        }

        var b1 = tokens.Mint(keyB);
        await using (var relay = await StartAsync(serve))
        await using (var client = await RelayClient.ConnectAsync(relay.Address))
        {
            // Restarted on the same data: the spent token is still spent, the credit still there.
            await RefusedAsync(client, rid, recipient, a1, "already spent");
            Assert.Equal(1_000_000, (await client.InfoAsync(rid, recipient)).Balance.Amount);

            await MineAtAsync(issuer, fromB);
            Assert.Equal(2_000_000, (await client.TopUpAsync(rid, recipient, b1)).Amount);
            Assert.Equal(2, TokenMeteringTests.SpentEntries(dir.Path));

            // At A's redeemUntil by block time: A's tokens are refused and A's spent token is dropped; B's stays.
            await MineAtAsync(issuer, redeemUntilA);
            await RefusedAsync(client, rid, recipient, tokens.Mint(), "past its redeem-until");
            await WaitUntilAsync(() => TokenMeteringTests.SpentEntries(dir.Path) == 1);
            await RefusedAsync(client, rid, recipient, a1, "past its redeem-until");
            await RefusedAsync(client, rid, recipient, b1, "already spent");
            await relay.Process.KillAsync();
        }

        await using (var relay = await StartAsync(serve))
        await using (var client = await RelayClient.ConnectAsync(relay.Address))
        {
            // The drop was durable too, and nothing came back with the restart.
            Assert.Equal(1, TokenMeteringTests.SpentEntries(dir.Path));
            await RefusedAsync(client, rid, recipient, a1, "past its redeem-until");
            await RefusedAsync(client, rid, recipient, b1, "already spent");
            Assert.Equal(2_000_000, (await client.InfoAsync(rid, recipient)).Balance.Amount);
        }
    }

    [Theory]
    [InlineData("--rpc", "http://127.0.0.1:8545")]
    [InlineData("--ledger", "0x5FbDB2315678afecb367f032d93F642f64180aa3")]
    public async Task Rpc_and_ledger_go_together(string option, string value)
    {
        using var dir = new TempDirectory();
        await using var relay = ChildProcess.Start("dotnet", [RepositoryPaths.SxlDll, "relay", "serve", "--data", dir.Path, "--listen", "127.0.0.1:0", "--metering", "tokens", option, value]);
        Assert.Equal(2, await relay.WaitForExitAsync(Patience));
        Assert.Contains("--rpc and --ledger go together", relay.AllOutput, StringComparison.Ordinal);
        Assert.Empty(relay.StandardOutput);
    }

    private sealed record Running(ChildProcess Process, PinnedAddress Address) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Process.DisposeAsync();
    }

    private static async Task<Running> StartAsync(IEnumerable<string> arguments)
    {
        var process = ChildProcess.Start("dotnet", arguments);
        var line = await process.WaitForLineAsync(l => l.StartsWith("sxl://", StringComparison.Ordinal), Patience);
        return new Running(process, PinnedAddress.Parse(line));
    }

    private static async Task RefusedAsync(RelayClient client, byte[] rid, NSec.Cryptography.Key recipient, byte[] token, string why)
    {
        var refused = await Assert.ThrowsAsync<RelayException>(() => client.TopUpAsync(rid, recipient, token));
        Assert.Equal(ErrorCode.PaymentRefused, refused.Code);
        Assert.Contains(why, refused.Message, StringComparison.Ordinal);
    }

    /// <summary>Mines the next block at exactly <paramref name="time"/>: the chain's clock, which the relay judges windows by.</summary>
    private static async Task MineAtAsync(LedgerClient chain, ulong time)
    {
        await chain.Connection.RpcAsync<object>("evm_setNextBlockTimestamp", (long)time);
        await chain.Connection.RpcAsync<object>("evm_mine");
        Assert.Equal(time, await chain.LatestBlockTimeAsync());
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(Patience);
        while (!condition())
        {
            await Task.Delay(100, timeout.Token);
        }
    }
}
