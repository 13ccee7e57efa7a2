using Microsoft.Extensions.Logging;
using SimpleXLedger.Net;
using SimpleXLedger.Net.Crash;
using SimpleXLedger.Protos.Relay;
using SimpleXLedger.Relay.Client;
using SimpleXLedger.Wallet.Storage;

namespace SimpleXLedger.Wallet.Spending;

/// <summary>A top-up waiting for its time.</summary>
public sealed record ScheduledTopUp(string Queue, TopUpReason Reason, DateTimeOffset DueAt, int ReservedTokens, int Attempts);

public enum TopUpStatus
{
    /// <summary>The whole step was paid into the queue.</summary>
    Done,

    /// <summary>Not enough tokens for a full step: rescheduled (after another random delay) until there are.</summary>
    WaitingForTokens,

    /// <summary>The relay could not take it now (unreachable, or refused a token for a reason that may pass): rescheduled.</summary>
    RetryLater,

    /// <summary>The relay no longer knows the queue: the top-up is dropped and its tokens are available again.</summary>
    QueueGone,
}

/// <summary>What running one top-up did.</summary>
public sealed record TopUpOutcome(string Queue, TopUpStatus Status, int TokensPaid, long? Balance, DateTimeOffset? NextDue, string? Detail);

/// <summary>
/// Pays queues in fixed steps, each after a random delay, each over a connection of its own (design: "no counts or
/// timings that fingerprint"). <see cref="Request"/> only schedules — a relay asking for payment never gets paid at
/// that moment — and one pending top-up per queue absorbs further requests. The clock and the randomness are the
/// wallet's (<see cref="WalletOptions"/>), so tests drive it with a fake clock and <see cref="RunDueAsync"/>, without sleeping.
/// Top-ups are stored in the wallet: a restart resumes them, tokens reserved by one in flight are resent to the same queue.
/// </summary>
public sealed class TopUpScheduler
{
    /// <summary>How often a relay may refuse one token (not as spent) before the wallet drops it rather than offer it again.</summary>
    public const int MaxRefusedShowings = 3;

    /// <summary>Crash-test label: the step's tokens are reserved for the top-up (stored), none paid yet.</summary>
    public const string CrashAfterReserve = "wallet.topup.after-reserve";

    private readonly UserWallet _wallet;
    private readonly SemaphoreSlim _running = new(1, 1);
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal TopUpScheduler(UserWallet wallet)
    {
        _wallet = wallet;
    }

    /// <summary>Raised after each top-up ran (any outcome), on the thread that ran it.</summary>
    public event Action<TopUpOutcome>? Completed;

    public IReadOnlyList<ScheduledTopUp> Pending => _wallet.Read(s => s.TopUps.Values
        .OrderBy(t => t.DueAt)
        .Select(t => new ScheduledTopUp(s.Queues.GetValueOrDefault(t.QueueId)?.Name ?? "?", t.Reason, DateTimeOffset.FromUnixTimeMilliseconds(t.DueAt), t.Reserved.Count, t.Attempts))
        .ToList());

    public DateTimeOffset? NextDue => _wallet.Read(s => s.TopUps.Count == 0 ? (DateTimeOffset?)null : DateTimeOffset.FromUnixTimeMilliseconds(s.TopUps.Values.Min(t => t.DueAt)));

    /// <summary>
    /// Schedules a top-up of the queue at now + a fresh random delay, and returns when it is due. If one is already
    /// pending for the queue, that one stands (its time is returned): requests never pile up or come sooner.
    /// </summary>
    public DateTimeOffset Request(string queueName, TopUpReason reason = TopUpReason.Requested)
    {
        var due = _wallet.Mutate((s, c) =>
        {
            var queue = s.Queues.Values.FirstOrDefault(q => q.Name == queueName && q.State == QueueState.Active)
                ?? throw new WalletException(WalletError.UnknownQueue, $"no active queue named {queueName} in this wallet");
            if (s.TopUps.Values.FirstOrDefault(t => t.QueueId == queue.Id) is { } pending)
            {
                return pending.DueAt;
            }

            var now = _wallet.Time.GetUtcNow();
            var record = new TopUpRecord
            {
                Id = WalletChanges.NewId(),
                QueueId = queue.Id,
                Reason = reason,
                DueAt = (now + _wallet.Policy.TopUpDelay.Next(_wallet.Random)).ToUnixTimeMilliseconds(),
                CreatedAt = now.ToUnixTimeMilliseconds(),
            };
            c.Put(record);
            return record.DueAt;
        });
        Signal();
        _wallet.Logger.LogInformation("top-up of queue {Queue} scheduled ({Reason})", queueName, reason);
        return DateTimeOffset.FromUnixTimeMilliseconds(due);
    }

