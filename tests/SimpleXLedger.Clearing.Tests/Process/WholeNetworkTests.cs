using System.Globalization;
using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Net.Client;
using NSec.Cryptography;
using SimpleXLedger.Chain.Devnet;
using SimpleXLedger.Chain.Receipts;
using SimpleXLedger.Chain.Services;
using SimpleXLedger.Clearing.Client;
using SimpleXLedger.Clearing.Tests.Support;
using SimpleXLedger.Net;
using SimpleXLedger.Protos.Issuer;
using SimpleXLedger.Protos.Relay;
using SimpleXLedger.Relay.Client;
using SimpleXLedger.Testing;
using SimpleXLedger.Tokens;
using Xunit.Abstractions;

namespace SimpleXLedger.Clearing.Tests.Process;

/// <summary>
/// The wired network, every part its own process: Anvil with the ledger, <c>sxl issuer serve</c> on the ledger
/// (anchoring its key and issued totals), <c>sxl clearing serve</c> on the ledger's registry, two
/// <c>sxl relay serve --rpc --ledger --clearing --operator-key</c> (keys from the ledger's registry, redemptions at
/// the clearing house), and the vendor funding its cards with <c>sxl vendor fund</c>. A card funded
/// on-chain becomes tokens; one token offered at both relays at once pays exactly once; every receipt the relays
/// keep is valid by the ledger contract's own check.
/// Nothing waits on wall-clock guesses: each step waits for the state the next one needs (a ready line, the key
/// current on the chain, the card active, the issued total anchored, the chain's time past the key's start).
/// </summary>
// In the anvil collection only to run apart from the other chain tests (they are heavy too); it starts its own Anvil,
// because the shared one's block time has been moved far ahead of the services' clocks by the settlement tests.
[Collection(AnvilCollection.Name)]
public sealed class WholeNetworkTests(ITestOutputHelper output) : IDisposable
{
    private const string IssuerName = "issuer.test";
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(90);
    private readonly string _directory = System.IO.Directory.CreateTempSubdirectory("sxl-network-").FullName;

    [Fact]
    public async Task Issuer_clearing_house_and_two_relays_on_a_real_ledger_accept_each_token_once_with_receipts_valid_on_chain()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        void Step(string what) => output.WriteLine($"{clock.Elapsed.TotalSeconds,6:F1} s  {what}");
        await using var anvil = await AnvilNode.StartAsync();
        var deployment = await DevnetLedger.DeployAsync(anvil.RpcUrl);
        using var reader = await ChainConnection.ConnectAsync(anvil.RpcUrl);
        var ledger = await LedgerClient.AttachAsync(reader, deployment.Ledger);

