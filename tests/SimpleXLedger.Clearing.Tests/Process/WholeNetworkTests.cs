using System.Globalization;
using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Net.Client;
using NSec.Cryptography;
using SimpleXLedger.Cards;
using SimpleXLedger.Chain.Devnet;
using SimpleXLedger.Chain.Receipts;
using SimpleXLedger.Chain.Services;
using SimpleXLedger.Clearing.Client;
using SimpleXLedger.Clearing.Tests.Support;
using SimpleXLedger.Protos.Issuer;
using SimpleXLedger.Protos.Relay;
using SimpleXLedger.Relay.Client;
using SimpleXLedger.Testing;
using SimpleXLedger.Tokens;

namespace SimpleXLedger.Clearing.Tests.Process;

/// <summary>
/// The wired network, every part its own process: Anvil with the ledger, <c>sxl issuer serve</c> on the ledger
/// (anchoring its key and issued totals), <c>sxl clearing serve</c> on the ledger's registry, and two
/// <c>sxl relay serve --clearing</c>. A card funded on-chain becomes tokens; one token offered at both relays at
/// once pays exactly once; every receipt the relays keep is valid by the ledger contract's own check.
/// </summary>
[Collection(AnvilCollection.Name)]
public sealed class WholeNetworkTests(AnvilFixture anvil) : IDisposable
{
    private const string IssuerName = "issuer.test";
    private readonly string _directory = System.IO.Directory.CreateTempSubdirectory("sxl-network-").FullName;

