using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using SimpleXLedger.Net;
using SimpleXLedger.Protos.Relay;
using SimpleXLedger.Relay.Client;
using SimpleXLedger.Wallet.Spending;
using SimpleXLedger.Wallet.Storage;

namespace SimpleXLedger.Wallet;

/// <summary>Queues this wallet owns, paid from its tokens; top-ups are scheduled, never paid the moment a relay asks.</summary>
public sealed partial class UserWallet
{
    private const string TokensMetering = "tokens";

    /// <summary>
    /// Creates a queue at a relay and secures it with a sender key made for the wallet's contacts. The keys are stored
    /// before the relay is asked. When the relay meters with tokens, one token pays for the queue (creation is the
    /// user's own act); a later top-up, if credit is low, comes after a random delay like every other. When the relay's
    /// answer is lost (it crashed, the connection dropped) the queue stays in the wallet as being created, with its keys
    /// and its token: calling again asks for it with the same key and token, and a relay that made it answers with that
    /// queue without charging again.
    /// </summary>
    public async Task<WalletQueue> CreateQueueAsync(PinnedAddress relay, string? name = null, string? password = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(relay);
        var queue = Mutate((s, c) =>
        {
            var unfinished = s.Queues.Values.FirstOrDefault(q => q.State == QueueState.Creating && q.Relay == relay.ToString() && (name is null || q.Name == name));
            if (unfinished is not null)
            {
                return unfinished;
            }

            var chosen = name ?? NextQueueName(s);
            if (!QueueNames.IsMatch(chosen))
            {
                throw new WalletException(WalletError.InvalidInput, "a queue name is 1 to 64 letters, digits, '.', '_' or '-'");
            }

            if (s.Queues.Values.Any(q => q.Name == chosen))
            {
                throw new WalletException(WalletError.InvalidInput, $"this wallet already has a queue named {chosen}");
            }

            using var newRecipientKey = RelayProtocol.NewKey();
            using var newSenderKey = RelayProtocol.NewKey();
            var record = new QueueRecord
            {
                Id = WalletChanges.NewId(),
                Name = chosen,
                Relay = relay.ToString(),
                RecipientKey = RelayProtocol.ExportSeed(newRecipientKey),
                SenderKey = RelayProtocol.ExportSeed(newSenderKey),
                State = QueueState.Creating,
                CreatedAt = Time.GetUtcNow().ToUnixTimeMilliseconds(),
            };
            c.Put(record);
            return record;
        });

        using var recipientKey = RelayProtocol.ImportKey(queue.RecipientKey);
        using var senderKey = RelayProtocol.ImportKey(queue.SenderKey);
        string? tokenId = null;
        try
        {
            await using var lease = await ConnectAsync(relay, RelayUse.CreateQueue, queue.Name, cancellationToken);
            var client = lease.Client;
            byte[]? payment = null;
            if (client.Limits.Metering == TokensMetering)
            {
                // The token an earlier attempt sent, if any: the relay may have spent it on this very queue.
                var held = Read(s => s.Tokens.Values.FirstOrDefault(t => t.ReservedFor == "create:" + queue.Id));
                (tokenId, payment) = held is not null ? (held.Id, held.Token) : await ReserveOneAsync("create:" + queue.Id, cancellationToken);
            }

            QueueCreated created;
            try
            {
                created = await client.CreateQueueAsync(recipientKey, password, payment, cancellationToken);
            }
            catch (RelayException e) when (e.Code == ErrorCode.PaymentRequired && payment is null)
            {
                (tokenId, payment) = await ReserveOneAsync("create:" + queue.Id, cancellationToken);
                created = await client.CreateQueueAsync(recipientKey, password, payment, cancellationToken);
            }

            var paidWith = tokenId;
            var metering = client.Limits.Metering;
            Mutate((s, c) =>
            {
                c.Put(queue with
                {
                    State = QueueState.Active,
                    Metering = metering,
                    RecipientId = created.RecipientId.ToByteArray(),
                    SenderId = created.SenderId.ToByteArray(),
                    Balance = created.Balance?.Amount ?? 0,
                    BalanceUnit = created.Balance?.Unit ?? string.Empty,
                    BalanceAt = Time.GetUtcNow().ToUnixTimeMilliseconds(),
                });
                var settings = s.Settings with { QueuesCreated = s.Settings.QueuesCreated + 1 };
                if (paidWith is not null && s.Tokens.TryGetValue(paidWith, out var token))
                {
                    c.Delete<TokenRecord>(paidWith);
                    c.MarkSpent(WalletState.SpentMark(token));
                    settings = settings with { TokensSpent = settings.TokensSpent + 1 };
                }

                c.Put(settings);
            });
            tokenId = null;
            await client.SecureAsync(created.RecipientId.Memory, recipientKey, senderKey.PublicKey, cancellationToken);
        }
        catch (Exception e) when (e is RelayException or HttpRequestException or RelayCertificateMismatchException or WalletException)
        {
            // No answer to a paid NEW: the relay may have made the queue and spent the token. Both stay for the retry.
            var unknown = tokenId is not null && e is HttpRequestException or RelayException { Code: ErrorCode.Unavailable or ErrorCode.Internal };
            Mutate((s, c) =>
            {
                if (unknown)
                {
                    return;
                }

                if (s.Queues.TryGetValue(queue.Id, out var q) && q.State == QueueState.Creating)
                {
                    c.Delete<QueueRecord>(queue.Id);
                }

                if (tokenId is not null && s.Tokens.TryGetValue(tokenId, out var token))
                {
                    // The create (and with it this queue) is gone: a token the relay saw has no same context left.
                    ReleaseOrDrop(s, c, token, e, shown: e is RelayException);
                }
            });
            throw Translate(e, "the relay refused to create the queue");
        }

        Logger.LogInformation("queue {Name} created", queue.Name);
        await CheckCreditAsync(queue.Id, cancellationToken);
        return Read(s => QueueViews(s).First(q => q.Name == queue.Name));
    }