    /// <summary>Runs every top-up whose time has come (by the wallet's clock), one after another.</summary>
    public async Task<IReadOnlyList<TopUpOutcome>> RunDueAsync(CancellationToken cancellationToken = default)
    {
        await _running.WaitAsync(cancellationToken);
        try
        {
            var outcomes = new List<TopUpOutcome>();
            var now = _wallet.Time.GetUtcNow().ToUnixTimeMilliseconds();
            var due = _wallet.Read(s => s.TopUps.Values.Where(t => t.DueAt <= now).OrderBy(t => t.DueAt).Select(t => t.Id).ToList());
            foreach (var id in due)
            {
                outcomes.Add(await ExecuteAsync(id, cancellationToken));
            }

            return outcomes;
        }
        finally
        {
            _running.Release();
        }
    }

    /// <summary>Runs the queue's top-up now, whatever its time (careless policies only; a careful wallet waits).</summary>
    internal async Task<TopUpOutcome> RunNowAsync(string queueName, CancellationToken cancellationToken)
    {
        Request(queueName, TopUpReason.PaymentRequired);
        await _running.WaitAsync(cancellationToken);
        try
        {
            var id = _wallet.Read(s => s.TopUps.Values.FirstOrDefault(t => s.Queues.GetValueOrDefault(t.QueueId)?.Name == queueName)?.Id);
            return id is null
                ? new TopUpOutcome(queueName, TopUpStatus.Done, 0, null, null, "nothing pending")
                : await ExecuteAsync(id, cancellationToken);
        }
        finally
        {
            _running.Release();
        }
    }

    /// <summary>Runs top-ups as they fall due until cancelled, sleeping on the wallet's clock in between.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            await RunDueAsync(cancellationToken);
            await WaitForNextAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Runs top-ups as they fall due until none is pending, or until every pending one is waiting for tokens this
    /// wallet does not have (then returns them). For <c>sxl wallet run</c>.
    /// </summary>
    public async Task<IReadOnlyList<ScheduledTopUp>> RunUntilIdleAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var outcomes = await RunDueAsync(cancellationToken);
            var pending = Pending;
            if (pending.Count == 0 || (outcomes.Count > 0 && outcomes.All(o => o.Status == TopUpStatus.WaitingForTokens)))
            {
                return pending;
            }

