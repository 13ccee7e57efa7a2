using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using SimpleXLedger.Cards;
using SimpleXLedger.Chain.Devnet;
using SimpleXLedger.Chain.Services;
using SimpleXLedger.Devnet.Network;
using SimpleXLedger.Devnet.Reporting;
using SimpleXLedger.Relay.Client;
using SimpleXLedger.Wallet;
using SimpleXLedger.Wallet.Issuance;
using SimpleXLedger.Wallet.Spending;
using SimpleXLedger.Wallet.Storage;

namespace SimpleXLedger.Devnet.Scenarios.Smoke;

/// <summary>
/// Plays users through a running devnet, end to end, each step a small method: a vendor funds cards, two users
/// redeem them with the real wallet (key consistency against the registry, fixed batches), make queues at both
/// relays (topped up in fixed steps after random delays) and exchange messages; a copied token is tried at both
/// relays at once; an epoch is closed and anchored, the operators claim and the vendor withdraws; then the books
/// are checked to the last unit.
/// </summary>
public sealed class SmokeScenario : IDevnetScenario
{
    public const string ScenarioName = "smoke";
    public const string ScenarioDescription = "users redeem cards, message through both relays paying with tokens, a double spend is refused, an epoch settles, everyone is paid; the books balance";

    /// <summary>One card per wallet user, and one for the client that tries a token twice.</summary>
    private const int CardsInBatch = 3;
    private const ulong CreditsPerCard = 100;
    private const int MessagesEachWay = 5;
    private const int TopUpStep = 2;

    /// <summary>The careful wallet (prefetch, fixed batches, fresh connections), with a small step and short random delays to fit a smoke run.</summary>
    private static readonly SpendingPolicy Policy = SpendingPolicy.Careful with
    {
        TopUpStep = TopUpStep,
        TopUpDelay = DelayDistribution.Uniform(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(2)),
    };

    private readonly List<EpochResult> _epochs = [];
    private readonly List<VendorResult> _vendors = [];
    private readonly Dictionary<string, BigInteger> _expected = new(StringComparer.Ordinal);
    private readonly List<ConservationCheck> _ledgerChecks = [];
    private DevnetNetwork _network = null!;
    private IReadOnlyList<string> _codes = [];
    private BigInteger _creditPrice;
    private ushort _vendorShareBps;
    private readonly List<UserWallet> _wallets = [];
    private IssuerSession? _issuer;
    private RawTokenClient _copier = null!;
    private UserWallet _alice = null!;
    private UserWallet _bob = null!;
    private WalletQueue? _aliceQueue;
    private WalletQueue? _bobQueue;
    private long _sent;
    private long _received;
    private long _rejectedDoubleSpend;

    public string Name => ScenarioName;

    public string Description => ScenarioDescription;

    public async Task<ScenarioReport> RunAsync(DevnetNetwork network, IDevnetProgress progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(network);
        _network = network;
        var steps = new ScenarioSteps(progress);
        var parties = ConservationResult.DevnetParties(network.Ledger);
        var observer = await network.LedgerAsAsync(DevAccounts.Deployer, ct);
        await using (_copier = new RawTokenClient("copier"))
        using (observer.Connection)
        {
            try
            {
                var info = await observer.GetInfoAsync(ct);
                _creditPrice = info.CreditPrice;
                _vendorShareBps = info.VendorShareBps;
                var before = await BalanceSnapshot.TakeAsync(observer, parties, ct);

                await steps.RunAsync("vendor funds a batch", () => VendorFundsBatchAsync(ct), ct);
                await steps.RunAsync("users redeem their cards", () => UsersRedeemAsync(ct), ct, "vendor funds a batch");
                await steps.RunAsync("queues at both relays", () => QueuesAtBothRelaysAsync(ct), ct, "users redeem their cards");
                await steps.RunAsync("messages both ways", () => MessagesBothWaysAsync(ct), ct, "queues at both relays");
                await steps.RunAsync("one token tried at both relays", () => DoubleSpendAsync(ct), ct, "vendor funds a batch");
                await steps.RunAsync("epoch closed and anchored", () => CloseEpochAsync(ct), ct, "messages both ways");
                await steps.RunAsync("operators claim", () => OperatorsClaimAsync(ct), ct, "epoch closed and anchored");
                await steps.RunAsync("vendor withdraws its share", () => VendorWithdrawsAsync(observer, ct), ct, "vendor funds a batch");

                var after = await BalanceSnapshot.TakeAsync(observer, parties, ct);
                var conservation = ConservationResult.Compare(parties, before, after, _expected, _ledgerChecks);
                await steps.RunAsync("books balance to the last unit", () => Task.FromResult(conservation.Ok
                    ? $"ledger books and every party's balance match; {parties.Count} parties, deltas sum to {conservation.SumOfDeltas}"
                    : throw new ScenarioCheckException(string.Join("; ", conservation.Checks.Where(c => !c.Ok).Select(c => $"{c.Name}: {c.Detail}")))), ct);

                var balances = _wallets.Select(w => w.GetBalance()).ToList();
                return new SmokeReport
                {
                    Steps = steps.Records,
                    Epochs = _epochs,
                    Vendors = _vendors,
                    Tokens = new TokenCounts(
                        balances.Sum(b => b.TokensRedeemed) + _copier.Issued,
                        balances.Sum(b => b.TokensSpent) + _copier.Spent,
                        RedeemedAtClearingHouse(),
                        _rejectedDoubleSpend),
                    Messages = new MessageCounts(_sent, _received),
                    Conservation = conservation,
                    Network = new NetworkDescription(network.RpcUrl, network.Ledger, network.Issuer.Grpc.ToString(), network.Clearing.Address, [.. network.Relays.Select(r => r.Address)], network.Options.DataDirectory),
                    Names = parties.ToDictionary(p => p.Address, p => p.Name, StringComparer.OrdinalIgnoreCase),
                };
            }
            finally
            {
                foreach (var wallet in _wallets)
                {
                    await wallet.DisposeAsync();
                }

                if (_issuer is not null)
                {
                    (_issuer.Keys as IDisposable)?.Dispose();
                    _issuer.Dispose();
                }
            }
        }
    }