        // Block time moves only when blocks are mined. The ticker mines one whenever the chain's clock is behind the
        // wall clock, so block time keeps moving (as on a live chain) without running ahead of the services' clocks.
        using var stopTicking = new CancellationTokenSource();
        var ticker = TickAsync(reader, stopTicking.Token);
        var processes = new List<ChildProcess>();
        try
        {
            var clearingKey = ClearingProcess.WriteKeyFile(Path.Combine(_directory, "clearing.key"), DevAccounts.ClearingHouse);
            var issuerKey = ClearingProcess.WriteKeyFile(Path.Combine(_directory, "issuer.key"), DevAccounts.Issuer);
            var clearing = Start(processes, "clearing", "serve", "--data", Path.Combine(_directory, "clearing"), "--grpc", "127.0.0.1:0",
                "--rpc", anvil.RpcUrl, "--ledger", deployment.Ledger, "--key", clearingKey,
                "--issuer-name", IssuerName, "--epoch-seconds", "3600", "--devnet", "--registry-max-age-ms", "0");
            // The issuer's first key is usable some seconds after it is planned: its anchoring transaction must be mined
            // before then (less the ledger's minimum delay), which a loaded machine makes slow; a refused plan is
            // planned again from the chain's word.
            var http = FreePort.Next();
            var grpc = FreePort.Next();
            var issuer = Start(processes, "issuer", "serve", "--data", Path.Combine(_directory, "issuer"), "--name", IssuerName,
                "--http", $"127.0.0.1:{http.ToString(CultureInfo.InvariantCulture)}", "--grpc", $"127.0.0.1:{grpc.ToString(CultureInfo.InvariantCulture)}",
                "--rpc", anvil.RpcUrl, "--ledger", deployment.Ledger, "--key", issuerKey, "--devnet",
                "--usable-delay", "6s", "--issue-window", "600s", "--redeem-window", "600s", "--epoch", "1s", "--maintenance-interval", "1s");

            // Meanwhile the vendor makes two cards of 100 credits and funds them on-chain with sxl vendor fund; once the
            // issuer is up it hands it the batch, and the issuer activates the cards when it sees the funding.
            var issuerReady = issuer.WaitForLineAsync(l => l.StartsWith("issuer ready", StringComparison.Ordinal), StepTimeout);
            var vendorDone = VendorFundsCardsAsync(anvil.RpcUrl, deployment.Ledger, issuerReady);

            var clearingAddress = (await clearing.WaitForLineAsync(l => l.StartsWith("sxl://", StringComparison.Ordinal), StepTimeout)).Trim();
            Step("clearing house serving");

            // The operators register and their relays start while the issuer gets its first key on-chain.
            var relaysStarting = Task.WhenAll(new[] { ("a", DevAccounts.OperatorA), ("b", DevAccounts.OperatorB) }
                .Select(r => StartRelayAsync(processes, r.Item1, r.Item2, clearingAddress, anvil.RpcUrl, deployment.Ledger)));
            await issuerReady;
            Step("issuer serving");
            var codes = await vendorDone;
            Step("cards funded and imported");
            var issuingKey = await WaitForAsync("the issuer's key current on-chain", async () => await ledger.GetCurrentIssuingKeyAsync());
            Step("issuer key current on-chain");
            var tokens = await RedeemCardAsync($"http://127.0.0.1:{grpc.ToString(CultureInfo.InvariantCulture)}", codes[0]);
            Step("card redeemed");
            Assert.Equal(100, tokens.Count);
            Assert.All(tokens, t => Assert.Equal(issuingKey.KeyId, Token.Parse(t).TokenKeyId.ToArray()));

            // The clearing house accepts no more tokens under a key than the issuer anchored as issued under it, and it
            // and the relays judge the key's window by the latest block: wait until the chain holds both (the issuer
            // anchors every epoch of 1 s; the ticker keeps block time moving).
            var anchored = await WaitForAsync("the issued total anchored for every token held", async () =>
            {
                var record = await ledger.GetKeyAsync(issuingKey.KeyId);
                return record.Issued >= (ulong)tokens.Count && await reader.LatestBlockTimeAsync() >= record.UsableFrom ? record : null;
            });
            Step($"key {Convert.ToHexStringLower(issuingKey.KeyId)[..16]}… usable from {anchored.UsableFrom}, {anchored.Issued} anchored as issued");
            var relays = await relaysStarting;
            Step("relays serving");

            // Each relay's first payment (and so its first call to the clearing house) on a token of its own.
            Assert.Null(await PayAsync(relays[0].Address, tokens[1]));
            Assert.Null(await PayAsync(relays[1].Address, tokens[2]));

            // One token at both relays at once: one queue, one refusal.
            var both = await Task.WhenAll(relays.Select(r => PayAsync(r.Address, tokens[0])));
            Assert.True(
                both.Count(e => e is null) == 1 && both.Count(e => e == ErrorCode.PaymentRefused) == 1,
                $"outcomes {string.Join(", ", both.Select(e => e?.ToString() ?? "accepted"))}\n{Logs(processes)}");

            Step("double spend settled");

            // Spent stays spent everywhere.
            Assert.Equal(ErrorCode.PaymentRefused, await PayAsync(relays[0].Address, tokens[0]));
            Assert.Equal(ErrorCode.PaymentRefused, await PayAsync(relays[1].Address, tokens[2]));

            // The relays stored a receipt for everything they were paid, each the clearing house's by the ledger's own
            // EIP-712 verification, and each for the relay's own payee.
            var receipts = relays.Select(r => (r.Payee, Receipts: ReceiptLog.ReadAll(r.ReceiptLog))).ToList();
            Assert.Equal(3, receipts.Sum(r => r.Receipts.Sum(x => x.Accepted)));
            Assert.All(receipts, r => Assert.NotEmpty(r.Receipts));
            foreach (var (payee, stored) in receipts)
            {
                foreach (var r in stored)
                {
                    Assert.Equal(payee, r.Payee, ignoreCase: true);
                    var signed = new SignedReceipt(new Receipt(r.Payee, r.Epoch, r.AcceptedInEpoch, r.BatchIdBytes), r.SignatureBytes);
                    Assert.True(await ledger.IsValidReceiptOnChainAsync(signed), $"receipt {r} recovers to {await ledger.ReceiptSignerOnChainAsync(signed)}");
                }
            }
        }
        finally
        {
            await stopTicking.CancelAsync();
            await ticker;
            foreach (var p in processes)
            {
                await p.DisposeAsync();
            }
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

    private sealed record RelayUnderTest(PinnedAddress Address, string Payee, string ReceiptLog);

    private static ChildProcess Start(List<ChildProcess> processes, params string[] args)
    {
        var process = ChildProcess.Start("dotnet", [RepositoryPaths.SxlDll, .. args]);
        lock (processes)
        {
            processes.Add(process);
        }

        return process;
    }

    /// <summary>An operator registers with the clearing house and runs its relay: keys from the ledger's registry, tokens redeemed at the clearing house.</summary>
    private async Task<RelayUnderTest> StartRelayAsync(List<ChildProcess> processes, string name, DevAccount payee, string clearingAddress, string rpcUrl, string ledger)
    {
        var operatorKey = Path.Combine(_directory, $"operator-{name}.pem");
        var payeeKey = ClearingProcess.WriteKeyFile(Path.Combine(_directory, $"payee-{name}.key"), payee);
        await RunAsync("operator", "register", "--clearing", clearingAddress, "--operator-key", operatorKey, "--payee", payee.Address, "--key", payeeKey);
        var data = Path.Combine(_directory, $"relay-{name}");
        var relay = Start(processes, "relay", "serve", "--data", data, "--listen", "127.0.0.1:0",
            "--metering", "tokens", "--devnet", "--rpc", rpcUrl, "--ledger", ledger,
            "--metering-setting", $"issuerName={IssuerName}",
            "--clearing", clearingAddress, "--operator-key", operatorKey);
        var address = PinnedAddress.Parse((await relay.WaitForLineAsync(l => l.StartsWith("sxl://", StringComparison.Ordinal), StepTimeout)).Trim());
        return new RelayUnderTest(address, payee.Address, Path.Combine(data, ReceiptLog.DefaultFileName));
    }

    /// <summary>Runs one sxl command to its end; it must succeed.</summary>
    private async Task<IReadOnlyCollection<string>> RunAsync(params string[] args)
    {
        await using var process = ChildProcess.Start("dotnet", [RepositoryPaths.SxlDll, .. args]);
        var exit = await process.WaitForExitAsync(StepTimeout);
        await process.Exited;
        output.WriteLine($"sxl {args[0]} {args[1]} → {exit}");
        Assert.True(exit == 0, $"sxl {string.Join(' ', args)} exited {exit}:\n{process.AllOutput}");
        return process.StandardOutput;
    }

    /// <summary>
    /// The vendor's side: card codes and the batch file (made here, as <c>sxl vendor cards generate</c> makes them),
    /// the batch funded with <c>sxl vendor fund</c>, then, once the issuer serves, imported with <c>sxl issuer cards import</c>.
    /// </summary>
    private async Task<IReadOnlyList<string>> VendorFundsCardsAsync(string rpcUrl, string ledger, Task issuerReady)
    {
        var (codes, batch) = SimpleXLedger.Cards.CardMint.Generate(DevAccounts.Vendor.Address, 100, 2, SimpleXLedger.Cards.CardMint.DefaultDenomination);
        var batchFile = Path.Combine(_directory, "cards.batch.json");
        SimpleXLedger.Cards.CardBatchFile.Write(batchFile, batch);
        var vendorKey = ClearingProcess.WriteKeyFile(Path.Combine(_directory, "vendor.key"), DevAccounts.Vendor);
        await RunAsync("vendor", "fund", "--batch", batchFile, "--rpc", rpcUrl, "--ledger", ledger, "--key", vendorKey, "--json");
        await issuerReady;
        await RunAsync("issuer", "cards", "import", "--data", Path.Combine(_directory, "issuer"), "--batch", batchFile);
        return codes.Select(c => c.Reveal()).ToList();
    }

    /// <summary>
    /// Turns every credit of a card into tokens over the issuer's gRPC (blinded, RFC 9578), once the issuer has activated
    /// it. The issuer judges its key by the latest block time it has read; until it holds a key usable by that time it
    /// answers Unavailable and debits nothing, and the request is made again.
    /// </summary>
    private static async Task<List<byte[]>> RedeemCardAsync(string grpcUrl, string code)
    {
        using var channel = GrpcChannel.ForAddress(grpcUrl);
        var client = new Protos.Issuer.Issuer.IssuerClient(channel);
        var card = await WaitForAsync("the card active at the issuer", async () =>
        {
            var c = await client.GetCardAsync(new GetCardRequest { CardCode = code });
            return c.State == CardInfo.Types.State.Active ? c : null;
        });
        return await WaitForAsync("the issuer issuing", async () =>
        {
            // The directory too answers Unavailable ("no key issues right now") until the issuer holds a usable key.
            Protos.Issuer.Directory directory;
            try
            {
                directory = await client.GetDirectoryAsync(new GetDirectoryRequest());
            }
            catch (Grpc.Core.RpcException e) when (e.StatusCode == Grpc.Core.StatusCode.Unavailable)
            {
                return null;
            }

            var key = TokenPublicKey.FromSpki(directory.TokenKey.Span);
            var challenge = TokenChallenge.ForNetwork(directory.IssuerName);
            var states = Enumerable.Range(0, (int)card.RemainingCredits).Select(_ => TokenClient.CreateRequest(key, challenge)).ToList();
            try
            {
                var request = new RedeemRequest { CardCode = code, RequestId = ByteString.CopyFrom(RandomNumberGenerator.GetBytes(16)) };
                request.TokenRequests.AddRange(states.Select(s => ByteString.CopyFrom(s.Request.ToArray())));
                var reply = await client.RedeemAsync(request);
                return states.Select((s, i) => TokenClient.Finalize(s, TokenResponse.Parse(reply.TokenResponses[i].Span)).ToArray()).ToList();
            }
            catch (Grpc.Core.RpcException e) when (e.StatusCode == Grpc.Core.StatusCode.Unavailable)
            {
                return null;
            }
            finally
            {
                states.ForEach(s => s.Dispose());
            }
        });
    }

    /// <summary>
    /// Pays a relay with a token by creating a queue: null when the queue was created, else the relay's error. A
    /// relay that could not reach the clearing house in time (a loaded machine) answers Unavailable and records
    /// nothing, so the same payment is offered again, as a client would; any other answer is final.
    /// </summary>
    private static async Task<ErrorCode?> PayAsync(PinnedAddress relay, byte[] token)
    {
        using var deadline = new CancellationTokenSource(StepTimeout);
        while (true)
        {
            await using var client = await RelayClient.ConnectAsync(relay);
            using var recipient = Key.Create(SignatureAlgorithm.Ed25519);
            try
            {
                await client.CreateQueueAsync(recipient, paymentToken: token);
                return null;
            }
            catch (RelayException e) when (e.Code != ErrorCode.Unavailable || deadline.IsCancellationRequested)
            {
                return e.Code;
            }
            catch (RelayException)
            {
                await Task.Delay(200, deadline.Token);
            }
        }
    }

    private static async Task TickAsync(ChainConnection chain, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                if (await chain.LatestBlockTimeAsync(ct) < (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds())
                {
                    await chain.RpcAsync<object>("evm_mine");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Polls a condition on other processes' state (the chain, the issuer) until it holds; fails naming it after the timeout.</summary>
    private static async Task<T> WaitForAsync<T>(string what, Func<Task<T?>> condition)
        where T : class
    {
        using var deadline = new CancellationTokenSource(StepTimeout);
        while (true)
        {
            if (await condition() is { } value)
            {
                return value;
            }

            try
            {
                await Task.Delay(200, deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"not reached within {StepTimeout}: {what}");
            }
        }
    }

    private static string Logs(List<ChildProcess> processes) => string.Join("\n----\n", processes.Select(p => p.AllOutput));
}
