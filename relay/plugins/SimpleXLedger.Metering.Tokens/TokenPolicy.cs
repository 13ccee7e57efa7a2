using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using SimpleXLedger.Relay.Metering;
using SimpleXLedger.Relay.Metering.Tokens;
using SimpleXLedger.Tokens;

namespace SimpleXLedger.Metering.Tokens;

/// <summary>
/// The token plugin's policy. A token attached to create, send or top-up is verified offline (its
/// key known and within its window, the network challenge, the signature), checked against this
/// relay's spent-set, then redeemed; only an accepted redemption (or, while the redeemer is down, one
/// within the risk budget, kept in the outbox) credits the queue. The spent-set entry, the outbox
/// entry and the credit are written in the relay's one transaction, so the spent-set is as durable as the
/// credit (a token spent before a crash is refused after it). A token the clearing house cannot accept yet (its
/// issuer has not yet anchored it as issued) is neither spent nor refused: online the payment is denied as
/// "unavailable, try again later" with nothing written, so the wallet keeps the token; in the outbox it stays and is
/// retried with backoff. A spent entry keeps its key's redeem-until time
/// and is dropped once the trusted time (the chain's block time) has passed it: that key's tokens are refused
/// by their window from then on, so the spent-set holds only tokens that could still be valid. Nothing here
/// knows which queue a token paid for; logs carry counts, never tokens.
/// </summary>
internal sealed class TokenPolicy : IMeteringPolicy, IMeteringOutbox
{
    internal const string SpentPrefix = TokenStoreKeys.SpentPrefix;
    internal const string OutboxPrefix = TokenStoreKeys.OutboxPrefix;
    private readonly TokenChallenge _challenge;
    private readonly TrustedKeys _keys;
    private readonly TokenPrices _prices;
    private readonly ITokenRedeemer? _redeemer;
    private readonly long _riskBudget;
    private readonly TimeSpan _retry;
    private readonly IMeteringStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, byte> _inFlight = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _outboxLoop;
    private readonly SemaphoreSlim _outboxWake = new(0);
    private readonly TimeSpan _pruneEvery;
    private readonly Task _pruneLoop;
    private long _outstanding;

    /// <summary>Unix seconds: spent entries of keys whose redeem-until is at or before this have been (or are being) dropped.</summary>
    private long _prunedThrough = long.MinValue;

    public TokenPolicy(TokenChallenge challenge, TrustedKeys keys, TokenPrices prices, ITokenRedeemer? redeemer, long riskBudget, TimeSpan retry, TimeSpan pruneEvery, IMeteringStore store, TimeProvider time, ILogger logger)
    {
        _challenge = challenge;
        _keys = keys;
        _prices = prices;
        _redeemer = redeemer;
        _riskBudget = riskBudget;
        _retry = retry;
        _store = store;
        _time = time;
        _logger = logger;
        _pruneEvery = pruneEvery;
        _outstanding = store.Scan(OutboxPrefix).Count;
        _logger.LogInformation("tokens plugin: {Spent} spent tokens kept, {Outbox} in the outbox; keys from {Source}", store.Scan(SpentPrefix).Count, _outstanding, keys.SourceName);
        _outboxLoop = redeemer is null ? Task.CompletedTask : Task.Run(OutboxLoopAsync);
        _pruneLoop = Task.Run(PruneLoopAsync);
    }

    public long OutboxTokens => Interlocked.Read(ref _outstanding);

    public long RiskBudgetTokens => _riskBudget;

    public string BalanceUnit => "microcredits";

    public async ValueTask<MeteringDecision> AuthorizeCreateAsync(CreateUsage usage, CancellationToken cancellationToken)
    {
        if (!usage.PaymentToken.IsEmpty)
        {
            return await PayAsync(usage.PaymentToken, _prices.QueueMicros, cancellationToken);
        }

        return _prices.QueueMicros == 0 ? MeteringDecision.Free() : MeteringDecision.Deny(InsufficientBalance());
    }

    public async ValueTask<MeteringDecision> AuthorizeSendAsync(SendUsage usage, CancellationToken cancellationToken)
    {
        if (!usage.PaymentToken.IsEmpty)
        {
            return await PayAsync(usage.PaymentToken, _prices.MessageMicros, cancellationToken);
        }

        return usage.Balance >= _prices.MessageMicros ? MeteringDecision.Allow(_prices.MessageMicros) : MeteringDecision.Deny(InsufficientBalance());
    }

    public ValueTask<MeteringDecision> TopUpAsync(TopUpUsage usage, CancellationToken cancellationToken) =>
        PayAsync(usage.PaymentToken, 0, cancellationToken);

    /// <summary>Payment required, with the network's challenge and the current token key (RFC 9577 WWW-Authenticate).</summary>
    public MeteringDenial InsufficientBalance() =>
        new(DenialKind.PaymentRequired, "payment required: the queue's credit is used up; attach or top up a token", PrivateTokenHeaders.FormatChallenge(_challenge, _keys.Current));