    // ---- steps ----------------------------------------------------------------------------------

    /// <summary>The vendor makes cards (codes stay with it), funds them on-chain and gives the issuer their hashes.</summary>
    private async Task<string> VendorFundsBatchAsync(CancellationToken ct)
    {
        var dir = Path.Combine(_network.Options.DataDirectory, "smoke", "vendor");
        var lines = await _network.Runner.RunAsync("smoke-vendor-generate", [
            "vendor", "cards", "generate", "--vendor", DevAccounts.Vendor.Address,
            "--value", CreditsPerCard.ToString(CultureInfo.InvariantCulture),
            "--count", CardsInBatch.ToString(CultureInfo.InvariantCulture), "--out", dir,
        ], ct: ct);
        var batchFile = AfterColon(lines, "batch file");
        var codesFile = AfterColon(lines, "codes");
        var batch = CardBatchFile.Read(batchFile);

        var vendor = await _network.LedgerAsAsync(DevAccounts.Vendor, ct);
        ChainTransaction funding;
        using (vendor.Connection)
        {
            funding = await vendor.FundBatchAsync(batch.BatchId, batch.Root, batch.TotalCredits, ct);
        }

        await _network.Runner.RunAsync("smoke-issuer-import", ["issuer", "cards", "import", "--data", _network.Issuer.DataDirectory, "--batch", batchFile], ct: ct);
        _codes = [.. File.ReadAllLines(codesFile).Where(l => !string.IsNullOrWhiteSpace(l))];
        ScenarioCheckException.That(_codes.Count == CardsInBatch, $"the codes file has {_codes.Count} codes, not {CardsInBatch}");

        var paid = _creditPrice * batch.TotalCredits;
        Expect("vendor", -paid);
        Expect("ledger (escrow)", paid);
        return $"{CardsInBatch} cards of {CreditsPerCard} credits; {SmokeReport.Dollars(paid)} paid into escrow (tx {Short(funding.Hash)}, {funding.GasUsed:N0} gas)";
    }

    /// <summary>
    /// Each user makes a wallet and redeems one card into it: the wallet checks the issuer's key against the ledger's
    /// registry (key consistency; no fallback), asks in fixed batches of 100 and finalizes the blind signatures.
    /// </summary>
    private async Task<string> UsersRedeemAsync(CancellationToken ct)
    {
        var directory = await RegistryKeySource.ConnectAsync(_network.RpcUrl, _network.Ledger, ct);
        _issuer = new IssuerSession(new IssuerEndpoint(_network.Issuer.Grpc, _network.Issuer.Http), directory);
        _alice = await NewWalletAsync("user-1");
        _bob = await NewWalletAsync("user-2");
        var a = await _alice.RedeemCardAsync(_codes[0], _issuer, ct);
        var b = await _bob.RedeemCardAsync(_codes[1], _issuer, ct);
        ScenarioCheckException.That(a.TokensAdded == (int)CreditsPerCard && b.TokensAdded == (int)CreditsPerCard, $"expected {CreditsPerCard} tokens in each wallet, got {a.TokensAdded} and {b.TokensAdded}");
        ScenarioCheckException.That(a.CreditsLeft == 0 && b.CreditsLeft == 0, "a card still has credits at the issuer after a full redemption");
        return $"two wallets, {a.TokensAdded + b.TokensAdded} tokens in {a.Batches + b.Batches} fixed batches of {SpendingPolicy.DefaultBatch}, under the registry's current key";
    }

