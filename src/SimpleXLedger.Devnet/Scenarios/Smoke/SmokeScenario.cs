using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using SimpleXLedger.Cards;
using SimpleXLedger.Chain.Devnet;
using SimpleXLedger.Chain.Services;
using SimpleXLedger.Devnet.Network;
using SimpleXLedger.Devnet.Reporting;
using SimpleXLedger.Net;
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

    /// <summary>
    /// The careful wallet (prefetch, fixed batches, fresh connections), with a small step and short random delays to fit
    /// a smoke run, and tokens spendable at once (the default minimum age is an hour).
    /// </summary>
    private static readonly SpendingPolicy Policy = SpendingPolicy.Careful with
    {
        TopUpStep = TopUpStep,
        TopUpDelay = DelayDistribution.Uniform(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(2)),
        MinTokenAge = TimeSpan.Zero,
    };

    private const string TurnStep = "TURN credentials bought with a token, a relay allocated at coturn";

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
    private long _redeemedAtClearing;
    private LedgerClient _observer = null!;
    private string _feeRecipient = string.Empty;
    private ulong _anchoredAtStart;
    private TurnResult? _turn;

    public string Name => ScenarioName;

    public string Description => ScenarioDescription;

    /// <summary>Short epochs, so the one holding the smoke's tokens closes soon after they are spent.</summary>
    public DevnetOptions Configure(DevnetOptions options) => options with { EpochSeconds = Math.Min(options.EpochSeconds, 15) };

    public async Task<ScenarioReport> RunAsync(DevnetNetwork network, IDevnetProgress progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(network);
        _network = network;
        var steps = new ScenarioSteps(progress);
        var parties = ConservationResult.DevnetParties(network.Ledger);
        var observer = _observer = await network.LedgerAsAsync(DevAccounts.Deployer, ct);
        await using (_copier = new RawTokenClient("copier"))
        using (observer.Connection)
        {
            try
            {
                var info = await observer.GetInfoAsync(ct);
                _creditPrice = info.CreditPrice;
                _vendorShareBps = info.VendorShareBps;
                _feeRecipient = info.FeeRecipient;
                _anchoredAtStart = await AnchoredIssuedAsync(ct);
                var before = await BalanceSnapshot.TakeAsync(observer, parties, ct);

                await steps.RunAsync("vendor funds a batch", () => VendorFundsBatchAsync(ct), ct);
                await steps.RunAsync("users redeem their cards", () => UsersRedeemAsync(ct), ct, "vendor funds a batch");
                await steps.RunAsync("queues at both relays", () => QueuesAtBothRelaysAsync(ct), ct, "users redeem their cards");
                await steps.RunAsync("messages both ways", () => MessagesBothWaysAsync(ct), ct, "queues at both relays");
                await steps.RunAsync("one token tried at both relays", () => DoubleSpendAsync(ct), ct, "vendor funds a batch");
                string[] beforeEpoch = ["messages both ways", "one token tried at both relays"];
                if (network.Turn is not null)
                {
                    await steps.RunAsync(TurnStep, () => TurnAsync(network.Turn, ct), ct, "users redeem their cards");
                    beforeEpoch = [.. beforeEpoch, TurnStep];
                }
                else
                {
                    _turn = new TurnResult(false, network.TurnMissing, null, null, 0, 0, null);
                }

                await steps.RunAsync("epoch closed and anchored", () => CloseEpochAsync(ct), ct, beforeEpoch);
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
                        _redeemedAtClearing,
                        _rejectedDoubleSpend),
                    Messages = new MessageCounts(_sent, _received),
                    Conservation = conservation,
                    Network = new NetworkDescription(network.RpcUrl, network.Ledger, network.Issuer.Grpc.ToString(), network.Clearing.Address, [.. network.Relays.Select(r => r.Address)], network.Options.DataDirectory),
                    Names = parties.ToDictionary(p => p.Address, p => p.Name, StringComparer.OrdinalIgnoreCase),
                    OperatorRate = info.OperatorRate,
                    Turn = _turn,
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
                    _issuer.Dispose();
                }
            }
        }
    }

    // ---- steps ----------------------------------------------------------------------------------

    /// <summary>The vendor makes cards (codes stay with it), funds them on-chain and gives the issuer their hashes.</summary>
    private async Task<string> VendorFundsBatchAsync(CancellationToken ct)
    {
        var funded = await _network.FundCardsAsync("smoke-", Path.Combine("smoke", "vendor"), CardsInBatch, CreditsPerCard, ct);
        var (batch, funding) = (funded.Batch, funded.Funding);
        _codes = [.. funded.Codes];
        ScenarioCheckException.That(_codes.Count == CardsInBatch, $"the codes file has {_codes.Count} codes, not {CardsInBatch}");

        var paid = _creditPrice * batch.TotalCredits;
        Expect("vendor", -paid);
        Expect("ledger (escrow)", paid);
        return $"{CardsInBatch} cards of {CreditsPerCard} credits; {SmokeReport.Dollars(paid)} paid into escrow (tx {Short(funding.Hash)}, {funding.GasUsed:N0} gas); the issuer activated them once it saw the funding";
    }

    /// <summary>
    /// Each user makes a wallet and redeems one card into it: the wallet checks the issuer's key against the ledger's
    /// registry (key consistency; no fallback), asks in fixed batches of 100 and finalizes the blind signatures.
    /// </summary>
    private async Task<string> UsersRedeemAsync(CancellationToken ct)
    {
        _issuer = await IssuerConnection.OpenAsync(new IssuerEndpoint(_network.Issuer.Grpc, _network.Issuer.Http), IssuerKeyTrust.Registry(_network.RpcUrl, _network.Ledger), cancellationToken: ct);
        _alice = await NewWalletAsync("user-1");
        _bob = await NewWalletAsync("user-2");
        var a = await _alice.RedeemCardAsync(_codes[0], _issuer, ct);
        var b = await _bob.RedeemCardAsync(_codes[1], _issuer, ct);
        ScenarioCheckException.That(a.TokensAdded == (int)CreditsPerCard && b.TokensAdded == (int)CreditsPerCard, $"expected {CreditsPerCard} tokens in each wallet, got {a.TokensAdded} and {b.TokensAdded}");
        ScenarioCheckException.That(a.CreditsLeft == 0 && b.CreditsLeft == 0, "a card still has credits at the issuer after a full redemption");
        // The clearing house accepts no token beyond what the issuer anchored as issued: wait for its next anchoring.
        await WaitForAnchoredIssuedAsync(a.TokensAdded + b.TokensAdded, ct);
        return $"two wallets, {a.TokensAdded + b.TokensAdded} tokens in {a.Batches + b.Batches} fixed batches of {SpendingPolicy.DefaultBatch}, under the registry's current key; the issuer anchored them as issued";
    }

    /// <summary>
    /// User 1 makes a queue at the first relay, user 2 at the second; one token each pays for the queue, and the
    /// wallet then tops it up in a fixed step after a random delay (never at the moment the relay asks).
    /// </summary>
    private async Task<string> QueuesAtBothRelaysAsync(CancellationToken ct)
    {
        var relays = _network.Relays;
        ScenarioCheckException.That(relays.Count >= 2, "the smoke scenario needs two relays");
        _aliceQueue = await _alice.CreateQueueAsync(PinnedAddress.Parse(relays[0].Address), "inbox", cancellationToken: ct);
        _bobQueue = await _bob.CreateQueueAsync(PinnedAddress.Parse(relays[1].Address), "inbox", cancellationToken: ct);
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
        await WaitForAnchoredIssuedAsync(IssuedSoFar(), ct);
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

    /// <summary>
    /// User 1 buys TURN credentials with one token from the credential service beside coturn (a fresh connection, as
    /// every wallet payment), and coturn's own client, <c>turnutils_uclient</c>, allocates a relay with them; the same
    /// username with a forged password is refused by coturn itself. The token is redeemed at the clearing house under
    /// operator A's key, so the epoch pays it to operator A; the credentials are never printed.
    /// </summary>
    private async Task<string> TurnAsync(TurnService turn, CancellationToken ct)
    {
        var bought = await _alice.BuyTurnCredentialsAsync(PinnedAddress.Parse(turn.Address), ct);
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        ScenarioCheckException.That(bought.Urls.Contains(turn.Coturn.Url), $"the credentials name {string.Join(", ", bought.Urls)}, not coturn's {turn.Coturn.Url}");
        ScenarioCheckException.That(bought.Expires > now && bought.Expires - now + DevnetCoturn.MaxAllocateLifetimeSeconds <= bought.PaidSeconds + 5, $"the credential expires in {bought.Expires - now} s; with coturn's {DevnetCoturn.MaxAllocateLifetimeSeconds} s allocations that is beyond the {bought.PaidSeconds} s paid for");
        var allocated = await turn.Coturn.AllocateAsync(bought.Username, bought.Credential, TimeSpan.FromSeconds(60), ct);
        ScenarioCheckException.That(allocated.ExitCode == 0, $"turnutils_uclient could not allocate a relay with the bought credentials (status {allocated.ExitCode}): {Redact(allocated.Output, bought)}");
        var forgedPassword = Convert.ToBase64String(RandomNumberGenerator.GetBytes(20));
        var forged = await turn.Coturn.AllocateAsync(bought.Username, forgedPassword, TimeSpan.FromSeconds(60), ct);
        ScenarioCheckException.That(forged.ExitCode != 0, "coturn allocated a relay for a forged password");
        _turn = new TurnResult(true, null, turn.Address, turn.Coturn.Url, 1, bought.PaidSeconds, DateTimeOffset.FromUnixTimeSeconds(bought.Expires));
        return $"1 token bought {bought.PaidSeconds / 60} min (credential valid until {DateTimeOffset.FromUnixTimeSeconds(bought.Expires):HH:mm:ss} UTC, allocations up to {DevnetCoturn.MaxAllocateLifetimeSeconds} s); turnutils_uclient allocated a relay with it at {turn.Coturn.Url}; a forged password was refused by coturn";
    }

    /// <summary>coturn's client output without the credential in it (it echoes nothing secret today; this keeps it so).</summary>
    private static string Redact(string output, SimpleXLedger.Protos.Turn.TurnCredentials credentials) =>
        output.Replace(credentials.Credential, "<credential>", StringComparison.Ordinal).Replace(credentials.Username, "<username>", StringComparison.Ordinal);

    /// <summary>
    /// The clearing house closes, by itself, every epoch that held the smoke's tokens: one leaf per payee (accepted
    /// tokens × the operator rate, and the fee), the root anchored on-chain. Each leaf is checked against the relays'
    /// own receipts, the root rebuilt from the published list, and every token spent at a relay found redeemed once.
    /// </summary>
    private async Task<string> CloseEpochAsync(CancellationToken ct)
    {
        // Every redeemer's receipts: the relays' and the TURN service's (its tokens are paid to operator A too).
        var redeemers = _network.Relays.Select(r => r.DataDirectory).Concat(_network.Turn is { } t ? [t.DataDirectory] : []);
        var receipts = redeemers
            .Select(d => Path.Combine(d, SimpleXLedger.Clearing.Client.ReceiptLog.DefaultFileName))
            .Where(File.Exists)
            .SelectMany(SimpleXLedger.Clearing.Client.ReceiptLog.ReadAll)
            .Where(r => string.Equals(r.Ledger, _network.Ledger, StringComparison.OrdinalIgnoreCase))
            .ToList();
        ScenarioCheckException.That(receipts.Count > 0, "the relays hold no receipts from the clearing house");
        // Per epoch and payee, the best receipt's running count is what the payee is owed for.
        var owed = receipts.GroupBy(r => (r.Epoch, Payee: r.Payee.ToLowerInvariant())).ToDictionary(g => g.Key, g => g.Max(r => r.AcceptedInEpoch));
        var rate = await _observer.OperatorRateAsync(ct);
        foreach (var epoch in owed.Keys.Select(k => k.Epoch).Distinct().Order())
        {
            await WaitUntilAsync(async () => (await _observer.GetEpochAsync(epoch, ct)).Live, TimeSpan.FromSeconds((_network.Options.EpochSeconds * 3) + 60), $"epoch {epoch} was not anchored", ct);
            var file = await ShowEpochAsync(epoch, ct);
            var leaves = file["leaves"]!.AsArray().Select(l => new LeafResult(
                l!["payee"]!.GetValue<string>(),
                BigInteger.Parse(l["amount"]!.GetValue<string>(), CultureInfo.InvariantCulture),
                string.Equals(l["payee"]!.GetValue<string>(), _feeRecipient, StringComparison.OrdinalIgnoreCase) ? "fee" : "operator")).ToList();
            var root = file["root"]!.GetValue<string>();
            var anchorTx = file["postedTx"]!.GetValue<string>();
            var onChain = await _observer.GetEpochAsync(epoch, ct);
            var rebuilt = SimpleXLedger.Chain.Merkle.PayoutTree.Build(leaves.Select(l => new SimpleXLedger.Chain.Merkle.PayoutLeaf(epoch, l.Payee, l.Amount)));
            ScenarioCheckException.That(rebuilt.Root.AsSpan().SequenceEqual(onChain.Root), $"epoch {epoch}: the published leaves do not rebuild the anchored root");
            ScenarioCheckException.That(string.Equals(root, "0x" + Convert.ToHexStringLower(onChain.Root), StringComparison.Ordinal), $"epoch {epoch}: the leaf file's root is not the anchored one");
            ScenarioCheckException.That(leaves.Select(l => l.Payee.ToLowerInvariant()).Distinct().Count() == leaves.Count, $"epoch {epoch}: a payee has two leaves");
            foreach (var ((n, payee), accepted) in owed.Where(o => o.Key.Epoch == epoch))
            {
                var leaf = leaves.FirstOrDefault(l => string.Equals(l.Payee, payee, StringComparison.OrdinalIgnoreCase) && l.Kind == "operator");
                // A payee whose batches accepted nothing (a double spend refused) holds a receipt counting 0 and has no leaf.
                ScenarioCheckException.That(accepted == 0 ? leaf is null : leaf is not null && leaf.Amount == rate * accepted, $"epoch {n}: {payee} holds receipts for {accepted} tokens (owed {rate * accepted}) but its leaf is {leaf?.Amount.ToString(CultureInfo.InvariantCulture) ?? "missing"}");
            }

            var anchor = await _observer.Connection.Web3.Eth.Transactions.GetTransactionReceipt.SendRequestAsync(anchorTx);
            _epochs.Add(new EpochResult(epoch, root, anchorTx, (ulong)anchor.GasUsed.Value, leaves));
            _redeemedAtClearing += file["acceptedTokens"]!.GetValue<long>();
        }

        if (_network.Turn is { } turn && _turn is { Allocated: true })
        {
            // The TURN token was redeemed under operator A's key: a receipt for its payee, in an epoch just paid.
            var turnReceipts = SimpleXLedger.Clearing.Client.ReceiptLog.ReadAll(Path.Combine(turn.DataDirectory, SimpleXLedger.Clearing.Client.ReceiptLog.DefaultFileName))
                .Where(r => string.Equals(r.Ledger, _network.Ledger, StringComparison.OrdinalIgnoreCase))
                .ToList();
            var accepted = turnReceipts.Sum(r => r.Accepted);
            var toOperator = turnReceipts.All(r => string.Equals(r.Payee, turn.Payee.Address, StringComparison.OrdinalIgnoreCase));
            var settled = turnReceipts.All(r => _epochs.Any(e => e.Epoch == r.Epoch && e.Leaves.Any(l => string.Equals(l.Payee, r.Payee, StringComparison.OrdinalIgnoreCase) && l.Kind == "operator")));
            _ledgerChecks.Add(new ConservationCheck(
                "the TURN token paid to the TURN operator in the epoch",
                accepted == _turn.TokensPaid && toOperator && settled,
                $"the TURN service redeemed {accepted} token(s) (bought {_turn.TokensPaid}) for payee {turn.Payee.Address} (operator A){(settled ? ", in an epoch whose leaf pays it" : ", in no epoch that pays it")}"));
        }

        var spent = _wallets.Sum(w => w.GetBalance().TokensSpent) + _copier.Spent;
        _ledgerChecks.Add(new ConservationCheck(
            "every token spent at a relay redeemed once at the clearing house",
            spent == _redeemedAtClearing,
            $"{spent} accepted by relays, {_redeemedAtClearing} in the epochs' leaves, {_rejectedDoubleSpend} refused as a double spend"));
        ScenarioCheckException.That(spent == _redeemedAtClearing, $"{spent} tokens were spent at relays but {_redeemedAtClearing} were redeemed at the clearing house");
        var leafCount = _epochs.Sum(e => e.Leaves.Count);
        return $"epoch {string.Join(", ", _epochs.Select(e => e.Epoch))}: {leafCount} leaves (one per payee), {_redeemedAtClearing} tokens × rate {rate}, root anchored ({string.Join(", ", _epochs.Select(e => $"{e.AnchorGas:N0} gas"))}); leaves match the relays' receipts";
    }

    /// <summary>Each operator and the fee recipient claim their leaf with its Merkle proof once the dispute window has closed (<c>sxl claim</c>).</summary>
    private async Task<string> OperatorsClaimAsync(CancellationToken ct)
    {
        var total = BigInteger.Zero;
        foreach (var epoch in _epochs)
        {
            var closes = (await _observer.GetEpochAsync(epoch.Epoch, ct)).WindowClosesAt;
            await WaitUntilAsync(async () => await _observer.LatestBlockTimeAsync(ct) >= closes, TimeSpan.FromSeconds(120), $"epoch {epoch.Epoch}'s dispute window did not close", ct);
            foreach (var leaf in epoch.Leaves.Where(l => !l.Amount.IsZero))
            {
                var (party, keyFile) = PayeeKey(leaf.Payee);
                var lines = await _network.Runner.RunAsync($"smoke-claim-{epoch.Epoch}-{party.Replace(' ', '-')}", [
                    "claim", "--epoch", epoch.Epoch.ToString(CultureInfo.InvariantCulture), "--payee", leaf.Payee,
                    "--clearing", _network.Clearing.Address, "--rpc", _network.RpcUrl, "--ledger", _network.Ledger, "--key", keyFile,
                ], ct: ct);
                var claimed = lines.FirstOrDefault(l => l.StartsWith("claimed ", StringComparison.Ordinal))
                    ?? throw new ScenarioCheckException($"`sxl claim` for {party} in epoch {epoch.Epoch} did not claim: {string.Join(' ', lines)}");
                var tx = claimed[(claimed.LastIndexOf(' ') + 1)..];
                var receipt = await _observer.Connection.Web3.Eth.Transactions.GetTransactionReceipt.SendRequestAsync(tx);
                ScenarioCheckException.That(await _observer.IsClaimedAsync(epoch.Epoch, leaf.Payee, ct), $"the ledger does not record {party}'s claim of epoch {epoch.Epoch}");
                epoch.Claims.Add(new ClaimResult(leaf.Payee, leaf.Amount, tx, (ulong)receipt.GasUsed.Value));
                Expect(party, leaf.Amount);
                Expect("ledger (escrow)", -leaf.Amount);
                total += leaf.Amount;
            }
        }

        var claims = _epochs.Sum(e => e.Claims.Count);
        return $"{claims} claims with Merkle proofs, {SmokeReport.Dollars(total)} paid out of escrow ({string.Join(", ", _epochs.SelectMany(e => e.Claims).Select(c => $"{c.Gas:N0} gas"))})";
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
        _ledgerChecks.Add(new ConservationCheck("vendor share credited at funding", share >= batchShare, $"vendor balance {SmokeReport.Dollars(share)} ≥ this batch's share {SmokeReport.Dollars(batchShare)} ({_vendorShareBps} bps of what it paid)"));
        _ledgerChecks.Add(new ConservationCheck("vendor balance emptied by the withdrawal", left.IsZero, $"left on the ledger: {SmokeReport.Dollars(left)}"));
        _vendors.Add(new VendorResult(DevAccounts.Vendor.Address, share, share - left));
        Expect("vendor", share - left);
        Expect("ledger (escrow)", -(share - left));
        return $"{SmokeReport.Dollars(share - left)} withdrawn (tx {Short(tx.Hash)}, {tx.GasUsed:N0} gas)";
    }

    // ---- helpers ----------------------------------------------------------------------------------

    /// <summary>The party and key file of a payee: the operators' and the fee recipient's own keys sign their claims.</summary>
    private (string Party, string KeyFile) PayeeKey(string payee)
    {
        if (string.Equals(payee, DevAccounts.FeeRecipient.Address, StringComparison.OrdinalIgnoreCase))
        {
            return ("fee recipient", _network.KeyFile("fee"));
        }

        var relay = _network.Relays.FirstOrDefault(r => string.Equals(r.Payee.Address, payee, StringComparison.OrdinalIgnoreCase))
            ?? throw new ScenarioCheckException($"{payee} is no payee of this devnet");
        var party = relay.Payee == DevAccounts.OperatorA ? "operator A" : relay.Payee == DevAccounts.OperatorB ? "operator B" : relay.Name;
        return (party, relay.PayeeKeyFile);
    }

    /// <summary>The epoch's published leaf file, through <c>sxl clearing epoch show --json</c>, once it names its anchoring transaction.</summary>
    private async Task<System.Text.Json.Nodes.JsonObject> ShowEpochAsync(ulong epoch, CancellationToken ct)
    {
        System.Text.Json.Nodes.JsonObject? file = null;
        await WaitUntilAsync(
            async () =>
            {
                var lines = await _network.Runner.RunAsync($"smoke-epoch-show-{epoch}", ["clearing", "epoch", "show", epoch.ToString(CultureInfo.InvariantCulture), "--data", _network.Clearing.DataDirectory, "--json"], ct: ct);
                file = System.Text.Json.Nodes.JsonNode.Parse(string.Join('\n', lines))!.AsObject();
                return file["postedTx"] is { } tx && tx.GetValue<string>().StartsWith("0x", StringComparison.Ordinal);
            },
            TimeSpan.FromSeconds(30),
            $"epoch {epoch}'s leaf file never named its anchoring transaction",
            ct);
        return file!;
    }

    /// <summary>Sum of the issued totals the issuer anchored, over all its keys.</summary>
    private async Task<ulong> AnchoredIssuedAsync(CancellationToken ct) =>
        (await _observer.GetKeysAsync(ct)).Aggregate(0UL, (sum, k) => sum + k.Issued);

    private long IssuedSoFar() => _wallets.Sum(w => w.GetBalance().TokensRedeemed) + _copier.Issued;

    /// <summary>Until the issuer has anchored as issued every token this scenario got (it does so every few seconds).</summary>
    private Task WaitForAnchoredIssuedAsync(long issued, CancellationToken ct) =>
        WaitUntilAsync(async () => await AnchoredIssuedAsync(ct) >= _anchoredAtStart + (ulong)issued, TimeSpan.FromSeconds(60), "the issuer did not anchor the tokens it issued", ct);

    /// <summary>A bounded wait on a condition of the network (the chain's clock, a posted epoch), checked every half second.</summary>
    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string failure, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        try
        {
            while (!await condition())
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), deadline.Token);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new ScenarioCheckException($"{failure} within {timeout.TotalSeconds:0} s");
        }
    }

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

    private static bool Same(IReadOnlyList<string> got, IReadOnlyList<string> sent) =>
        got.Count == sent.Count && got.Zip(sent).All(p => string.Equals(p.First, p.Second, StringComparison.Ordinal));

    private static string Short(string hex) => hex.Length > 14 ? hex[..10] + "…" : hex;
}