    [Fact]
    public async Task Issuer_clearing_house_and_two_relays_on_a_real_ledger_accept_each_token_once_with_receipts_valid_on_chain()
    {
        var deployment = await DevnetLedger.DeployAsync(anvil.RpcUrl);
        using var reader = await ChainConnection.ConnectAsync(anvil.RpcUrl);
        var ledger = await LedgerClient.AttachAsync(reader, deployment.Ledger);

        // Block time only moves when blocks are mined: a block every two seconds, as a live chain would. Anvil adds at
        // least a second per block, so mining faster would run the chain's clock ahead of the relays' clocks, which
        // judge the issuer's key windows by their own time.
        using var stopTicking = new CancellationTokenSource();
        var ticker = TickAsync(reader, stopTicking.Token);
        try
        {
            var clearingKey = ClearingProcess.WriteKeyFile(Path.Combine(_directory, "clearing.key"), DevAccounts.ClearingHouse);
            var issuerKey = ClearingProcess.WriteKeyFile(Path.Combine(_directory, "issuer.key"), DevAccounts.Issuer);
            await using var clearing = ChildProcess.Start("dotnet", [
                RepositoryPaths.SxlDll, "clearing", "serve", "--data", Path.Combine(_directory, "clearing"), "--grpc", "127.0.0.1:0",
                "--rpc", anvil.RpcUrl, "--ledger", deployment.Ledger, "--key", clearingKey,
                "--issuer-name", IssuerName, "--epoch-seconds", "3600", "--devnet", "--registry-max-age-ms", "0"]);
            var clearingAddress = (await clearing.WaitForLineAsync(l => l.StartsWith("sxl://", StringComparison.Ordinal), TimeSpan.FromSeconds(90))).Trim();

            var http = FreePort.Next();
            var grpc = FreePort.Next();
            await using var issuer = ChildProcess.Start("dotnet", [
                RepositoryPaths.SxlDll, "issuer", "serve", "--data", Path.Combine(_directory, "issuer"), "--name", IssuerName,
                "--http", $"127.0.0.1:{http.ToString(CultureInfo.InvariantCulture)}", "--grpc", $"127.0.0.1:{grpc.ToString(CultureInfo.InvariantCulture)}",
                "--rpc", anvil.RpcUrl, "--ledger", deployment.Ledger, "--key", issuerKey, "--devnet",
                "--usable-delay", "6s", "--issue-window", "600s", "--redeem-window", "600s", "--epoch", "1s", "--maintenance-interval", "1s"]);
            await issuer.WaitForLineAsync(l => l.StartsWith("issuer ready", StringComparison.Ordinal), TimeSpan.FromSeconds(90));
            var issuingKey = await WaitForAsync(async () => await ledger.GetCurrentIssuingKeyAsync(), TimeSpan.FromSeconds(60));

            // The vendor makes two cards of 100 credits, funds them on-chain and hands the batch to the issuer.
            var (codes, batchFile) = await GenerateCardsAsync();
            var batch = CardBatchFile.Read(batchFile);
            using (var vendorConnection = await ChainConnection.ConnectAsync(anvil.RpcUrl, DevAccounts.Vendor.Key))
            {
                var vendor = await LedgerClient.AttachAsync(vendorConnection, deployment.Ledger);
                await vendor.FundBatchAsync(batch.BatchId, batch.Root, batch.TotalCredits);
            }

            await using (var import = ChildProcess.Start("dotnet", [RepositoryPaths.SxlDll, "issuer", "cards", "import", "--data", Path.Combine(_directory, "issuer"), "--batch", batchFile]))
            {
                Assert.True(await import.WaitForExitAsync(TimeSpan.FromSeconds(60)) == 0, import.AllOutput);
            }

            var tokens = await RedeemCardAsync($"http://127.0.0.1:{grpc.ToString(CultureInfo.InvariantCulture)}", codes[0]);
            Assert.Equal(100, tokens.Count);
            Assert.All(tokens, t => Assert.Equal(issuingKey.KeyId, Token.Parse(t).TokenKeyId.ToArray()));

            // The issuer anchors what it issued; the clearing house accepts no more than that.
            await WaitForAsync(async () => (await ledger.GetKeyAsync(issuingKey.KeyId)).Issued >= 100 ? (object)true : null, TimeSpan.FromSeconds(60));

            var relays = new List<(ChildProcess Process, RelayAddress Address, string Receipts)>();
            foreach (var (name, payee) in new[] { ("a", DevAccounts.OperatorA), ("b", DevAccounts.OperatorB) })
            {
                var operatorKey = Path.Combine(_directory, $"operator-{name}.pem");
                var payeeKey = ClearingProcess.WriteKeyFile(Path.Combine(_directory, $"payee-{name}.key"), payee);
                await using (var register = ChildProcess.Start("dotnet", [RepositoryPaths.SxlDll, "operator", "register", "--clearing", clearingAddress, "--operator-key", operatorKey, "--payee", payee.Address, "--key", payeeKey]))
                {
                    Assert.True(await register.WaitForExitAsync(TimeSpan.FromSeconds(60)) == 0, register.AllOutput);
                }

                var data = Path.Combine(_directory, $"relay-{name}");
                var relay = ChildProcess.Start("dotnet", [
                    RepositoryPaths.SxlDll, "relay", "serve", "--data", data, "--listen", "127.0.0.1:0",
                    "--metering", "tokens", "--devnet", "--issuer", $"http://127.0.0.1:{http.ToString(CultureInfo.InvariantCulture)}",
                    "--metering-setting", $"issuerName={IssuerName}",
                    "--clearing", clearingAddress, "--operator-key", operatorKey]);
                relays.Add((relay, RelayAddress.Parse((await relay.WaitForLineAsync(l => l.StartsWith("sxl://", StringComparison.Ordinal), TimeSpan.FromSeconds(90))).Trim()), Path.Combine(data, ReceiptLog.DefaultFileName)));
            }

            try
            {
                // One token at both relays at once: one queue, one refusal.
                var both = await Task.WhenAll(relays.Select(r => TryCreateQueueAsync(r.Address, tokens[0])));
                Assert.True(both.Count(e => e is null) == 1, $"outcomes {string.Join(", ", both)}; relay logs:\n{string.Join("\n", relays.Select(r => r.Process.AllOutput))}\nclearing:\n{clearing.AllOutput}");
                Assert.Single(both, e => e == ErrorCode.PaymentRefused);
                Assert.Null(await TryCreateQueueAsync(relays[0].Address, tokens[1]));
                Assert.Null(await TryCreateQueueAsync(relays[1].Address, tokens[2]));
                Assert.Equal(ErrorCode.PaymentRefused, await TryCreateQueueAsync(relays[1].Address, tokens[1]));

                // Every receipt a relay kept is the clearing house's, by the ledger's own EIP-712 verification.
                var receipts = relays.SelectMany(r => ReceiptLog.ReadAll(r.Receipts)).ToList();
                Assert.Equal(3, receipts.Sum(r => r.Accepted));
                foreach (var r in receipts)
                {
                    var signed = new SignedReceipt(new Receipt(r.Payee, r.Epoch, r.AcceptedInEpoch, r.BatchIdBytes), r.SignatureBytes);
                    Assert.True(await ledger.IsValidReceiptOnChainAsync(signed), $"receipt {r} recovers to {await ledger.ReceiptSignerOnChainAsync(signed)}");
                }
            }
            finally
            {
                foreach (var r in relays)
                {
                    await r.Process.DisposeAsync();
                }
            }
        }
        finally
        {
            await stopTicking.CancelAsync();
            await ticker;
        }
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task<(string[] Codes, string BatchFile)> GenerateCardsAsync()
    {
        await using var generate = ChildProcess.Start("dotnet", [
            RepositoryPaths.SxlDll, "vendor", "cards", "generate", "--vendor", DevAccounts.Vendor.Address, "--value", "100", "--count", "2",
            "--out", Path.Combine(_directory, "vendor")]);
        Assert.True(await generate.WaitForExitAsync(TimeSpan.FromSeconds(60)) == 0, generate.AllOutput);
        string After(string prefix)
        {
            var line = generate.StandardOutput.First(l => l.StartsWith(prefix, StringComparison.Ordinal));
            return line[(line.LastIndexOf(": ", StringComparison.Ordinal) + 2)..].Trim();
        }

        var codes = File.ReadAllLines(After("codes")).Where(l => !string.IsNullOrWhiteSpace(l)).ToArray();
        return (codes, After("batch file"));
    }

    /// <summary>Turns every credit of a card into tokens over the issuer's gRPC (blinded, RFC 9578), once the issuer sees the funding.</summary>
    private static async Task<List<byte[]>> RedeemCardAsync(string grpcUrl, string code)
    {
        using var channel = GrpcChannel.ForAddress(grpcUrl);
        var client = new Protos.Issuer.Issuer.IssuerClient(channel);
        await WaitForAsync(async () => (await client.GetCardAsync(new GetCardRequest { CardCode = code })).State == CardInfo.Types.State.Active ? (object)true : null, TimeSpan.FromSeconds(60));
        var directory = await client.GetDirectoryAsync(new GetDirectoryRequest());
        var key = TokenPublicKey.FromSpki(directory.TokenKey.Span);
        var challenge = TokenChallenge.ForNetwork(directory.IssuerName);
        var card = await client.GetCardAsync(new GetCardRequest { CardCode = code });
        var states = Enumerable.Range(0, (int)card.RemainingCredits).Select(_ => TokenClient.CreateRequest(key, challenge)).ToList();
        try
        {
            var request = new RedeemRequest { CardCode = code, RequestId = ByteString.CopyFrom(RandomNumberGenerator.GetBytes(16)) };
            request.TokenRequests.AddRange(states.Select(s => ByteString.CopyFrom(s.Request.ToArray())));
            var reply = await client.RedeemAsync(request);
            return states.Select((s, i) => TokenClient.Finalize(s, TokenResponse.Parse(reply.TokenResponses[i].Span)).ToArray()).ToList();
        }
        finally
        {
            states.ForEach(s => s.Dispose());
        }
    }

    private static async Task<ErrorCode?> TryCreateQueueAsync(RelayAddress relay, byte[] token)
    {
        await using var client = await RelayClient.ConnectAsync(relay);
        using var recipient = Key.Create(SignatureAlgorithm.Ed25519);
        try
        {
            await client.CreateQueueAsync(recipient, paymentToken: token);
            return null;
        }
        catch (RelayException e)
        {
            return e.Code;
        }
    }

    private static async Task TickAsync(ChainConnection chain, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(2));
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                await chain.RpcAsync<object>("evm_mine");
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Polls a condition on other processes' state (the chain, the issuer) until it holds, or fails after the timeout.</summary>
    private static async Task<T> WaitForAsync<T>(Func<Task<T?>> condition, TimeSpan timeout)
        where T : class
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            if (await condition() is { } value)
            {
                return value;
            }

            await Task.Delay(200, deadline.Token);
        }
    }
}