    /// <summary>
    /// User 1 makes a queue at the first relay, user 2 at the second; one token each pays for the queue, and the
    /// wallet then tops it up in a fixed step after a random delay (never at the moment the relay asks).
    /// </summary>
    private async Task<string> QueuesAtBothRelaysAsync(CancellationToken ct)
    {
        var relays = _network.Relays;
        ScenarioCheckException.That(relays.Count >= 2, "the smoke scenario needs two relays");
        _aliceQueue = await _alice.CreateQueueAsync(RelayAddress.Parse(relays[0].Address), "inbox", cancellationToken: ct);
        _bobQueue = await _bob.CreateQueueAsync(RelayAddress.Parse(relays[1].Address), "inbox", cancellationToken: ct);
        var paid = 0;
        foreach (var wallet in new[] { _alice, _bob })
        {
            // The new queue's credit is below the wallet's threshold: a top-up is scheduled after a random delay; run it.
            ScenarioCheckException.That(wallet.TopUps.Pending.Count == 1, "the wallet scheduled no top-up for its new, empty queue");
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            var left = await wallet.TopUps.RunUntilIdleAsync(timeout.Token);
            ScenarioCheckException.That(left.Count == 0, "a top-up is still pending after running the due ones");
            paid += TopUpStep;
        }

        _aliceQueue = await _alice.RefreshCreditAsync("inbox", ct);
        _bobQueue = await _bob.RefreshCreditAsync("inbox", ct);
        ScenarioCheckException.That(_aliceQueue.Balance > 0 && _bobQueue.Balance > 0, "a top-up did not raise the queue's credit");
        return $"{relays[0].Name} and {relays[1].Name}: one queue each, paid with 1 token, then topped up with {TopUpStep} after a random delay (credits {_aliceQueue.Balance} and {_bobQueue.Balance} microcredits)";
    }

    /// <summary>Messages both ways across the two relays, each paid from the receiving queue's credit, every one received exactly once.</summary>
    private async Task<string> MessagesBothWaysAsync(CancellationToken ct)
    {
        var toBob = Enumerable.Range(1, MessagesEachWay).Select(i => $"hello user 2, this is message {i}").ToList();
        var toAlice = Enumerable.Range(1, MessagesEachWay).Select(i => $"hello user 1, reply {i}").ToList();
        foreach (var m in toBob)
        {
            var sent = await _alice.SendAsync(_bobQueue!.SenderLink!, Encoding.UTF8.GetBytes(m), ct);
            ScenarioCheckException.That(sent.Status == SendStatus.Sent, $"user 1's message was not sent: {sent.Detail}");
            _sent++;
        }

        foreach (var m in toAlice)
        {
            var sent = await _bob.SendAsync(_aliceQueue!.SenderLink!, Encoding.UTF8.GetBytes(m), ct);
            ScenarioCheckException.That(sent.Status == SendStatus.Sent, $"user 2's message was not sent: {sent.Detail}");
            _sent++;
        }

        var bobGot = (await _bob.ReceiveAsync("inbox", cancellationToken: ct)).Where(m => !m.QuotaNotice).Select(m => Encoding.UTF8.GetString(m.Body)).ToList();
        var aliceGot = (await _alice.ReceiveAsync("inbox", cancellationToken: ct)).Where(m => !m.QuotaNotice).Select(m => Encoding.UTF8.GetString(m.Body)).ToList();
        _received += bobGot.Count + aliceGot.Count;
        ScenarioCheckException.That(Same(bobGot, toBob), $"user 2 received {bobGot.Count} of {toBob.Count} messages, or out of order");
        ScenarioCheckException.That(Same(aliceGot, toAlice), $"user 1 received {aliceGot.Count} of {toAlice.Count} messages, or out of order");
        return $"{_sent} sent, {_received} received, in order, each paid from its queue's credit";
    }