    public long ChargeForStorage(StorageUsage usage) => _prices.Storage(usage.Bytes, usage.Duration);

    public void OnUsage(UsageEvent usage)
    {
        // Balances are kept by the relay from this policy's decisions; nothing else to record.
    }

    private static MeteringDenial Refused(string why) => new(DenialKind.PaymentRefused, why);

    /// <summary>The clearing house answered "not yet anchored": a retryable denial, never "refused" or "spent".</summary>
    internal static MeteringDenial NotYetAnchored() =>
        new(DenialKind.Unavailable, "the token cannot be redeemed yet (its issuer has not yet published it as issued); keep it and try again later");

    private async ValueTask<MeteringDecision> PayAsync(ReadOnlyMemory<byte> encoded, long charge, CancellationToken ct)
    {
        if (!Token.TryParse(encoded.Span, out var token, out _))
        {
            return MeteringDecision.Deny(Refused("the payment is not a valid token (type 2)"));
        }

        if (!CryptographicOperations.FixedTimeEquals(token.ChallengeDigest, _challenge.Digest))
        {
            return MeteringDecision.Deny(Refused("the token was not fetched for this network's challenge"));
        }

        var found = await _keys.FindAsync(token.TokenKeyId.ToArray(), ct);
        if (found is not { } key)
        {
            return MeteringDecision.Deny(Refused("the token's key is not one this relay trusts"));
        }

        if (key.Now < key.NotBefore)
        {
            return MeteringDecision.Deny(Refused("the token's key is not usable yet"));
        }

        if (key.Now >= key.RedeemUntil)
        {
            return MeteringDecision.Deny(Refused("the token's key is past its redeem-until time"));
        }

        if (!TokenVerifier.Verify(key.Key, token, _challenge))
        {
            return MeteringDecision.Deny(Refused("the token's signature does not verify"));
        }

        var id = Convert.ToHexStringLower(token.Nonce) + Convert.ToHexStringLower(token.TokenKeyId[..8]);
        var spentKey = SpentPrefix + id;
        if (_store.Contains(spentKey))
        {
            return MeteringDecision.Deny(Refused("the token was already spent"));
        }

        if (!_inFlight.TryAdd(id, 0))
        {
            // Not spent (yet): an earlier payment with it is still being redeemed — one the relay may already have
            // given up waiting for, which then credits nothing. "Spent" would make the wallet drop a token that may
            // never be credited; "try again" lets its retry find it spent, or redeem it (accepted earlier) and credit it.
            return MeteringDecision.Deny(new MeteringDenial(DenialKind.Unavailable, "a payment with this token is still being processed; try again later"));
        }

        // Checked after the spent-set: a prune that started after this token's window check may already have
        // dropped its entry, but it published its horizon before dropping anything.
        if (UnixSeconds(key.RedeemUntil) <= Volatile.Read(ref _prunedThrough))
        {
            _inFlight.TryRemove(id, out _);
            return MeteringDecision.Deny(Refused("the token's key is past its redeem-until time"));
        }

        try
        {
            var spentValue = new byte[8];
            BinaryPrimitives.WriteInt64BigEndian(spentValue, UnixSeconds(key.RedeemUntil));
            var writes = new List<StoreWrite> { StoreWrite.Insert(spentKey, spentValue) };
            if (_redeemer is not null)
            {
                try
                {
                    var outcome = (await _redeemer.RedeemAsync([encoded], ct))[0];
                    if (outcome == RedemptionOutcome.RetryLater)
                    {
                        // Not spent and not refused: the issuer has not yet anchored it as issued (it does so once per
                        // period). Nothing is written, so the token is not in the spent-set and the wallet keeps it.
                        return MeteringDecision.Deny(NotYetAnchored());
                    }

                    if (outcome != RedemptionOutcome.Accepted)
                    {
                        return MeteringDecision.Deny(Refused(outcome == RedemptionOutcome.AlreadySpent ? "the token was already spent" : "the clearing house refused the token"));
                    }
                }
                catch (RedeemerUnavailableException)
                {
                    if (Interlocked.Increment(ref _outstanding) > _riskBudget)
                    {
                        Interlocked.Decrement(ref _outstanding);
                        return MeteringDecision.Deny(new MeteringDenial(DenialKind.Unavailable, "tokens cannot be redeemed right now; try again later"));
                    }

                    // Credited on the operator's risk; the token waits in the outbox (without its queue).
                    writes.Add(StoreWrite.Put(OutboxPrefix + id, encoded.ToArray()));
                    _outboxWake.Release();
                }
            }

            return MeteringDecision.Allow(charge, TokenPrices.MicrosPerCredit, writes);
        }
        finally
        {
            _inFlight.TryRemove(id, out _);
        }
    }

    private static long UnixSeconds(DateTimeOffset time) => time == DateTimeOffset.MaxValue ? long.MaxValue : time.ToUnixTimeSeconds();