    /// <summary>
    /// Sends a message through a sender link. If the relay asks for payment and the queue is this wallet's own, a
    /// top-up is scheduled after a random delay (the send is not retried now, unless the policy pays immediately).
    /// </summary>
    public async Task<SendResult> SendAsync(SenderLink link, ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(link);
        var own = Read(s => s.Queues.Values.FirstOrDefault(q => q.SenderId is { } id && id.AsSpan().SequenceEqual(link.SenderId) && q.Relay == link.Relay.ToString()));
        try
        {
            await using var lease = await ConnectAsync(link.Relay, RelayUse.Send, own?.Name, cancellationToken);
            using var key = link.SenderKeySeed is null ? null : RelayProtocol.ImportKey(link.SenderKeySeed);
            try
            {
                await lease.Client.SendAsync(link.SenderId, key, body, null, cancellationToken);
                return new SendResult(SendStatus.Sent, null, null);
            }
            catch (RelayException e) when (e.Code == ErrorCode.PaymentRequired)
            {
                if (own is null)
                {
                    return new SendResult(SendStatus.PaymentRequired, null, "the recipient's queue has no credit; its owner tops it up");
                }

                var due = TopUps.Request(own.Name, TopUpReason.PaymentRequired);
                if (!Policy.PayImmediately)
                {
                    return new SendResult(SendStatus.PaymentRequired, due, "the queue has no credit; a top-up is scheduled");
                }

                var outcome = await TopUps.RunNowAsync(own.Name, cancellationToken);
                if (outcome.Status != TopUpStatus.Done)
                {
                    return new SendResult(SendStatus.PaymentRequired, null, outcome.Detail);
                }

                await lease.Client.SendAsync(link.SenderId, key, body, null, cancellationToken);
                return new SendResult(SendStatus.Sent, null, null);
            }
        }
        catch (Exception e) when (e is RelayException or HttpRequestException or RelayCertificateMismatchException)
        {
            throw Translate(e, "the relay refused the message");
        }
    }

    /// <summary>Sends to one of this wallet's own queues (by name).</summary>
    public Task<SendResult> SendAsync(string queueName, ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default)
    {
        var link = Read(s => s.Queues.Values.FirstOrDefault(q => q.Name == queueName) is { } q ? LinkOf(q) : null)
            ?? throw new WalletException(WalletError.UnknownQueue, $"no active queue named {queueName} in this wallet");
        return SendAsync(link, body, cancellationToken);
    }