    /// <summary>
    /// A token copied outside any wallet is presented at both relays at the same moment: exactly one may accept it
    /// (the clearing house's network-wide spent-set decides), the other refuses it as spent.
    /// </summary>
    private async Task<string> DoubleSpendAsync(CancellationToken ct)
    {
        if (!_network.RelaysRedeemAtClearingHouse)
        {
            throw new NotYetAvailableException("relays do not redeem at the clearing house yet (sxl relay serve --clearing, issue 6): each relay alone would accept the token");
        }

        await _copier.RedeemAsync(_network.Issuer, _codes[2], ct);
        var queueA = await _copier.CreateQueueAsync(_network.Relays[0], "copier-a", ct);
        var queueB = await _copier.CreateQueueAsync(_network.Relays[1], "copier-b", ct);
        using (queueA)
        using (queueB)
        {
            var token = _copier.TakeToken();
            var attempts = await Task.WhenAll(_copier.TryTopUpAsync(queueA, token, ct), _copier.TryTopUpAsync(queueB, token, ct));
            var accepted = attempts.Count(a => a);
            _rejectedDoubleSpend += attempts.Length - accepted;
            ScenarioCheckException.That(accepted == 1, $"the token was accepted {accepted} times across the two relays");
            return $"accepted at {(attempts[0] ? _network.Relays[0].Name : _network.Relays[1].Name)}, refused as spent at the other";
        }
    }

    /// <summary>The clearing house closes the epoch: one leaf per payee, the root anchored on-chain.</summary>
    private Task<string> CloseEpochAsync(CancellationToken ct)
    {
        _ = ct;
        throw new NotYetAvailableException("settlement epochs are not built yet (sxl clearing epoch close / epoch show --json, issue 7)");
    }

    /// <summary>Each operator and the fee recipient claim their leaf with its Merkle proof once the dispute window has closed.</summary>
    private Task<string> OperatorsClaimAsync(CancellationToken ct)
    {
        _ = ct;
        throw new NotYetAvailableException("operator claims are not built yet (sxl claim --epoch --payee, issue 7)");
    }

    /// <summary>The vendor takes its on-chain balance: the share of every batch it funded.</summary>
    private async Task<string> VendorWithdrawsAsync(LedgerClient observer, CancellationToken ct)
    {
        var share = await observer.VendorBalanceAsync(DevAccounts.Vendor.Address, ct);
        var vendor = await _network.LedgerAsAsync(DevAccounts.Vendor, ct);
        ChainTransaction tx;
        using (vendor.Connection)
        {
            tx = await vendor.WithdrawVendorBalanceAsync(ct);
        }

        var left = await observer.VendorBalanceAsync(DevAccounts.Vendor.Address, ct);
        var batchShare = _creditPrice * CardsInBatch * CreditsPerCard * _vendorShareBps / 10_000;
        _ledgerChecks.Add(new ConservationCheck("vendor share credited at funding", share >= batchShare, $"vendor balance {share} ≥ this batch's share {batchShare} ({_vendorShareBps} bps)"));
        _ledgerChecks.Add(new ConservationCheck("vendor balance emptied by the withdrawal", left.IsZero, $"left on the ledger: {left}"));
        _vendors.Add(new VendorResult(DevAccounts.Vendor.Address, share, share - left));
        Expect("vendor", share - left);
        Expect("ledger (escrow)", -(share - left));
        return $"{SmokeReport.Dollars(share - left)} withdrawn (tx {Short(tx.Hash)}, {tx.GasUsed:N0} gas)";
    }

    // ---- helpers ----------------------------------------------------------------------------------

    /// <summary>Tokens the clearing house accepted, from the epochs' operator leaves (leaf amount ÷ operator rate).</summary>
    private long RedeemedAtClearingHouse() => 0;

    private async Task<UserWallet> NewWalletAsync(string name)
    {
        var directory = Path.Combine(_network.Options.DataDirectory, "smoke", "wallets");
        Directory.CreateDirectory(directory);
        // A fresh random passphrase per run, held in memory only: these wallets live as long as the scenario.
        var passphrase = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));
        var wallet = await UserWallet.CreateAsync(Path.Combine(directory, name + ".sxlw"), passphrase, KdfParameters.Interactive, new WalletOptions { Spending = Policy });
        _wallets.Add(wallet);
        return wallet;
    }

    private void Expect(string party, BigInteger delta) => _expected[party] = _expected.GetValueOrDefault(party) + delta;

    private static string AfterColon(IReadOnlyList<string> lines, string prefix)
    {
        var line = lines.FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))
            ?? throw new ScenarioCheckException($"`sxl vendor cards generate` printed no '{prefix}' line");
        return line[(line.LastIndexOf(": ", StringComparison.Ordinal) + 2)..].Trim();
    }

    private static bool Same(IReadOnlyList<string> got, IReadOnlyList<string> sent) =>
        got.Count == sent.Count && got.Zip(sent).All(p => string.Equals(p.First, p.Second, StringComparison.Ordinal));

    private static string Short(string hex) => hex.Length > 14 ? hex[..10] + "…" : hex;
}
