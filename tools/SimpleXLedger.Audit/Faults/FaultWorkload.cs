using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using SimpleXLedger.Cards;
using SimpleXLedger.Devnet.Network;
using SimpleXLedger.Devnet.Scenarios;
using SimpleXLedger.Net;
using SimpleXLedger.Relay.Client;
using SimpleXLedger.Wallet;
using SimpleXLedger.Wallet.Issuance;
using SimpleXLedger.Wallet.Spending;
using SimpleXLedger.Wallet.Storage;

namespace SimpleXLedger.Audit.Faults;

/// <summary>One wallet of the fault scenario: its card, its queue at its relay, and what it sent and received.</summary>
internal sealed class FaultUser(int index, UserWallet wallet, string code, RelayService relay)
{
    public const string Queue = "inbox";

    public int Index { get; } = index;

    public UserWallet Wallet { get; } = wallet;

    public string Code { get; } = code;

    public string CardHash { get; } = CardCode.Parse(code).ComputeHash().ToString();

    public RelayService Relay { get; } = relay;

    /// <summary>The link contacts send to (null until the queue exists).</summary>
    public SenderLink? Link => Wallet.Queues.FirstOrDefault(q => q.Name == Queue)?.SenderLink;

    /// <summary>Every message body taken from the queue, with how many times each came.</summary>
    public ConcurrentDictionary<string, int> Received { get; } = new(StringComparer.Ordinal);

    public override string ToString() => $"user {Index}";
}

/// <summary>
/// What the fault wallets do, each operation carried through whatever fault is under way the way a user's app would:
/// retried until it is done (the wallet itself resends the same redemption request and the same reserved tokens), with
/// a deadline. It keeps the users' side of the books: which messages were acknowledged to their senders, how often a
/// send or a payment had to be retried.
/// </summary>
internal sealed class FaultWorkload(DevnetNetwork network, IssuerSession issuer, TimeSpan deadline) : IAsyncDisposable
{
    /// <summary>A careful wallet (prefetch, fixed batches, fixed steps, fresh connections) whose top-ups are due at once and whose tokens are spendable at once: the scenario decides when they run.</summary>
    public static readonly SpendingPolicy Policy = SpendingPolicy.Careful with { TopUpStep = 2, TopUpDelay = DelayDistribution.None, MinTokenAge = TimeSpan.Zero };

    private readonly ConcurrentDictionary<string, (int From, int To)> _acked = new(StringComparer.Ordinal);
    private long _sendRetries;
    private long _retriedSends;
    private long _topUpRetries;
    private int _messageNumber;

    public List<FaultUser> Users { get; } = [];

    /// <summary>Message bodies acknowledged to their senders (sender, recipient).</summary>
    public IReadOnlyDictionary<string, (int From, int To)> Acked => _acked;

    /// <summary>Sends that needed more than one attempt (their first may have been stored: a duplicate is then expected).</summary>
    public long RetriedSends => Interlocked.Read(ref _retriedSends);

    public long SendRetries => Interlocked.Read(ref _sendRetries);

    public long TopUpRetries => Interlocked.Read(ref _topUpRetries);