    /// <summary>Drops spent tokens whose key's window has closed, at start and then every <c>spentPruneSeconds</c>.</summary>
    private async Task PruneLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                await PruneSpentAsync(_stopping.Token);
                await Task.Delay(_pruneEvery, _time, _stopping.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Drops the spent entries of keys past their redeem-until time by a time the relay knows has been reached
    /// (the source's own reading, never a guess); does nothing while that time cannot be read.
    /// </summary>
    private async Task PruneSpentAsync(CancellationToken ct)
    {
        if (await _keys.ReachedTimeAsync(ct) is not { } reached)
        {
            return;
        }

        var through = UnixSeconds(reached);
        // Publish the horizon before dropping anything (see PayAsync).
        var seen = Volatile.Read(ref _prunedThrough);
        while (seen < through)
        {
            var was = Interlocked.CompareExchange(ref _prunedThrough, through, seen);
            if (was == seen)
            {
                break;
            }

            seen = was;
        }

        var expired = _store.Scan(SpentPrefix)
            .Where(e => e.Value.Length == 8 && BinaryPrimitives.ReadInt64BigEndian(e.Value.Span) <= through)
            .Select(e => e.Key)
            .ToList();
        foreach (var chunk in expired.Chunk(1024))
        {
            await _store.WriteAsync(chunk.Select(StoreWrite.Delete).ToList(), ct);
        }

        if (expired.Count > 0)
        {
            _logger.LogInformation("dropped {Count} spent tokens whose key is past its redeem-until time", expired.Count);
        }
    }

    /// <summary>
    /// Redeems the outbox with retries and backoff; refusals are the operator's loss, logged by count. A token answered
    /// "retry later" (its issuer has not yet anchored it as issued) stays in the outbox and is tried again with backoff,
    /// until its key is past its redeem-until time (then the clearing house refuses it, or the relay writes it off).
    /// </summary>
    private async Task OutboxLoopAsync()
    {
        var delay = _retry;
        var laterDelay = _retry;
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                await _outboxWake.WaitAsync(delay, _stopping.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            var entries = _store.Scan(OutboxPrefix);
            if (entries.Count == 0)
            {
                delay = _retry;
                continue;
            }

            try
            {
                var outcomes = await _redeemer!.RedeemAsync(entries.Select(e => e.Value).ToList(), _stopping.Token);
                var done = new List<string>(entries.Count);
                var refused = 0;
                var later = 0;
                for (var i = 0; i < entries.Count; i++)
                {
                    if (outcomes[i] == RedemptionOutcome.RetryLater && await StillRedeemableAsync(entries[i].Value, _stopping.Token))
                    {
                        later++;
                        continue;
                    }

                    if (outcomes[i] != RedemptionOutcome.Accepted)
                    {
                        refused++;
                    }

                    done.Add(entries[i].Key);
                }

                if (done.Count > 0)
                {
                    await _store.WriteAsync(done.Select(StoreWrite.Delete).ToList(), _stopping.Token);
                    Interlocked.Add(ref _outstanding, -done.Count);
                }

                if (refused > 0)
                {
                    _logger.LogWarning("{Refused} of {Count} tokens credited while the redeemer was down were refused (the operator's loss)", refused, entries.Count);
                }
                else if (done.Count > 0)
                {
                    _logger.LogInformation("redeemed {Count} tokens from the outbox", done.Count);
                }

                if (later > 0)
                {
                    // Issued totals are anchored once per period: keep them (still on the risk budget) and back off.
                    delay = laterDelay;
                    laterDelay = TimeSpan.FromTicks(Math.Min(laterDelay.Ticks * 2, MaxOutboxDelay.Ticks));
                    _logger.LogInformation("{Later} tokens in the outbox are not yet anchored as issued by their issuer; kept, next try in {Delay} s", later, (long)delay.TotalSeconds);
                }
                else
                {
                    delay = _retry;
                    laterDelay = _retry;
                }
            }
            catch (RedeemerUnavailableException)
            {
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxOutboxDelay.Ticks));
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Longest wait between two rounds of the outbox.</summary>
    private static readonly TimeSpan MaxOutboxDelay = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The outbox token's key is still within its redeem window by the key source's time (an unknown key, or one whose
    /// time cannot be read, is left to the clearing house, which refuses it once past the window).
    /// </summary>
    private async ValueTask<bool> StillRedeemableAsync(ReadOnlyMemory<byte> encoded, CancellationToken ct)
    {
        if (!Token.TryParse(encoded.Span, out var token, out _))
        {
            return false;
        }

        try
        {
            return await _keys.FindAsync(token.TokenKeyId.ToArray(), ct) is not { } key || key.Now < key.RedeemUntil;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The keys cannot be looked up now: keep the token for the next round.
            return true;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _outboxLoop;
        await _pruneLoop;
        _stopping.Dispose();
        _outboxWake.Dispose();
        _keys.Dispose();
    }
}