    /// <summary>Takes (and acknowledges) up to <paramref name="max"/> messages, then checks the queue's credit.</summary>
    public async Task<IReadOnlyList<ReceivedMessage>> ReceiveAsync(string queueName, int max = 100, CancellationToken cancellationToken = default)
    {
        var queue = ActiveQueue(queueName);
        var messages = new List<ReceivedMessage>();
        try
        {
            await using var lease = await ConnectAsync(PinnedAddress.Parse(queue.Relay), RelayUse.Receive, queue.Name, cancellationToken);
            using var key = RelayProtocol.ImportKey(queue.RecipientKey);
            while (messages.Count < max && await lease.Client.GetAsync(queue.RecipientId, key, cancellationToken) is { } delivery)
            {
                messages.Add(new ReceivedMessage(delivery.Body.ToByteArray(), DateTimeOffset.FromUnixTimeSeconds(delivery.Timestamp), delivery.QuotaNotice));
                await lease.Client.AckAsync(queue.RecipientId, key, delivery.MessageId.Memory, cancellationToken);
            }

            var info = await lease.Client.InfoAsync(queue.RecipientId, key, cancellationToken);
            RecordBalance(queue.Id, info.Balance);
        }
        catch (Exception e) when (e is RelayException or HttpRequestException or RelayCertificateMismatchException)
        {
            if (messages.Count > 0)
            {
                // Messages already taken may be acknowledged (gone from the relay): they are returned, never dropped.
                // One whose acknowledgement did not arrive comes again next time (at least once, never lost).
                Logger.LogWarning("receiving from queue {Name} stopped after {Count} messages: {Error}", queue.Name, messages.Count, e.GetType().Name);
                return messages;
            }

            throw Translate(e, "the relay refused to deliver");
        }

        await ScheduleIfLowAsync(queue.Id, cancellationToken);
        return messages;
    }

    /// <summary>Asks the relay for the queue's credit; schedules a top-up when it is below the policy's threshold.</summary>
    public async Task<WalletQueue> RefreshCreditAsync(string queueName, CancellationToken cancellationToken = default)
    {
        var queue = ActiveQueue(queueName);
        await CheckCreditAsync(queue.Id, cancellationToken);
        return Read(s => QueueViews(s).First(q => q.Name == queueName));
    }

    private async Task CheckCreditAsync(string queueId, CancellationToken cancellationToken)
    {
        var queue = Read(s => s.Queues.GetValueOrDefault(queueId));
        if (queue is null || queue.State != QueueState.Active)
        {
            return;
        }

        try
        {
            await using var lease = await ConnectAsync(PinnedAddress.Parse(queue.Relay), RelayUse.Receive, queue.Name, cancellationToken);
            using var key = RelayProtocol.ImportKey(queue.RecipientKey);
            var info = await lease.Client.InfoAsync(queue.RecipientId, key, cancellationToken);
            RecordBalance(queue.Id, info.Balance);
        }
        catch (Exception e) when (e is RelayException or HttpRequestException or RelayCertificateMismatchException)
        {
            throw Translate(e, "the relay refused to report the queue's credit");
        }

        await ScheduleIfLowAsync(queueId, cancellationToken);
    }

    private async Task ScheduleIfLowAsync(string queueId, CancellationToken cancellationToken)
    {
        var queue = Read(s => s.Queues.GetValueOrDefault(queueId));
        // Only a relay paid with tokens can be topped up with them.
        if (queue is null || queue.Metering != TokensMetering || queue.Balance >= Policy.LowCredit)
        {
            return;
        }

        TopUps.Request(queue.Name, TopUpReason.LowCredit);
        if (Policy.PayImmediately)
        {
            await TopUps.RunNowAsync(queue.Name, cancellationToken);
        }
    }

    internal void RecordBalance(string queueId, Balance? balance)
    {
        if (balance is null)
        {
            return;
        }

        Mutate((s, c) =>
        {
            if (s.Queues.TryGetValue(queueId, out var q))
            {
                c.Put(q with { Balance = balance.Amount, BalanceUnit = balance.Unit, BalanceAt = Time.GetUtcNow().ToUnixTimeMilliseconds() });
            }
        });
    }

    internal QueueRecord ActiveQueue(string queueName)
    {
        var queue = Read(s => s.Queues.Values.FirstOrDefault(q => q.Name == queueName));
        return queue is { State: QueueState.Active, RecipientId: not null }
            ? queue
            : throw new WalletException(WalletError.UnknownQueue, $"no active queue named {queueName} in this wallet");
    }

