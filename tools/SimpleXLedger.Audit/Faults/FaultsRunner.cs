using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using Nethereum.Contracts;
using Nethereum.Hex.HexConvertors.Extensions;
using SimpleXLedger.Audit.Storage;
using SimpleXLedger.Cards;
using SimpleXLedger.Chain.Contracts;
using SimpleXLedger.Chain.Devnet;
using SimpleXLedger.Chain.Services;
using SimpleXLedger.Devnet.Network;
using SimpleXLedger.Devnet.Reporting;
using SimpleXLedger.Devnet.Scenarios;
using SimpleXLedger.Wallet;
using SimpleXLedger.Wallet.Issuance;
using SimpleXLedger.Wallet.Storage;

namespace SimpleXLedger.Audit.Faults;

/// <summary>
/// The audit's fault section (issue 9): every service is killed with SIGKILL — at labelled points through
/// <c>SXL_CRASH_AT</c> (the issuer mid-redemption, a relay mid-deposit and mid-send, the clearing house mid-redemption
/// and mid-epoch-close) and at random moments of a mixed workload — and started again; the chain is cut away from the
/// clearing house while it anchors an epoch and given back. After each fault the work in flight must complete; after
/// the last, the books must balance to the unit, no token may have been paid twice or lost, every message acknowledged
/// to a sender must have reached its recipient, and no user may have been charged twice.
/// </summary>
public sealed class FaultsRunner
{
    private const ulong CreditsPerCard = 100;
    private const long MicrosPerCredit = 1_000_000;

    private readonly DevnetNetwork _network;
    private readonly IDevnetProgress _progress;
    private readonly FaultPlan _plan;
    private readonly FaultInjector _injector;
    private readonly ServiceStorage _stored;
    private readonly FaultsResult _result;
    private readonly TimeSpan _crashTimeout;
    private readonly TimeSpan _epochTimeout;
    private readonly List<string> _codes = [];
    private readonly List<(string Kind, byte[] Value)> _secrets = [];
    private FaultWorkload _workload = null!;
    private LedgerClient _observer = null!;
    private ChainProxy? _proxy;
    private BigInteger _funded;
    private Baseline _start = null!;

    private FaultsRunner(DevnetNetwork network, IDevnetProgress progress, FaultPlan plan)
    {
        _network = network;
        _progress = new SerialProgress(progress);
        _plan = plan;
        _injector = new FaultInjector(network, network.Options.ReadyTimeout);
        _stored = new ServiceStorage(network);
        _result = new FaultsResult { Plan = plan };
        _crashTimeout = TimeSpan.FromSeconds(60);
        _epochTimeout = TimeSpan.FromSeconds((3 * (double)network.Options.EpochSeconds) + 60);
    }

    /// <summary>Card codes the section redeemed (for the log check: they must appear in no log either).</summary>
    public IReadOnlyList<string> Codes => _codes;

    /// <summary>Secrets of the section's wallets (queue ids and keys, unspent tokens' nonces and authenticators), for the log check.</summary>
    public IReadOnlyList<(string Kind, byte[] Value)> Secrets => _secrets;

    public FaultsResult Result => _result;

    /// <summary>Runs the whole plan against a started devnet; the result says what was survived. Services are left running, clean.</summary>
    public static async Task<FaultsRunner> RunAsync(DevnetNetwork network, IDevnetProgress progress, FaultPlan plan, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(progress);
        ArgumentNullException.ThrowIfNull(plan);
        var runner = new FaultsRunner(network, progress, plan);
        await runner.RunAsync(ct);
        return runner;
    }