            await WaitForNextAsync(cancellationToken);
        }
    }

    private async Task WaitForNextAsync(CancellationToken cancellationToken)
    {
        var changed = _changed.Task;
        var next = NextDue;
        var wait = next is { } due ? due - _wallet.Time.GetUtcNow() : Timeout.InfiniteTimeSpan;
        if (wait == Timeout.InfiniteTimeSpan || wait > TimeSpan.Zero)
        {
            using var wake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var sleep = Task.Delay(wait, _wallet.Time, wake.Token);
            await Task.WhenAny(sleep, changed.WaitAsync(cancellationToken));
            await wake.CancelAsync();
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    private void Signal() => Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    private sealed record Plan(QueueRecord Queue, IReadOnlyList<TokenRecord> Tokens);

    private async Task<TopUpOutcome> ExecuteAsync(string topUpId, CancellationToken cancellationToken)
    {
        var outcome = await ExecuteCoreAsync(topUpId, cancellationToken);
        _wallet.Logger.LogInformation("top-up of queue {Queue}: {Status}, {Tokens} tokens paid", outcome.Queue, outcome.Status, outcome.TokensPaid);
        Completed?.Invoke(outcome);
        return outcome;
    }

    private async Task<TopUpOutcome> ExecuteCoreAsync(string topUpId, CancellationToken cancellationToken)
    {
        var step = _wallet.Policy.TopUpStep;
        Plan? plan = null;
        string queueName = "?";
        for (var attempt = 0; plan is null; attempt++)
        {
            var reserved = _wallet.Mutate<(Plan? Plan, string Name, bool Gone)>((s, c) =>
            {
                if (!s.TopUps.TryGetValue(topUpId, out var topUp))
                {
                    return (null, "?", true);
                }

                if (!s.Queues.TryGetValue(topUp.QueueId, out var queue) || queue.State != QueueState.Active || queue.RecipientId is null)
                {
                    DropTopUp(s, c, topUp);
                    return (null, queue?.Name ?? "?", true);
                }

                if (topUp.Reserved.Count > 0)
                {
                    // Resumed after a crash or a failed attempt: the very same tokens, to the very same queue, made up
                    // to the fixed step with fresh ones if a refusal sent the unsent ones back (counts stay fixed).
                    var held = topUp.Reserved.Select(id => s.Tokens.GetValueOrDefault(id)).OfType<TokenRecord>().ToList();
                    List<TokenRecord> more = held.Count >= step ? [] : _wallet.AvailableTokenRecords(s, forSpending: true).Take(step - held.Count).ToList();
                    foreach (var t in more)
                    {
                        c.Put(t with { ReservedFor = topUp.Id });
                    }

                    c.Put(topUp with { Reserved = [.. held.Select(t => t.Id), .. more.Select(t => t.Id)], Attempts = topUp.Attempts + 1 });
                    return (new Plan(queue, [.. held, .. more]), queue.Name, false);
                }

                var available = _wallet.AvailableTokenRecords(s, forSpending: true).Take(step).ToList();
                if (available.Count < step)
                {
                    return (null, queue.Name, false);
                }

                foreach (var t in available)
                {
                    c.Put(t with { ReservedFor = topUp.Id });
                }

                c.Put(topUp with { Reserved = [.. available.Select(t => t.Id)], Attempts = topUp.Attempts + 1 });
                return (new Plan(queue, available), queue.Name, false);
            });
            queueName = reserved.Name;
            if (reserved.Gone)
            {
                return new TopUpOutcome(queueName, TopUpStatus.QueueGone, 0, null, null, "the queue is gone");
            }

            plan = reserved.Plan;
            if (plan is null)
            {
                if (_wallet.Policy.PrefetchTokens || attempt > 0)
                {
                    var next = Reschedule(topUpId);
                    return new TopUpOutcome(queueName, TopUpStatus.WaitingForTokens, 0, null, next, $"fewer than {step} tokens available (old enough to spend); redeem a card, or wait");
                }

                try
                {
                    await _wallet.FetchJustInTimeAsync(step - _wallet.AvailableTokens, cancellationToken);
                }
                catch (WalletException e)
                {
                    var next = Reschedule(topUpId);
                    return new TopUpOutcome(queueName, TopUpStatus.WaitingForTokens, 0, null, next, e.Message);
                }
            }
        }

        CrashPoint.Reach(CrashAfterReserve);
        var paid = 0;
        long? balance = null;
        TokenRecord? inFlight = null;
        try
        {
            // Its own connection: a new TLS session that carries this queue's payment and nothing else.
            await using var lease = await _wallet.ConnectAsync(PinnedAddress.Parse(plan.Queue.Relay), RelayUse.TopUp, plan.Queue.Name, cancellationToken);
            using var key = RelayProtocol.ImportKey(plan.Queue.RecipientKey);
            foreach (var token in plan.Tokens)
            {
                inFlight = token;
                try
                {
                    var after = await lease.Client.TopUpAsync(plan.Queue.RecipientId, key, token.Token, cancellationToken);
                    balance = after.Amount;
                    paid++;
                    Settle(topUpId, plan.Queue.Id, token, after, lost: false);
                }
                catch (RelayException e) when (e.Code == ErrorCode.PaymentRefused && UserWallet.IsAlreadySpent(e))
                {
                    // Paid before a crash (the relay credited it then), or spent elsewhere: either way it is gone.
                    Settle(topUpId, plan.Queue.Id, token, null, lost: true);
                }
            }

            inFlight = null;
        }
        catch (RelayException e) when (e.Code == ErrorCode.Auth)
        {
            _wallet.Mutate((s, c) =>
            {
                // The relay saw the token in flight for a queue that is gone: there is no same context to show it in again.
                if (inFlight is not null && s.Tokens.TryGetValue(inFlight.Id, out var shown))
                {
                    UserWallet.Drop(s, c, shown);
                }

                if (s.TopUps.TryGetValue(topUpId, out var t))
                {
                    DropTopUp(s, c, t);
                }

                if (s.Queues.TryGetValue(plan.Queue.Id, out var q))
                {
                    c.Put(q with { State = QueueState.Gone });
                }
            });
            return new TopUpOutcome(queueName, TopUpStatus.QueueGone, paid, balance, null, "the relay no longer knows the queue");
        }
        catch (RelayException e) when (e.Code == ErrorCode.PaymentRefused)
        {
            // A refusal that may pass (a key the relay does not trust yet). The refused token was shown to this relay for
            // this queue: it stays with this top-up (shown again only here) until it has been refused MaxRefusedShowings
            // times, then it is dropped. The tokens not sent yet go back to the pool: nobody has seen them.
            var dropped = RefuseInFlight(topUpId, inFlight);
            var next = Reschedule(topUpId);
            return new TopUpOutcome(queueName, TopUpStatus.RetryLater, paid, balance, next, dropped
                ? $"the relay refused a token {MaxRefusedShowings} times ({e.Message}); it was dropped, never to be shown elsewhere, and the top-up will pay with others"
                : $"the relay refused a token ({e.Message}); the same token will be offered to this queue again at {next:u}");
        }
        catch (Exception e) when (e is RelayException or HttpRequestException or RelayCertificateMismatchException)
        {
            // Unknown outcome for the token in flight: keep the reservation, resend the same tokens next time.
            var next = Reschedule(topUpId);
            return new TopUpOutcome(queueName, TopUpStatus.RetryLater, paid, balance, next, "the relay could not be reached");
        }

        _wallet.Mutate((s, c) =>
        {
            if (s.TopUps.ContainsKey(topUpId))
            {
                c.Delete<TopUpRecord>(topUpId);
            }

            c.Put(s.Settings with { TopUpsDone = s.Settings.TopUpsDone + 1 });
        });
        Signal();
        return new TopUpOutcome(queueName, TopUpStatus.Done, paid, balance, null, null);
    }

    /// <summary>One token paid (or found spent): removed, fingerprinted, counted, and the queue's credit recorded.</summary>
    private void Settle(string topUpId, string queueId, TokenRecord token, Balance? balance, bool lost) => _wallet.Mutate((s, c) =>
    {
        c.Delete<TokenRecord>(token.Id);
        c.MarkSpent(WalletState.SpentMark(token));
        c.Put(lost
            ? s.Settings with { TokensLost = s.Settings.TokensLost + 1 }
            : s.Settings with { TokensSpent = s.Settings.TokensSpent + 1 });
        if (s.TopUps.TryGetValue(topUpId, out var t))
        {
            c.Put(t with { Reserved = [.. t.Reserved.Where(id => id != token.Id)] });
        }

        if (balance is not null && s.Queues.TryGetValue(queueId, out var q))
        {
            c.Put(q with { Balance = balance.Amount, BalanceUnit = balance.Unit, BalanceAt = _wallet.Time.GetUtcNow().ToUnixTimeMilliseconds() });
        }
    });

    private DateTimeOffset Reschedule(string topUpId)
    {
        var due = _wallet.Mutate((s, c) =>
        {
            if (!s.TopUps.TryGetValue(topUpId, out var t))
            {
                return 0L;
            }

            var next = (_wallet.Time.GetUtcNow() + _wallet.Policy.TopUpDelay.Next(_wallet.Random)).ToUnixTimeMilliseconds();
            c.Put(t with { DueAt = next });
            return next;
        });
        Signal();
        return DateTimeOffset.FromUnixTimeMilliseconds(due);
    }

    /// <summary>
    /// After a refusal of <paramref name="refused"/>: it stays reserved to this top-up (dropped once refused
    /// <see cref="MaxRefusedShowings"/> times); the reserved tokens after it, never sent, go back to the pool. True when dropped.
    /// </summary>
    private bool RefuseInFlight(string topUpId, TokenRecord? refused) => _wallet.Mutate((s, c) =>
    {
        if (!s.TopUps.TryGetValue(topUpId, out var t))
        {
            return false;
        }

        var keep = new List<string>();
        var dropped = false;
        foreach (var id in t.Reserved)
        {
            if (!s.Tokens.TryGetValue(id, out var token))
            {
                continue;
            }

            if (refused is not null && id == refused.Id)
            {
                var showings = token.RefusedShowings + 1;
                if (showings >= MaxRefusedShowings)
                {
                    UserWallet.Drop(s, c, token);
                    dropped = true;
                }
                else
                {
                    c.Put(token with { RefusedShowings = showings });
                    keep.Add(id);
                }
            }
            else if (token.RefusedShowings > 0)
            {
                keep.Add(id);
            }
            else
            {
                c.Put(token with { ReservedFor = null });
            }
        }

        c.Put(t with { Reserved = [.. keep] });
        return dropped;
    });

    /// <summary>Ends a top-up: tokens never shown go back to the pool; one a relay saw and refused is dropped.</summary>
    private static void DropTopUp(WalletState s, WalletChanges c, TopUpRecord topUp)
    {
        foreach (var id in topUp.Reserved)
        {
            if (!s.Tokens.TryGetValue(id, out var token))
            {
                continue;
            }

            if (token.RefusedShowings > 0)
            {
                UserWallet.Drop(s, c, token);
            }
            else
            {
                c.Put(token with { ReservedFor = null });
            }
        }

        c.Delete<TopUpRecord>(topUp.Id);
    }
}