    /// <summary>Makes a wallet for a card (not redeemed yet), homed at a relay.</summary>
    public async Task<FaultUser> AddUserAsync(string code, RelayService relay)
    {
        var index = Users.Count;
        var dir = Path.Combine(network.Options.DataDirectory, "audit", "faults");
        Directory.CreateDirectory(dir);
        var passphrase = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18));
        var wallet = await UserWallet.CreateAsync(Path.Combine(dir, $"user-{index}.sxlw"), passphrase, KdfParameters.WeakForTests, new WalletOptions
        {
            Spending = Policy,
            Issuer = issuer,
        });
        var user = new FaultUser(index, wallet, code, relay);
        Users.Add(user);
        return user;
    }

    /// <summary>Redeems the user's card (or another one) until its tokens are in the wallet; a request cut short is resent under the same id.</summary>
    public Task<RedemptionResult> RedeemAsync(FaultUser user, string? code = null, CancellationToken ct = default)
    {
        var first = true;
        var total = new List<RedemptionResult>();
        return EventuallyAsync($"{user} redeems a card", async () =>
        {
            var result = first ? await user.Wallet.RedeemCardAsync(code ?? user.Code, issuer, ct) : await user.Wallet.ResumeAsync(issuer, ct);
            first = false;
            total.Add(result);
            return (user.Wallet.GetBalance().PendingBatches == 0,
                new RedemptionResult(total.Sum(r => r.TokensAdded), total.Sum(r => r.Batches), total.Sum(r => r.Replayed), result.CreditsLeft, false));
        }, onFailure: () => first = false, ct);
    }

    /// <summary>Tries to redeem once and expects it to fail (the issuer dies mid-call); returns the failure.</summary>
    public async Task<Exception?> RedeemOnceAsync(FaultUser user, CancellationToken ct)
    {
        try
        {
            await user.Wallet.RedeemCardAsync(user.Code, issuer, ct);
            return null;
        }
        catch (Exception e) when (Transient(e, ct))
        {
            return e;
        }
    }

    /// <summary>Makes a queue of the user's at its relay (one token pays for it); a creation cut short is asked for again (same key, same token).</summary>
    public Task<WalletQueue> CreateQueueAsync(FaultUser user, CancellationToken ct, string name = FaultUser.Queue) =>
        EventuallyAsync($"{user} creates queue {name}", async () =>
            (true, user.Wallet.Queues.FirstOrDefault(q => q.Name == name && q.State == QueueState.Active)
                ?? await user.Wallet.CreateQueueAsync(PinnedAddress.Parse(user.Relay.Address), name, cancellationToken: ct)), null, ct);

    /// <summary>Tries once to make a queue and expects the relay to die before it answers; returns the failure.</summary>
    public async Task<Exception?> CreateQueueOnceAsync(FaultUser user, string name, CancellationToken ct)
    {
        try
        {
            await user.Wallet.CreateQueueAsync(PinnedAddress.Parse(user.Relay.Address), name, cancellationToken: ct);
            return null;
        }
        catch (Exception e) when (Transient(e, ct))
        {
            return e;
        }
    }

    /// <summary>Asks for a top-up of the user's queue and runs it until the whole step is paid; returns the tokens paid by the attempts.</summary>
    public Task<int> TopUpAsync(FaultUser user, CancellationToken ct)
    {
        user.Wallet.TopUps.Request(FaultUser.Queue);
        var paid = 0;
        return EventuallyAsync($"{user} tops up its queue", async () =>
        {
            var outcomes = await user.Wallet.TopUps.RunDueAsync(ct);
            paid += outcomes.Sum(o => o.TokensPaid);
            if (outcomes.Any(o => o.Status == TopUpStatus.WaitingForTokens))
            {
                throw new ScenarioCheckException($"{user} ran out of tokens");
            }

            if (user.Wallet.TopUps.Pending.Count == 0)
            {
                return (true, paid);
            }

            Interlocked.Increment(ref _topUpRetries);
            return (false, paid);
        }, () => Interlocked.Increment(ref _topUpRetries), ct);
    }

    /// <summary>Runs one top-up attempt and expects it not to finish (the relay or clearing house dies mid-call).</summary>
    public async Task<Exception?> TopUpOnceAsync(FaultUser user, CancellationToken ct)
    {
        user.Wallet.TopUps.Request(FaultUser.Queue);
        try
        {
            var outcomes = await user.Wallet.TopUps.RunDueAsync(ct);
            return outcomes.All(o => o.Status == TopUpStatus.Done) && user.Wallet.TopUps.Pending.Count == 0 ? null : new InvalidOperationException(string.Join("; ", outcomes.Select(o => $"{o.Status}: {o.Detail}")));
        }
        catch (Exception e) when (Transient(e, ct))
        {
            return e;
        }
    }

    /// <summary>A message body nobody else sends: who to whom, a number, and random bytes.</summary>
    public string NewBody(FaultUser from, FaultUser to) =>
        $"fault message {Interlocked.Increment(ref _messageNumber)} from user {from.Index} to user {to.Index} {Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}";

    /// <summary>Sends until the relay acknowledges it (a retry after a lost acknowledgement may store a second copy: at least once).</summary>
    public async Task SendAsync(FaultUser from, FaultUser to, string body, CancellationToken ct, bool resent = false)
    {
        var link = to.Link ?? throw new InvalidOperationException($"{to} has no queue yet");
        var attempts = resent ? 1 : 0;
        await EventuallyAsync($"{from} sends to {to}", async () =>
        {
            attempts++;
            var sent = await from.Wallet.SendAsync(link, Encoding.UTF8.GetBytes(body), ct);
            if (sent.Status != SendStatus.Sent)
            {
                // The recipient's queue is out of credit: its owner tops it up, then the send goes again.
                await TopUpAsync(to, ct);
                return (false, false);
            }

            return (true, true);
        }, () => Interlocked.Increment(ref _sendRetries), ct);
        if (attempts > 1)
        {
            Interlocked.Increment(ref _retriedSends);
        }

        _acked[body] = (from.Index, to.Index);
    }

    /// <summary>Sends once and expects no acknowledgement (the relay dies after storing it); returns the failure.</summary>
    public async Task<Exception?> SendOnceAsync(FaultUser from, FaultUser to, string body, CancellationToken ct)
    {
        try
        {
            var sent = await from.Wallet.SendAsync(to.Link!, Encoding.UTF8.GetBytes(body), ct);
            if (sent.Status == SendStatus.Sent)
            {
                _acked[body] = (from.Index, to.Index);
                return null;
            }

            return new InvalidOperationException(sent.Detail);
        }
        catch (Exception e) when (Transient(e, ct))
        {
            // A failed attempt may still have been stored: a copy may arrive (at least once).
            Interlocked.Increment(ref _sendRetries);
            return e;
        }
    }

    /// <summary>Takes messages once and expects the relay to die mid-way; keeps what the wallet returned; returns the failure (if any).</summary>
    public async Task<(int Taken, Exception? Failure)> ReceiveOnceAsync(FaultUser user, CancellationToken ct)
    {
        try
        {
            var messages = await user.Wallet.ReceiveAsync(FaultUser.Queue, cancellationToken: ct);
            Keep(user, messages);
            return (messages.Count(m => !m.QuotaNotice), null);
        }
        catch (Exception e) when (Transient(e, ct))
        {
            return (0, e);
        }
    }

    /// <summary>Takes every message waiting in the user's queue (until one take returns none).</summary>
    public Task<int> ReceiveAllAsync(FaultUser user, CancellationToken ct) =>
        EventuallyAsync($"{user} receives", async () =>
        {
            var taken = 0;
            while (true)
            {
                var messages = await user.Wallet.ReceiveAsync(FaultUser.Queue, cancellationToken: ct);
                taken += Keep(user, messages);

                if (messages.Count == 0)
                {
                    return (true, taken);
                }
            }
        }, null, ct);

    private static int Keep(FaultUser user, IReadOnlyList<ReceivedMessage> messages)
    {
        var taken = 0;
        foreach (var m in messages.Where(m => !m.QuotaNotice))
        {
            user.Received.AddOrUpdate(Encoding.UTF8.GetString(m.Body), 1, (_, n) => n + 1);
            taken++;
        }

        return taken;
    }

    /// <summary>Finishes the user's pending top-up, if it has one (scheduled by the wallet itself, or cut short by a fault).</summary>
    public async Task RunDueTopUpsAsync(FaultUser user, CancellationToken ct)
    {
        if (user.Wallet.TopUps.Pending.Count > 0)
        {
            await TopUpAsync(user, ct);
        }
    }

    /// <summary>
    /// Retries <paramref name="attempt"/> on failures a fault causes (service unreachable, answer lost) until it
    /// returns a value, or the deadline passes (then the fault was not survived).
    /// </summary>
    public async Task<T> EventuallyAsync<T>(string what, Func<Task<(bool Done, T Value)>> attempt, Action? onFailure, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        Exception? last = null;
        while (true)
        {
            try
            {
                var (done, value) = await attempt();
                if (done)
                {
                    return value;
                }
            }
            catch (Exception e) when (Transient(e, ct))
            {
                last = e;
                onFailure?.Invoke();
            }

            if (clock.Elapsed > deadline)
            {
                throw new FaultNotReachedException($"{what}: not done within {deadline.TotalSeconds:0} s{(last is null ? "" : $" (last failure: {last.GetType().Name}: {last.Message})")}");
            }

            // A failed attempt waits a moment (the service is restarting); the next one is the wallet's own retry.
            await Task.Delay(TimeSpan.FromMilliseconds(250), ct);
        }
    }

    /// <summary>Failures a fault may cause for a while: unreachable services, lost answers. Never a wrong answer.</summary>
    private static bool Transient(Exception e, CancellationToken ct) => e switch
    {
        OperationCanceledException => !ct.IsCancellationRequested,
        WalletException w => w.Error is WalletError.Unreachable or WalletError.RelayRefused or WalletError.IssuerRefused,
        _ => e is RelayException or IOException or HttpRequestException or Grpc.Core.RpcException or ObjectDisposedException or TimeoutException
            or System.Net.Sockets.SocketException or InvalidOperationException,
    };

    public async ValueTask DisposeAsync()
    {
        foreach (var user in Users)
        {
            await user.Wallet.DisposeAsync();
        }
    }
}