    private async Task RunAsync(CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        _observer = await _network.LedgerAsAsync(DevAccounts.Deployer, ct);
        using var issuer = await IssuerConnection.OpenAsync(new IssuerEndpoint(_network.Issuer.Grpc, _network.Issuer.Http), IssuerKeyTrust.Registry(_network.RpcUrl, _network.Ledger), cancellationToken: ct);
        _workload = new FaultWorkload(_network, issuer, TimeSpan.FromSeconds(120));
        _proxy = ChainProxy.Start(_network.RpcUrl);
        try
        {
            var parties = ConservationResult.DevnetParties(_network.Ledger);
            var before = await BalanceSnapshot.TakeAsync(_observer, parties, ct);
            var start = _start = await Baseline.TakeAsync(_network, _stored, _observer, ct);
            try
            {
                await SetUpAsync(ct);

                // Faults that share no service run side by side: the issuer's with the clearing house's epoch close,
                // then one relay's deposits (and a queue bought) with the other relay's messages.
                await Task.WhenAll(
                    Fault(IssuerMidRedemptionAsync, "issuer mid-redemption", "issuer", CrashLabels.IssuerAfterDebit, ct),
                    ClearingMidEpochCloseAsync(ct));
                await CheckInvariantsAsync(ct, [.. _result.Faults]);
                await SetUpQueuesAsync(ct);
                var relayFaults = _result.Faults.Count;
                await Task.WhenAll(RelayMidDepositAsync(ct), RelayMidSendAndReceiveAsync(ct));
                foreach (var user in Users)
                {
                    // Deposits the wallets scheduled by themselves meanwhile (a new queue is low on credit): done before the next fault counts tokens.
                    await _workload.RunDueTopUpsAsync(user, ct);
                }

                await CheckInvariantsAsync(ct, [.. _result.Faults.Skip(relayFaults)]);
                await Fault(ClearingMidRedemptionAsync, "clearing house mid-redemption", "clearing", CrashLabels.ClearingBatchAfterRecord, ct);
                await CheckInvariantsAsync(ct, _result.Faults[^1]);
                await Fault(r => ClearingDownThroughDepositAsync(r, ct), "clearing house down through a deposit", "clearing", "kill -9, then kept down longer than a relay waits for it");
                await CheckInvariantsAsync(ct, _result.Faults[^1]);
                foreach (var mode in _plan.ChainCuts)
                {
                    await Fault(r => ChainUnreachableAsync(r, mode, ct), $"chain unreachable while an epoch is anchored ({Describe(mode)})", "chain", $"proxy cut at postEpoch, {Describe(mode)}");
                    await CheckInvariantsAsync(ct, _result.Faults[^1]);
                }

                foreach (var kill in _plan.RandomKills)
                {
                    await Fault(r => RandomKillAsync(r, kill, ct), $"random kill {kill.Round}: {kill.Service}", kill.Service, $"kill -9 after {kill.After.TotalSeconds:0.00} s");
                }

                await FinishAsync(parties, before, start, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                _result.Error = $"{e.GetType().Name}: {e.Message}";
                _progress.Failed($"faults: {_result.Error}");
            }
        }
        finally
        {
            try
            {
                // Whatever happened, the devnet is left as it was found: every service running, the clearing house on the chain directly.
                await RestoreAsync(ct);
            }
            finally
            {
                await _workload.DisposeAsync();
                await _proxy.DisposeAsync();
                _observer.Connection.Dispose();
                _result.Seconds = clock.Elapsed.TotalSeconds;
            }
        }
    }

    private RelayService DepositRelay => _network.Relays[_plan.DepositRelay];

    private RelayService SendRelay => _network.Relays[_plan.SendRelay];

    private IReadOnlyList<FaultUser> Users => _workload.Users;

    // ---- set-up -------------------------------------------------------------------------------------

    /// <summary>Funds a batch (one card per user, one more per random round), and makes the users' wallets; all but the first redeem now.</summary>
    private async Task SetUpAsync(CancellationToken ct)
    {
        _progress.Doing($"faults: {_plan.Users} wallets, {_plan.Count} faults planned (seed {_plan.Seed})");
        var cards = _plan.Users + _plan.RandomKills.Count;
        var funded = await _network.FundCardsAsync("faults-", Path.Combine("audit", "faults-vendor"), cards, CreditsPerCard, ct);
        _funded = (await _observer.GetInfoAsync(ct)).CreditPrice * funded.Batch.TotalCredits;
        _codes.AddRange(funded.Codes);
        ScenarioCheckException.That(_codes.Count == cards, $"the codes file has {_codes.Count} codes, not {cards}");

        for (var i = 0; i < _plan.Users; i++)
        {
            // Even users live at the relay of the deposit faults, odd ones at the relay of the send fault.
            var user = await _workload.AddUserAsync(_codes[i], _network.Relays[i % 2 == 0 ? _plan.DepositRelay : _plan.SendRelay]);
            if (i > 0)
            {
                await _workload.RedeemAsync(user, ct: ct);
            }
        }

        _progress.Done($"faults: {cards} cards funded and active, {_plan.Users - 1} wallets redeemed theirs");
    }

    /// <summary>Every user makes its queue (one token) and tops it up once (a step of two), once the issuer anchored their tokens.</summary>
    private async Task SetUpQueuesAsync(CancellationToken ct)
    {
        await WaitForAnchoredIssuedAsync(ct);
        foreach (var user in Users)
        {
            await _workload.CreateQueueAsync(user, ct);
            await _workload.TopUpAsync(user, ct);
        }
    }

    // ---- the labelled faults ------------------------------------------------------------------------

    /// <summary>The issuer debits a card and dies before it signs; the wallet resends the same request and is not debited twice.</summary>
    private async Task IssuerMidRedemptionAsync(FaultRecord record, CancellationToken ct)
    {
        var user = Users[0];
        var service = _network.Issuer.Service;
        await _injector.ArmAsync(service, CrashLabels.IssuerAfterDebit, ct);
        var failure = await _workload.RedeemOnceAsync(user, ct);
        await CrashedAsync(record, service, failure, ct);
        var debited = _stored.CardRedeemed(user.CardHash);
        var held = user.Wallet.GetBalance();
        record.Check("the card was debited, the wallet got nothing", debited == (long)CreditsPerCard && held.TokensRedeemed == 0 && held.PendingBatches == 1, $"issuer debited {debited}; the wallet holds {held.TokensRedeemed} tokens and {held.PendingBatches} request in flight");

        record.DownSeconds = (await _injector.RestartAsync(service, null, ct)).TotalSeconds;
        var redeemed = await _workload.RedeemAsync(user, ct: ct);
        var after = user.Wallet.GetBalance();
        var debitedAfter = _stored.CardRedeemed(user.CardHash);
        record.Check("the retry got the tokens without a second debit", redeemed.Replayed >= 1 && after.TokensRedeemed == (long)CreditsPerCard && debitedAfter == (long)CreditsPerCard,
            $"{redeemed.Replayed} request answered as a replay; wallet {after.TokensRedeemed} tokens, issuer debited {debitedAfter} of {CreditsPerCard}");
    }

    /// <summary>
    /// At one relay, payments cut short: a deposit's token redeemed at the clearing house and the relay dead before it
    /// credits it; a deposit credited and the relay dead before it answers; a queue made and paid for and the relay dead
    /// before it answers. The wallets resend the same tokens (and ask for the same queue): each token is credited once,
    /// no second queue is bought.
    /// </summary>
    private async Task RelayMidDepositAsync(CancellationToken ct)
    {
        var relay = DepositRelay;
        var service = relay.Service;
        var redeemed = new FaultRecord("relay mid-deposit (token redeemed, not credited)", relay.Name, $"SXL_CRASH_AT={CrashLabels.RelayTopUpAfterRedeem}");
        var committed = new FaultRecord("relay mid-deposit (credited, not answered)", relay.Name, $"SXL_CRASH_AT={CrashLabels.RelayTopUpAfterCommit}");
        var create = new FaultRecord("relay mid-create (queue made and paid, not answered)", relay.Name, $"SXL_CRASH_AT={CrashLabels.RelayCreateAfterCommit}");
        Track(redeemed);
        Track(committed);
        Track(create);
        var clock = Stopwatch.StartNew();
        var first = Users[0];
        var second = Users[2 % Users.Count];
        var relaySpent = _stored.RelaySpent(relay);
        var clearingSpent = _stored.ClearingSpent();
        var balanceFirst = Balance(first);
        var balanceSecond = Balance(second);
        var walletsBefore = (First: first.Wallet.GetBalance(), Second: second.Wallet.GetBalance());
        try
        {
            _progress.Doing($"faults: {relay.Name} dies after a deposit's token is redeemed, after one is credited, after a queue is made");
            await _injector.ArmAsync(service, CrashLabels.RelayTopUpAfterRedeem, ct);
            var failure = await _workload.TopUpOnceAsync(first, ct);
            await CrashedAsync(redeemed, service, failure, ct);
            redeemed.Check("the clearing house took the token, the relay credited nothing", _stored.ClearingSpent() == clearingSpent + 1 && _stored.RelaySpent(relay) == relaySpent && Balance(first) == balanceFirst,
                $"clearing spent-set +{_stored.ClearingSpent() - clearingSpent}, relay spent-set +{_stored.RelaySpent(relay) - relaySpent}, queue credit {Balance(first) - balanceFirst:+0;-0;0}");

            // Armed for the next fault straight away: the wallets' retries wait until the relay is clean.
            redeemed.DownSeconds = (await _injector.RestartAsync(service, CrashLabels.RelayTopUpAfterCommit, ct)).TotalSeconds;
            failure = await _workload.TopUpOnceAsync(second, ct);
            await CrashedAsync(committed, service, failure, ct);
            committed.Check("the relay credited one token and died before answering", _stored.RelaySpent(relay) == relaySpent + 1 && Balance(second) == balanceSecond + MicrosPerCredit,
                $"relay spent-set +{_stored.RelaySpent(relay) - relaySpent}, queue credit +{Balance(second) - balanceSecond}");

            committed.DownSeconds = (await _injector.RestartAsync(service, CrashLabels.RelayCreateAfterCommit, ct)).TotalSeconds;
            var queues = _stored.RelayQueues(relay);
            var spentBeforeCreate = _stored.RelaySpent(relay);
            failure = await _workload.CreateQueueOnceAsync(second, "second", ct);
            await CrashedAsync(create, service, failure, ct);
            var pending = second.Wallet.GetBalance();
            create.Check("the relay made the queue and spent its token, the wallet got no answer", _stored.RelayQueues(relay) == queues + 1 && _stored.RelaySpent(relay) == spentBeforeCreate + 1 && pending.TokensSpent == walletsBefore.Second.TokensSpent,
                $"relay queues +{_stored.RelayQueues(relay) - queues}, spent-set +{_stored.RelaySpent(relay) - spentBeforeCreate}; the wallet holds the queue as {pending.Queues.FirstOrDefault(q => q.Name == "second")?.State.ToString() ?? "nothing"} and {pending.TokensReserved} tokens reserved");
            create.DownSeconds = (await _injector.RestartAsync(service, null, ct)).TotalSeconds;

            var step = FaultWorkload.Policy.TopUpStep;
            await _workload.RunDueTopUpsAsync(first, ct);
            await _workload.RunDueTopUpsAsync(second, ct);
            var a = first.Wallet.GetBalance();
            var b = second.Wallet.GetBalance();
            redeemed.Check("the resent token was credited once: the queue got exactly one step", Balance(first) == balanceFirst + (step * MicrosPerCredit) && a.TokensSpent - walletsBefore.First.TokensSpent == step && a.TokensLost == walletsBefore.First.TokensLost,
                $"queue credit +{Balance(first) - balanceFirst} for {step} tokens; the wallet spent {a.TokensSpent - walletsBefore.First.TokensSpent}, lost {a.TokensLost - walletsBefore.First.TokensLost}");
            committed.Check("the resent token was refused as spent, not credited twice: the queue got exactly one step", Balance(second) == balanceSecond + (step * MicrosPerCredit) && b.TokensSpent + b.TokensLost - walletsBefore.Second.TokensSpent - walletsBefore.Second.TokensLost == step,
                $"queue credit +{Balance(second) - balanceSecond} for {step} tokens; the wallet spent {b.TokensSpent - walletsBefore.Second.TokensSpent}, found {b.TokensLost - walletsBefore.Second.TokensLost} already credited");

            var made = await _workload.CreateQueueAsync(second, ct, "second");
            var c = second.Wallet.GetBalance();
            create.Check("the retry got the queue it had paid for: one queue, one token", made.State == QueueState.Active && _stored.RelayQueues(relay) == queues + 1 && _stored.QueueBalance(relay, made.SenderLink!.SenderId) is not null
                && c.TokensSpent + c.TokensLost - b.TokensSpent - b.TokensLost == 1,
                $"relay queues +{_stored.RelayQueues(relay) - queues}; the wallet paid {c.TokensSpent - b.TokensSpent} and lost {c.TokensLost - b.TokensLost} token(s) for it");
            foreach (var r in new[] { redeemed, committed, create })
            {
                r.Check("every token counted once by the relay and the clearing house", _stored.RelaySpent(relay) == relaySpent + (2 * step) + 1 && _stored.ClearingSpent() == clearingSpent + (2 * step) + 1,
                    $"relay spent-set +{_stored.RelaySpent(relay) - relaySpent}, clearing spent-set +{_stored.ClearingSpent() - clearingSpent}, for {(2 * step) + 1} tokens paid");
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            foreach (var r in new[] { redeemed, committed, create })
            {
                r.Check("completed", false, $"{e.GetType().Name}: {e.Message}");
            }

            await _injector.ReviveAllAsync(ct);
        }

        redeemed.Seconds = committed.Seconds = create.Seconds = clock.Elapsed.TotalSeconds;
        Report(redeemed);
        Report(committed);
        Report(create);
    }

    /// <summary>
    /// At the other relay: a message's acknowledgement by its recipient committed (the message deleted) and the relay
    /// dead before it answers — the wallet must keep what it took, or a message acknowledged to its sender is lost; then
    /// a message stored and the relay dead before it acknowledges it to the sender, who resends (it arrives at least once).
    /// </summary>
    private async Task RelayMidSendAndReceiveAsync(CancellationToken ct)
    {
        var relay = SendRelay;
        var receive = new FaultRecord("relay mid-receive (acknowledged by the recipient, not answered)", relay.Name, $"SXL_CRASH_AT={CrashLabels.RelayAckAfterCommit}");
        var send = new FaultRecord("relay mid-send (stored, not acknowledged)", relay.Name, $"SXL_CRASH_AT={CrashLabels.RelaySendAfterCommit}");
        Track(receive);
        Track(send);
        var clock = Stopwatch.StartNew();
        var to = Users[1];
        var from = Users[3 % Users.Count];
        try
        {
            _progress.Doing($"faults: {relay.Name} dies after its recipient acknowledged a message, then after storing one");
            await _workload.ReceiveAllAsync(to, ct);
            await _injector.ArmAsync(relay.Service, CrashLabels.RelayAckAfterCommit, ct);
            var only = _workload.NewBody(from, to);
            await _workload.SendAsync(from, to, only, ct);
            var waiting = _stored.QueueMessages(relay, to.Link!.SenderId);
            var (taken, cut) = await _workload.ReceiveOnceAsync(to, ct);
            await CrashedAsync(receive, relay.Service, cut, ct);
            receive.Check("the relay deleted the acknowledged message and died before answering", waiting == 1 && _stored.QueueMessages(relay, to.Link!.SenderId) == 0,
                $"{waiting} message waiting, {_stored.QueueMessages(relay, to.Link!.SenderId)} after the crash; the wallet kept {taken}{(cut is null ? "" : $" (the call ended with {cut.GetType().Name})")}");

            // Armed for the send fault straight away.
            receive.DownSeconds = (await _injector.RestartAsync(relay.Service, CrashLabels.RelaySendAfterCommit, ct)).TotalSeconds;
            var stored = _stored.QueueMessages(relay, to.Link!.SenderId);
            var body = _workload.NewBody(from, to);
            var failure = await _workload.SendOnceAsync(from, to, body, ct);
            await CrashedAsync(send, relay.Service, failure, ct);
            send.Check("the message was stored, its sender got no acknowledgement", _stored.QueueMessages(relay, to.Link!.SenderId) == stored + 1 && !_workload.Acked.ContainsKey(body),
                $"messages stored in the queue +{_stored.QueueMessages(relay, to.Link!.SenderId) - stored}");
            send.DownSeconds = (await _injector.RestartAsync(relay.Service, null, ct)).TotalSeconds;

            await _workload.SendAsync(from, to, body, ct, resent: true);
            var next = _workload.NewBody(from, to);
            await _workload.SendAsync(from, to, next, ct);
            await _workload.ReceiveAllAsync(to, ct);
            receive.Check("the message acknowledged to its sender reached its recipient", to.Received.GetValueOrDefault(only) == 1,
                $"received {to.Received.GetValueOrDefault(only)} time(s): the recipient's acknowledgement deleted it at the relay, so only the wallet could have kept it");
            var copies = to.Received.GetValueOrDefault(body);
            send.Check("the resent message and the next one arrived; nothing acknowledged was lost", copies >= 1 && to.Received.GetValueOrDefault(next) == 1,
                $"the resent message arrived {copies} times (stored before the crash and again on the resend: at least once), the next one {to.Received.GetValueOrDefault(next)} time");
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            receive.Check("completed", false, $"{e.GetType().Name}: {e.Message}");
            send.Check("completed", false, $"{e.GetType().Name}: {e.Message}");
            await _injector.ReviveAllAsync(ct);
        }

        receive.Seconds = send.Seconds = clock.Elapsed.TotalSeconds;
        Report(receive);
        Report(send);
    }

    /// <summary>The clearing house records a relay's batch and dies before the receipt; the relay's retry (same batch id) or the wallet's is counted once.</summary>
    private async Task ClearingMidRedemptionAsync(FaultRecord record, CancellationToken ct)
    {
        var service = _network.Clearing.Service;
        var user = Users[2 % Users.Count];
        var relay = user.Relay;
        // From here the clearing house reaches the chain through the proxy (for the outage that follows).
        service.Pin("--rpc", _proxy!.Url);
        await _injector.ArmAsync(service, CrashLabels.ClearingBatchAfterRecord, ct);
        var balance = Balance(user);
        var relaySpent = _stored.RelaySpent(relay);
        var clearingSpent = _stored.ClearingSpent();
        var batches = _stored.ClearingBatches();
        var attempt = _workload.TopUpOnceAsync(user, ct);
        await CrashedAsync(record, service, null, ct);
        var recorded = _stored.ClearingBatches();
        record.Check("the batch was recorded, the relay got no receipt", recorded.Batches == batches.Batches + 1 && recorded.Accepted == batches.Accepted + 1 && _stored.RelaySpent(relay) == relaySpent,
            $"clearing batches +{recorded.Batches - batches.Batches} (tokens +{recorded.Accepted - batches.Accepted}), relay spent-set +{_stored.RelaySpent(relay) - relaySpent}");
        record.DownSeconds = (await _injector.RestartAsync(service, null, ct)).TotalSeconds;
        await attempt;
        await _workload.RunDueTopUpsAsync(user, ct);
        var step = FaultWorkload.Policy.TopUpStep;
        record.Check("the retried batch was counted once", Balance(user) == balance + (step * MicrosPerCredit) && _stored.RelaySpent(relay) == relaySpent + step && _stored.ClearingSpent() == clearingSpent + step,
            $"queue credit +{Balance(user) - balance}, relay spent-set +{_stored.RelaySpent(relay) - relaySpent}, clearing spent-set +{_stored.ClearingSpent() - clearingSpent}, for {step} tokens");
    }

    /// <summary>
    /// The clearing house killed and kept down while a wallet deposits, longer than the relay waits for it: the relay gives
    /// up (crediting nothing) while its redemption of the token is still being retried, the wallet tries again meanwhile,
    /// then the house comes back. The token must be credited once and the wallet must lose nothing (a relay that calls a
    /// token in redemption "spent" makes the wallet drop it, and the house may still record it: paid for nothing).
    /// </summary>
    private async Task ClearingDownThroughDepositAsync(FaultRecord record, CancellationToken ct)
    {
        var service = _network.Clearing.Service;
        var user = Users[1];
        var balance = Balance(user);
        var wallet = user.Wallet.GetBalance();
        record.ExitStatus = await _injector.KillAsync(service);
        record.Injected = record.ExitStatus == FaultInjector.KilledStatus;
        record.Check("killed by SIGKILL", record.Injected, $"exit status {record.ExitStatus}");
        var down = Stopwatch.StartNew();
        // The first attempt waits as long as the relay waits for the house; the second comes while that redemption is still retried.
        var first = await _workload.TopUpOnceAsync(user, ct);
        var second = await _workload.TopUpOnceAsync(user, ct);
        var during = user.Wallet.GetBalance();
        record.Check("the deposit waited; the wallet kept its tokens", first is not null && second is not null && during.TokensLost == wallet.TokensLost && during.TokensSpent == wallet.TokensSpent && Balance(user) == balance,
            $"attempts while the house was down ended with {first?.GetType().Name ?? "success"} and {second?.GetType().Name ?? "success"} after {down.Elapsed.TotalSeconds:0.0} s; the wallet lost {during.TokensLost - wallet.TokensLost} tokens");
        await _injector.RestartAsync(service, null, ct);
        record.DownSeconds = down.Elapsed.TotalSeconds;
        await _workload.RunDueTopUpsAsync(user, ct);
        var after = user.Wallet.GetBalance();
        var step = FaultWorkload.Policy.TopUpStep;
        record.Check("credited once, nothing lost", Balance(user) == balance + (step * MicrosPerCredit) && after.TokensLost == wallet.TokensLost && after.TokensSpent - wallet.TokensSpent == step,
            $"queue credit +{Balance(user) - balance} for {step} tokens; the wallet spent {after.TokensSpent - wallet.TokensSpent}, lost {after.TokensLost - wallet.TokensLost}");
    }

    /// <summary>
    /// The chain is cut away from the clearing house at the moment it sends an epoch's <c>postEpoch</c> (after the
    /// transaction reached the chain, or before), held away while the house retries, then given back: the epoch is
    /// anchored exactly once, with the root the house built.
    /// </summary>
    private async Task ChainUnreachableAsync(FaultRecord record, CutMode mode, CancellationToken ct)
    {
        var proxy = _proxy!;
        var selector = ABITypedRegistry.GetFunctionABI<PostEpochFunction>().Sha3Signature;
        var cut = proxy.CutAtNext(["eth_sendRawTransaction", selector], mode);
        try
        {
            await cut.WaitAsync(_epochTimeout, ct);
        }
        catch (TimeoutException)
        {
            throw new FaultNotReachedException($"the clearing house sent no postEpoch within {_epochTimeout.TotalSeconds:0} s");
        }

        var down = Stopwatch.StartNew();
        record.Injected = true;
        var epoch = _stored.EpochStates().Where(e => e.Value == 1).Select(e => e.Key).DefaultIfEmpty(0UL).Min();
        ScenarioCheckException.That(epoch > 0, "the chain was cut at a postEpoch, but no epoch is closing");
        record.Detail = $"epoch {epoch}";
        var refused = proxy.Refused;
        // Held away until the house has tried again (its send retries, its settlement loop): the outage is felt, not just set.
        await WaitUntilAsync(() => Task.FromResult(proxy.Refused >= refused + 3), TimeSpan.FromSeconds(60), "the clearing house did not try to reach the chain during the outage", ct);
        var onChain = await _observer.GetEpochAsync(epoch, ct);
        record.Check(
            mode == CutMode.AfterForwarding ? "the post landed, the house never heard" : "the post never left",
            (mode == CutMode.AfterForwarding ? onChain.Live : !onChain.Posted) && _stored.EpochStates()[epoch] == 1,
            $"epoch {epoch} on-chain: {(onChain.Live ? "posted" : "not posted")}; the house's state: closing; {proxy.Refused - refused} connections refused during the outage");
        proxy.Open();
        await WaitUntilAsync(async () => _stored.EpochStates()[epoch] == 2 && (await _observer.GetEpochAsync(epoch, ct)).Live, _epochTimeout, $"epoch {epoch} was not anchored after the chain came back", ct);
        record.DownSeconds = down.Elapsed.TotalSeconds;
        await CheckAnchoredOnceAsync(record, epoch, null, ct);
    }

    /// <summary>
    /// The clearing house dies after writing an epoch's leaf file, then (restarted) after posting it: the restart posts
    /// the very root it built, once, and the next one marks the epoch closed without posting again.
    /// </summary>
    private async Task ClearingMidEpochCloseAsync(CancellationToken ct)
    {
        var service = _network.Clearing.Service;
        var built = new FaultRecord("clearing house mid-epoch-close (leaves built, not posted)", "clearing", $"SXL_CRASH_AT={CrashLabels.ClearingEpochAfterBuild}");
        var posted = new FaultRecord("clearing house mid-epoch-close (posted, not recorded)", "clearing", $"SXL_CRASH_AT={CrashLabels.ClearingEpochAfterPost}");
        Track(built);
        Track(posted);
        var clock = Stopwatch.StartNew();
        try
        {
            _progress.Doing("faults: the clearing house dies closing an epoch, after building its leaves and after posting them");
            // Back on the chain directly.
            service.Pin("--rpc", _network.RpcUrl);
            await _injector.ArmAsync(service, CrashLabels.ClearingEpochAfterBuild, ct);
            await CrashedAsync(built, service, null, ct, _epochTimeout);
            var epoch = _stored.EpochStates().Where(e => e.Value == 1).Select(e => e.Key).DefaultIfEmpty(0UL).Min();
            var file = _stored.LeafFile(epoch);
            var onChain = await _observer.GetEpochAsync(epoch, ct);
            built.Detail = $"epoch {epoch}";
            built.Check("the leaf file was written, nothing posted", epoch > 0 && file is not null && !onChain.Posted, $"epoch {epoch}: leaf file {(file is null ? "missing" : file.Root[..12] + "…")}, on-chain {(onChain.Posted ? "posted" : "not posted")}");

            // Started again armed for the next label: it posts the stored leaves (and dies, maybe before it says it is ready).
            built.DownSeconds = (await RestartIntoCrashAsync(service, CrashLabels.ClearingEpochAfterPost, ct)).TotalSeconds;
            await CrashedAsync(posted, service, null, ct, _epochTimeout);
            onChain = await _observer.GetEpochAsync(epoch, ct);
            posted.Detail = $"epoch {epoch}";
            posted.Check("the stored root was posted, the house's records not updated", onChain.Live && file is not null && Hex(onChain.Root) == file.Root && _stored.EpochStates()[epoch] == 1,
                $"on-chain {(onChain.Live ? "posted" : "not posted")} with root {Hex(onChain.Root)[..12]}…; the house's state {_stored.EpochStates()[epoch]}");
            posted.DownSeconds = (await _injector.RestartAsync(service, null, ct)).TotalSeconds;
            await WaitUntilAsync(() => Task.FromResult(_stored.EpochStates()[epoch] == 2), _epochTimeout, $"epoch {epoch} was not marked closed after the restart", ct);
            await CheckAnchoredOnceAsync(built, epoch, file?.Root, ct);
            await CheckAnchoredOnceAsync(posted, epoch, file?.Root, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            built.Check("completed", false, $"{e.GetType().Name}: {e.Message}");
            posted.Check("completed", false, $"{e.GetType().Name}: {e.Message}");
            await _injector.ReviveAllAsync(ct);
        }

        built.Seconds = posted.Seconds = clock.Elapsed.TotalSeconds;
        Report(built);
        Report(posted);
    }

    // ---- random kills ------------------------------------------------------------------------------------

    /// <summary>
    /// A round of mixed work (a redemption, messages to a neighbour, deposits), every user working in a loop, with one
    /// service killed by SIGKILL at the plan's moment and started again at once; the users stop after one more pass once
    /// it is back. Every operation must complete, and the relays' and clearing house's spent-sets must agree afterwards.
    /// </summary>
    private async Task RandomKillAsync(FaultRecord record, RandomKill kill, CancellationToken ct)
    {
        var service = _injector.Service(kill.Service);
        using var back = new CancellationTokenSource();
        var passes = 0;
        var round = RoundAsync(kill.Round, back.Token, () => Interlocked.Increment(ref passes), ct);
        await Task.Delay(kill.After, ct);
        var inFlight = Volatile.Read(ref passes);
        record.ExitStatus = await _injector.KillAsync(service);
        record.Injected = record.ExitStatus == FaultInjector.KilledStatus;
        record.Check("killed by SIGKILL", record.Injected, $"exit status {record.ExitStatus}");
        record.DownSeconds = (await _injector.RestartAsync(service, null, ct)).TotalSeconds;
        await back.CancelAsync();
        await round;
        record.Detail = $"killed during pass {inFlight + 1} of the round's work ({Volatile.Read(ref passes)} passes in all)";
        var busy = Users.Select(u => (User: u, Balance: u.Wallet.GetBalance())).Where(u => u.Balance.PendingBatches > 0 || u.Balance.TopUpsPending > 0 || u.Balance.TokensReserved > 0).ToList();
        record.Check("every operation of the round completed, nothing left in flight", busy.Count == 0,
            busy.Count == 0 ? $"round {kill.Round}: {Volatile.Read(ref passes)} passes of messages and deposits, and a redemption" : string.Join("; ", busy.Select(b => $"{b.User}: {b.Balance.PendingBatches} requests, {b.Balance.TopUpsPending} deposits, {b.Balance.TokensReserved} reserved")));
        var lost = MessagesLost();
        record.Check("no acknowledged message lost", lost.Count == 0, lost.Count == 0 ? $"{_workload.Acked.Count} acknowledged so far, all received" : $"{lost.Count} acknowledged but not received");
        await CheckInvariantsAsync(ct, record);
    }

    /// <summary>
    /// What must hold after every fault, once its work is done: every token a relay credited was accepted by the clearing
    /// house and the other way round (none paid twice, none redeemed and not credited), each of the section's cards
    /// debited exactly what its wallet received, and the ledger's books balance.
    /// </summary>
    private async Task CheckInvariantsAsync(CancellationToken ct, params FaultRecord[] records)
    {
        // Every redeemer the clearing house has: the relays and the TURN credential service (its tokens are redeemed there too).
        var relaySpent = _network.Relays.Sum(r => _stored.RelaySpent(r)) + (_network.Turn is { } turn ? ServiceStorage.TurnSpent(turn.DataDirectory, long.MinValue) : 0);
        var outbox = _network.Relays.Sum(r => _stored.RelayOutbox(r));
        var clearingSpent = _stored.ClearingSpent();
        var debited = _codes.Sum(c => _stored.CardRedeemed(CardCode.Parse(c).ComputeHash().ToString()) ?? 0);
        var received = Users.Sum(u => u.Wallet.GetBalance().TokensRedeemed);
        var books = await _observer.GetAccountsAsync(ct);
        foreach (var record in records)
        {
            record.Check("after it: no token paid twice or left uncredited", relaySpent == clearingSpent && outbox == 0,
                $"relays' and TURN service's spent-sets {relaySpent} (outbox {outbox}), clearing spent-set {clearingSpent}");
            record.Check("after it: no user charged twice", debited == received, $"the section's cards debited {debited} credits, its wallets received {received} tokens");
            record.Check("after it: the ledger's books balance", books.Holds, $"received {Money.Dollars(books.EscrowReceived)}, held {Money.Dollars(books.EscrowHeld)}, withdrawn {Money.Dollars(books.VendorWithdrawn)}, claimed {Money.Dollars(books.ClaimsPaid)}; token balance {Money.Dollars(books.TokenBalance)}");
            if (record.Checks.Any(c => !c.Ok && c.Name.StartsWith("after it:", StringComparison.Ordinal)))
            {
                _progress.Failed($"faults: after {record.Name}: {string.Join("; ", record.Checks.Where(c => !c.Ok).Select(c => $"{c.Name}: {c.Detail}"))}");
            }
        }
    }

    /// <summary>
    /// One round: one user redeems another card; every user sends to the next and tops up its queue, pass after pass,
    /// until <paramref name="stop"/> (one pass at least); then everyone takes its messages.
    /// </summary>
    private async Task RoundAsync(int round, CancellationToken stop, Action pass, CancellationToken ct)
    {
        var extraCard = _codes[_plan.Users + round - 1];
        await Task.WhenAll(Users.Select(async user =>
        {
            // Off the caller's thread at once, so the kill's timer starts with the round.
            await Task.Yield();
            if (user.Index == round % Users.Count)
            {
                await _workload.RedeemAsync(user, extraCard, ct);
            }

            var to = Users[(user.Index + 1) % Users.Count];
            for (var n = 0; n == 0 || !stop.IsCancellationRequested; n++)
            {
                for (var i = 0; i < _plan.MessagesPerRound; i++)
                {
                    await _workload.SendAsync(user, to, _workload.NewBody(user, to), ct);
                }

                // Its own messages taken as they come (a queue holds at most 128 waiting).
                await _workload.ReceiveAllAsync(user, ct);

                // A deposit every third pass, while the wallet has tokens to spare (the rounds must not run it dry).
                if (n % 3 == 0 && user.Wallet.AvailableTokens >= 20)
                {
                    await _workload.TopUpAsync(user, ct);
                }
                else
                {
                    await _workload.RunDueTopUpsAsync(user, ct);
                }

                pass();
            }
        }));
        await Task.WhenAll(Users.Select(u => _workload.ReceiveAllAsync(u, ct)));
    }

    // ---- after the last fault -----------------------------------------------------------------------------

    /// <summary>Lets the work settle (messages taken, deposits done, tokens anchored, epochs posted), then checks the whole run.</summary>
    private async Task FinishAsync(IReadOnlyList<Party> parties, BalanceSnapshot before, Baseline start, CancellationToken ct)
    {
        _progress.Doing("faults: settling and checking the whole run");
        foreach (var user in Users)
        {
            await _workload.RunDueTopUpsAsync(user, ct);
            await _workload.ReceiveAllAsync(user, ct);
        }

        await WaitForAnchoredIssuedAsync(ct);
        var lastEpoch = _stored.PayeeEpochs().Keys.Select(k => k.Epoch).DefaultIfEmpty(0UL).Max();
        await WaitUntilAsync(
            async () => _stored.EpochStates().Where(e => e.Key <= lastEpoch).All(e => e.Value == 2) && (await _observer.GetEpochAsync(lastEpoch, ct)).Live,
            _epochTimeout,
            $"the epochs up to {lastEpoch} were not all anchored",
            ct);

        var checks = _result.Checks;
        var balances = Users.Select(u => (User: u, Balance: u.Wallet.GetBalance())).ToList();

        // Messages: every one acknowledged to its sender was received.
        var lost = MessagesLost();
        var received = Users.Sum(u => u.Received.Values.Sum());
        var duplicates = Users.Sum(u => u.Received.Values.Sum(n => n - 1));
        _result.Messages = (_workload.Acked.Count, received, duplicates, _workload.RetriedSends);
        checks.Add(new("no acknowledged message lost", lost.Count == 0,
            $"{_workload.Acked.Count} messages acknowledged to their senders, {lost.Count} not received; {duplicates} extra copies of {_workload.RetriedSends} sends retried after a lost acknowledgement"));
        checks.Add(new("no copy without a retry", duplicates <= _workload.SendRetries,
            $"{duplicates} extra copies received, {_workload.SendRetries} failed send attempts that may have been stored"));

        // Work in flight: none left.
        var unfinished = balances.Where(b => b.Balance.PendingBatches > 0 || b.Balance.TopUpsPending > 0 || b.Balance.TokensReserved > 0).ToList();
        checks.Add(new("the scenario completed: no redemption, deposit or reserved token left in flight", unfinished.Count == 0,
            unfinished.Count == 0 ? $"{Users.Count} wallets idle" : string.Join("; ", unfinished.Select(u => $"{u.User}: {u.Balance.PendingBatches} requests, {u.Balance.TopUpsPending} deposits, {u.Balance.TokensReserved} reserved tokens"))));

        // Issuer: each card debited exactly what its wallet received.
        var redeemedInWallets = balances.Sum(b => b.Balance.TokensRedeemed);
        var cardDebits = Users.Sum(u => _stored.CardRedeemed(u.CardHash) ?? 0) + _codes.Skip(_plan.Users).Sum(c => _stored.CardRedeemed(CardCode.Parse(c).ComputeHash().ToString()) ?? 0);
        var issuerTotal = _stored.IssuerRedeemedTotal();
        checks.Add(new("retries never charged a user twice: issuer debits = tokens in the wallets", cardDebits == redeemedInWallets && issuerTotal - start.IssuerRedeemed == redeemedInWallets,
            $"the section's cards debited {cardDebits} credits (issuer total +{issuerTotal - start.IssuerRedeemed}); the wallets received {redeemedInWallets} tokens"));
        var anchored = await AnchoredIssuedAsync(ct);
        checks.Add(new("the issuer anchored exactly what it issued", anchored == (ulong)issuerTotal, $"anchored on-chain {anchored}, debited in the issuer's books {issuerTotal}"));

        // Tokens: what left the wallets = what the relays credited = what the clearing house accepted.
        var spent = balances.Sum(b => b.Balance.TokensSpent);
        var lostOnRetry = balances.Sum(b => b.Balance.TokensLost);
        var relaySpent = _network.Relays.Sum(r => _stored.RelaySpent(r));
        var outbox = _network.Relays.Sum(r => _stored.RelayOutbox(r));
        var clearingSpent = _stored.ClearingSpent();
        var clearingBatches = _stored.ClearingBatches();
        checks.Add(new("every token that left a wallet was credited by a relay once", relaySpent - start.RelaySpent == spent + lostOnRetry && outbox == 0,
            $"the wallets spent {spent} and found {lostOnRetry} credited before a crash; the relays' spent-sets grew by {relaySpent - start.RelaySpent} (outbox {outbox})"));
        // The TURN credential service redeems at the clearing house too: its spent-set is part of the redeemers' total.
        var turnSpent = _network.Turn is { } turn ? ServiceStorage.TurnSpent(turn.DataDirectory, long.MinValue) : 0;
        checks.Add(new("no token paid twice: clearing house spent-set = relays' and TURN spent-sets = batches accepted", clearingSpent == relaySpent + turnSpent && clearingBatches.Accepted == clearingSpent,
            $"clearing spent-set {clearingSpent}, relays' spent-sets {relaySpent}, TURN service's {turnSpent}, tokens accepted in batches {clearingBatches.Accepted}"));

        // The wallets' unspent tokens: no relay or clearing house has taken one (nobody was charged without knowing).
        var taken = 0;
        var held = 0;
        foreach (var user in Users)
        {
            if (user.Wallet.AvailableTokens == 0)
            {
                continue;
            }

            foreach (var token in user.Wallet.WithdrawTokens(user.Wallet.AvailableTokens))
            {
                held++;
                var nonce = token.Nonce.ToArray();
                var keyId = token.TokenKeyId.ToArray();
                _secrets.Add(("token authenticator", token.Authenticator.ToArray()));
                _secrets.Add(("nonce", nonce));
                if (_stored.ClearingHasSpent(nonce) || _network.Relays.Any(r => _stored.RelayHasSpent(r, nonce, keyId)))
                {
                    taken++;
                }
            }
        }

        checks.Add(new("no token the wallets still hold was taken", taken == 0, $"{held} unspent tokens looked up in every spent-set: {taken} found"));
        _result.Tokens = (redeemedInWallets, spent, lostOnRetry, held);

        // Receipts and epochs: the relays were paid for every token, each epoch anchored once.
        var payees = _stored.PayeeEpochs();
        var receipts = _stored.ReceiptCounts();
        var under = receipts.Where(r => (ulong)payees.GetValueOrDefault(r.Key) < r.Value).ToList();
        checks.Add(new("no relay holds a receipt for more than the clearing house counted", under.Count == 0,
            under.Count == 0 ? $"{receipts.Count} (epoch, payee) receipt counts, each within the house's count ({receipts.Count(r => (ulong)payees.GetValueOrDefault(r.Key) == r.Value)} equal)" : string.Join("; ", under.Select(u => $"epoch {u.Key.Epoch} {u.Key.Payee}: receipt {u.Value} > {payees.GetValueOrDefault(u.Key)}"))));
        await CheckEpochsAsync(checks, start, lastEpoch, clearingSpent, ct);

        // The books, to the unit.
        var after = await BalanceSnapshot.TakeAsync(_observer, parties, ct);
        var bond = await _observer.BondOfAsync(DevAccounts.ClearingHouse.Address, ct) - start.Bond;
        var expected = new Dictionary<string, BigInteger>(StringComparer.Ordinal)
        {
            ["vendor"] = -_funded,
            ["clearing house"] = -bond,
            ["ledger (escrow)"] = _funded + bond,
        };
        var info = await _observer.GetInfoAsync(ct);
        var share = _funded * info.VendorShareBps / 10_000;
        var allocated = after.Ledger.AllocatedUnclaimed - before.Ledger.AllocatedUnclaimed;
        var posted = await PostedTotalsAsync(start.Block, ct);
        var conservation = ConservationResult.Compare(parties, before, after, expected,
        [
            new("vendor share credited", after.Ledger.VendorBalances - before.Ledger.VendorBalances == share, $"vendor balances +{Money.Dollars(after.Ledger.VendorBalances - before.Ledger.VendorBalances)} for a share of {Money.Dollars(share)}"),
            new("escrow allocated = the totals of the epochs posted", allocated == posted, $"allocated unclaimed +{Money.Dollars(allocated)}, epochs posted in the section {Money.Dollars(posted)}"),
            new("the rest stays unallocated", after.Ledger.Unallocated - before.Ledger.Unallocated == _funded - share - posted, $"unallocated {Money.Dollars(after.Ledger.Unallocated - before.Ledger.Unallocated)} = funded {Money.Dollars(_funded)} − share − allocated"),
        ]);
        foreach (var c in conservation.Checks)
        {
            checks.Add(new("books: " + c.Name, c.Ok, c.Detail));
        }

        foreach (var user in Users)
        {
            foreach (var q in user.Wallet.Queues)
            {
                if (q.SenderLink is { } link)
                {
                    _secrets.Add(("queue id", link.SenderId));
                    if (link.SenderKeySeed is { } seed)
                    {
                        _secrets.Add(("queue private key", seed));
                    }
                }
            }
        }

        _progress.Done($"faults: {_result.Summary()}");
    }

    /// <summary>Every epoch posted in the section: one postEpoch each (none sent twice, none reverted), root and operator total as the house counted.</summary>
    private async Task CheckEpochsAsync(List<FaultCheck> checks, Baseline start, ulong lastEpoch, long clearingSpent, CancellationToken ct)
    {
        var rate = await _observer.OperatorRateAsync(ct);
        var posts = await PostTransactionsAsync(start.Block, ct);
        var events = (await _observer.GetEventsAsync<EpochPostedEvent>(0, ct: ct)).Events;
        var payees = _stored.PayeeEpochs();
        var problems = new List<string>();
        var epochs = events.Where(e => e.BlockNumber > start.Block).Select(e => e.Event.Epoch).Distinct().Order().ToList();
        foreach (var epoch in epochs)
        {
            var sent = posts.Where(p => p.Epoch == epoch).ToList();
            if (sent.Count != 1 || !sent[0].Succeeded)
            {
                problems.Add($"epoch {epoch}: {sent.Count} postEpoch transactions ({sent.Count(s => !s.Succeeded)} reverted)");
            }

            var posted = events.Where(e => e.Event.Epoch == epoch).ToList();
            var file = _stored.LeafFile(epoch);
            var accepted = payees.Where(p => p.Key.Epoch == epoch).Sum(p => p.Value);
            if (posted.Count != 1 || file is null || Hex(posted[0].Event.Root) != file.Root || posted[0].Event.OperatorTotal != rate * accepted)
            {
                problems.Add($"epoch {epoch}: {posted.Count} posts, root {(file is null ? "without a leaf file" : Hex(posted[0].Event.Root) == file.Root ? "as built" : "NOT as built")}, operator total {posted.FirstOrDefault()?.Event.OperatorTotal} for {accepted} tokens × {rate}");
            }
            else if (file.PostedTx is null)
            {
                problems.Add($"epoch {epoch}: the leaf file does not name its anchoring transaction");
            }
        }

        checks.Add(new("each epoch anchored exactly once, with the root and total the house built", problems.Count == 0 && epochs.Count > 0,
            problems.Count == 0 ? $"epochs {epochs.FirstOrDefault()}–{epochs.LastOrDefault()}: one postEpoch each, none reverted, roots as in the leaf files, operator totals = accepted tokens × {rate}" : string.Join("; ", problems)));
        var operatorTotal = events.Where(e => e.Event.Epoch <= lastEpoch).Aggregate(BigInteger.Zero, (s, e) => s + e.Event.OperatorTotal);
        checks.Add(new("operators are owed exactly the tokens the clearing house accepted", operatorTotal == rate * clearingSpent,
            $"operator totals of every epoch posted {Money.Dollars(operatorTotal)} = {clearingSpent} tokens × {rate}"));
    }

    // ---- helpers ------------------------------------------------------------------------------------------

    /// <summary>Runs one fault, recording it: a failure is a fault not survived (and every service is brought back).</summary>
    private async Task Fault(Func<FaultRecord, CancellationToken, Task> run, string name, string service, string label, CancellationToken ct) =>
        await Fault(r => run(r, ct), name, service, $"SXL_CRASH_AT={label}");

    private async Task Fault(Func<FaultRecord, Task> run, string name, string service, string how)
    {
        var record = new FaultRecord(name, service, how);
        Track(record);
        _progress.Doing($"faults: {name} ({how})");
        var clock = Stopwatch.StartNew();
        try
        {
            await run(record);
            record.Seconds = clock.Elapsed.TotalSeconds;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            record.Check("completed", false, $"{e.GetType().Name}: {e.Message}");
            await _injector.ReviveAllAsync(CancellationToken.None);
        }

        Report(record);
    }

    /// <summary>Adds a fault to the result (faults on different services run side by side).</summary>
    private void Track(FaultRecord record)
    {
        lock (_result.Faults)
        {
            _result.Faults.Add(record);
        }
    }

    private void Report(FaultRecord record)
    {
        var failed = record.Checks.Where(c => !c.Ok).Select(c => $"{c.Name}: {c.Detail}").ToList();
        if (record.Survived)
        {
            _progress.Done($"faults: {record.Name} survived (down {record.DownSeconds:0.0} s; {record.Seconds:0.0} s in all)");
        }
        else
        {
            _progress.Failed($"faults: {record.Name} NOT survived: {(record.Injected ? string.Join("; ", failed) : "not injected")}");
        }
    }

    /// <summary>Waits for the armed service to die at its crash point; records the exit status (137 for SIGKILL).</summary>
    private async Task CrashedAsync(FaultRecord record, DevnetService service, Exception? failure, CancellationToken ct, TimeSpan? timeout = null)
    {
        var status = await _injector.WaitForCrashAsync(service, timeout ?? _crashTimeout, ct);
        record.ExitStatus = status;
        record.Injected = status == FaultInjector.KilledStatus;
        record.Check("killed itself with SIGKILL at the crash point", record.Injected, $"exit status {status}{(failure is null ? "" : $"; the caller saw {failure.GetType().Name}")}");
    }

    /// <summary>Restarts a service armed with a label it may reach before it prints its ready line.</summary>
    private async Task<TimeSpan> RestartIntoCrashAsync(DevnetService service, string label, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            await _injector.RestartAsync(service, label, ct);
        }
        catch (SimpleXLedger.Devnet.Processes.ChildProcessException) when (service.Process.HasExited)
        {
            // It got to the crash point before saying it was ready.
        }

        return clock.Elapsed;
    }

    private async Task CheckAnchoredOnceAsync(FaultRecord record, ulong epoch, string? builtRoot, CancellationToken ct)
    {
        var onChain = await _observer.GetEpochAsync(epoch, ct);
        var file = _stored.LeafFile(epoch);
        var posts = (await PostTransactionsAsync(_start.Block, ct)).Where(p => p.Epoch == epoch).ToList();
        record.Check("anchored once, with the root the house built", onChain.Live && onChain.Round == 1 && file is not null && Hex(onChain.Root) == file.Root && (builtRoot is null || builtRoot == file.Root) && posts.Count == 1 && posts[0].Succeeded,
            $"epoch {epoch}: round {onChain.Round}, {posts.Count} postEpoch transaction(s) ({posts.Count(p => !p.Succeeded)} reverted), root {(file is not null && Hex(onChain.Root) == file.Root ? "as in the leaf file" : "NOT as in the leaf file")}{(builtRoot is null ? "" : builtRoot == file?.Root ? ", the one built before the crash" : ", NOT the one built before the crash")}");
        record.Check("the house's records name the anchoring", file?.PostedTx is not null && _stored.EpochStates()[epoch] == 2,
            $"leaf file postedTx {file?.PostedTx ?? "missing"}; state {_stored.EpochStates()[epoch]}");
    }

    /// <summary>The clearing house's postEpoch transactions since a block, from the blocks themselves: (epoch, succeeded).</summary>
    private async Task<List<(ulong Epoch, bool Succeeded)>> PostTransactionsAsync(ulong fromBlock, CancellationToken ct)
    {
        var web3 = _observer.Connection.Web3;
        var selector = "0x" + ABITypedRegistry.GetFunctionABI<PostEpochFunction>().Sha3Signature;
        var latest = await _observer.Connection.BlockNumberAsync(ct);
        var posts = new List<(ulong, bool)>();
        for (var n = fromBlock; n <= latest; n++)
        {
            var block = await web3.Eth.Blocks.GetBlockWithTransactionsByNumber.SendRequestAsync(new Nethereum.Hex.HexTypes.HexBigInteger(n));
            foreach (var tx in block.Transactions)
            {
                if (string.Equals(tx.From, DevAccounts.ClearingHouse.Address, StringComparison.OrdinalIgnoreCase)
                    && string.Equals(tx.To, _network.Ledger, StringComparison.OrdinalIgnoreCase)
                    && tx.Input.StartsWith(selector, StringComparison.OrdinalIgnoreCase))
                {
                    var epoch = (ulong)new BigInteger(tx.Input[10..74].HexToByteArray(), isUnsigned: true, isBigEndian: true);
                    var receipt = await web3.Eth.Transactions.GetTransactionReceipt.SendRequestAsync(tx.TransactionHash);
                    posts.Add((epoch, receipt.Status?.Value == 1));
                }
            }
        }

        return posts;
    }

    private async Task<BigInteger> PostedTotalsAsync(ulong fromBlock, CancellationToken ct) =>
        (await _observer.GetEventsAsync<EpochPostedEvent>(fromBlock + 1, ct: ct)).Events.Aggregate(BigInteger.Zero, (s, e) => s + e.Event.Total);

    private List<string> MessagesLost() =>
        [.. _workload.Acked.Where(m => Users[m.Value.To].Received.GetValueOrDefault(m.Key) == 0).Select(m => m.Key)];

    private long Balance(FaultUser user) => _stored.QueueBalance(user.Relay, user.Link!.SenderId) ?? -1;

    private async Task<ulong> AnchoredIssuedAsync(CancellationToken ct) =>
        (await _observer.GetKeysAsync(ct)).Aggregate(0UL, (sum, k) => sum + k.Issued);

    /// <summary>Until the issuer anchored every token it issued (the clearing house accepts none beyond that).</summary>
    private Task WaitForAnchoredIssuedAsync(CancellationToken ct) =>
        WaitUntilAsync(async () => await AnchoredIssuedAsync(ct) >= (ulong)_stored.IssuerRedeemedTotal(), TimeSpan.FromSeconds(90), "the issuer did not anchor the tokens it issued", ct);

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string failure, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        try
        {
            while (!await condition())
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), deadline.Token);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new ScenarioCheckException($"{failure} within {timeout.TotalSeconds:0} s");
        }
    }

    /// <summary>Every service running and clean, the clearing house on the chain directly, the proxy open.</summary>
    private async Task RestoreAsync(CancellationToken ct)
    {
        _proxy?.Open();
        var clearing = _network.Clearing.Service;
        if (clearing.Command.Contains(_proxy?.Url ?? "\0"))
        {
            clearing.Pin("--rpc", _network.RpcUrl);
            await _injector.RestartAsync(clearing, null, ct);
        }

        await _injector.ReviveAllAsync(ct);
    }

    private static string Describe(CutMode mode) => mode == CutMode.AfterForwarding ? "after the transaction reached the chain" : "before the transaction left";

    private static string Hex(byte[] bytes) => "0x" + Convert.ToHexStringLower(bytes);

    /// <summary>The network's counters when the section began.</summary>
    private sealed record Baseline(ulong Block, long IssuerRedeemed, long RelaySpent, long ClearingSpent, BigInteger Bond)
    {
        public static async Task<Baseline> TakeAsync(DevnetNetwork network, ServiceStorage stored, LedgerClient observer, CancellationToken ct) => new(
            await observer.Connection.BlockNumberAsync(ct),
            stored.IssuerRedeemedTotal(),
            network.Relays.Sum(r => stored.RelaySpent(r)),
            stored.ClearingSpent(),
            await observer.BondOfAsync(DevAccounts.ClearingHouse.Address, ct));
    }

    /// <summary>Progress lines from faults running side by side, one at a time.</summary>
    private sealed class SerialProgress(IDevnetProgress inner) : IDevnetProgress
    {
        private readonly Lock _gate = new();

        public void Doing(string what)
        {
            lock (_gate)
            {
                inner.Doing(what);
            }
        }

        public void Done(string what)
        {
            lock (_gate)
            {
                inner.Done(what);
            }
        }

        public void Noted(string what)
        {
            lock (_gate)
            {
                inner.Noted(what);
            }
        }

        public void Failed(string what)
        {
            lock (_gate)
            {
                inner.Failed(what);
            }
        }

        public void Detail(string line)
        {
            lock (_gate)
            {
                inner.Detail(line);
            }
        }
    }
}