    internal Task<RelayLease> ConnectAsync(PinnedAddress relay, RelayUse use, string? queue, CancellationToken cancellationToken) =>
        _relays.ConnectAsync(relay, use, queue, cancellationToken);

    /// <summary>Reserves one available token (fetching just in time when the policy does not prefetch).</summary>
    private async Task<(string Id, byte[] Token)> ReserveOneAsync(string purpose, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var reserved = Mutate((s, c) =>
            {
                var token = AvailableTokenRecords(s, forSpending: true).FirstOrDefault();
                if (token is null)
                {
                    if (AvailableTokenRecords(s).Select(t => (long?)t.AddedAt).Min() is { } oldest)
                    {
                        var spendableAt = DateTimeOffset.FromUnixTimeSeconds(oldest) + Policy.MinTokenAge;
                        var retryAt = spendableAt + Policy.TopUpDelay.Next(Random);
                        throw new TokensTooYoungException(
                            $"the tokens available were redeemed less than {Durations.Format(Policy.MinTokenAge)} ago; waiting keeps the redemption unlinkable from this payment (try again after {retryAt:u})",
                            spendableAt,
                            retryAt);
                    }

                    return ((string, byte[])?)null;
                }

                c.Put(token with { ReservedFor = purpose });
                return (token.Id, token.Token);
            });
            if (reserved is { } r)
            {
                return r;
            }

            if (Policy.PrefetchTokens || attempt > 0)
            {
                throw new WalletException(WalletError.InsufficientTokens, "no tokens available: redeem a card first");
            }

            await FetchJustInTimeAsync(1, cancellationToken);
        }
    }

    /// <summary>
    /// A token whose payment failed and whose context is gone: lost (counted) if the relay says it is spent; dropped
    /// (counted) if the relay saw it (<paramref name="shown"/>), since shown anywhere else its nonce would link the two
    /// places; available again only if it was never sent.
    /// </summary>
    internal static void ReleaseOrDrop(WalletState s, WalletChanges c, TokenRecord token, Exception failure, bool shown)
    {
        if (failure is RelayException { Code: ErrorCode.PaymentRefused } refused && IsAlreadySpent(refused))
        {
            c.Delete<TokenRecord>(token.Id);
            c.MarkSpent(WalletState.SpentMark(token));
            c.Put(s.Settings with { TokensLost = s.Settings.TokensLost + 1 });
        }
        else if (shown)
        {
            Drop(s, c, token);
        }
        else
        {
            c.Put(token with { ReservedFor = null });
        }
    }

    /// <summary>Removes a token a relay saw and refused, never to be shown again, and counts it as dropped.</summary>
    internal static void Drop(WalletState s, WalletChanges c, TokenRecord token)
    {
        c.Delete<TokenRecord>(token.Id);
        c.MarkSpent(WalletState.SpentMark(token));
        c.Put(s.Settings with { TokensDropped = s.Settings.TokensDropped + 1 });
    }

    /// <summary>The tokens plugin says "already spent" for a token it (or the network) has seen: never worth retrying.</summary>
    internal static bool IsAlreadySpent(RelayException e) => e.Message.Contains("already spent", StringComparison.OrdinalIgnoreCase);

    internal static WalletException Translate(Exception e, string what) => e switch
    {
        WalletException w => w,
        RelayCertificateMismatchException => new WalletException(WalletError.RelayRefused, e.Message, e),
        RelayException { Code: ErrorCode.Unavailable } r => new WalletException(WalletError.Unreachable, $"{what}: the relay cannot take it now ({r.Message}); nothing was spent, try again in a few minutes", e),
        RelayException r => new WalletException(WalletError.RelayRefused, $"{what}: {r.Code}", e),
        _ => new WalletException(WalletError.Unreachable, $"{what}: the relay cannot be reached", e),
    };

    private static string NextQueueName(WalletState s)
    {
        for (var i = s.Queues.Count + 1; ; i++)
        {
            var name = $"q{i}";
            if (!s.Queues.Values.Any(q => q.Name == name))
            {
                return name;
            }
        }
    }

    private static Regex QueueNames => QueueNameRegex();

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex QueueNameRegex();
}
