using System.Security.Cryptography;
using Google.Protobuf;
using NSec.Cryptography;
using SimpleXLedger.Net.Crash;
using SimpleXLedger.Protos.Relay;
using SimpleXLedger.Relay.Client;
using SimpleXLedger.Relay.Metering;
using SimpleXLedger.Relay.Storage;
using static SimpleXLedger.Relay.Queues.Replies;

namespace SimpleXLedger.Relay.Queues;

/// <summary>The queue commands: create, secure, suspend, delete, info and top-up.</summary>
internal sealed partial class RelayEngine
{
    private async Task<Reply> CreateAsync(Command command, Transmission t, ReadOnlyMemory<byte> nonce, byte[]? headerToken, CancellationToken ct)
    {
        var create = command.Create;
        var correlation = command.CorrelationId;
        if (!command.EntityId.IsEmpty || create.RecipientKey.Length != RelayProtocol.PublicKeyLength
            || !PublicKey.TryImport(RelayProtocol.Ed25519, create.RecipientKey.Span, KeyBlobFormat.RawPublicKey, out var recipientKey) || recipientKey is null)
        {
            return Error(correlation, ErrorCode.Syntax, "create needs a 32-byte Ed25519 recipient key and no entity id");
        }

        if (!RelayProtocol.Verify(recipientKey, t.Command.Span, t.Signature.Span, nonce.Span) || !PasswordMatches(create.Password))
        {
            return Auth(correlation);
        }

        if (_options.NoNewQueues)
        {
            // Before metering, so no token is spent; a retried create whose answer was lost still gets its queue.
            return _queues.MadeWith(create.RecipientKey.Span) is { } existing
                ? Created(correlation, existing)
                : Error(correlation, ErrorCode.NoNewQueues, "this relay is retiring and creates no new queues; its existing queues keep working");
        }

        var token = create.PaymentToken.IsEmpty ? headerToken ?? [] : create.PaymentToken.ToByteArray();
        var decision = await _metering.AuthorizeCreateAsync(new CreateUsage(token), ct);
        if (!decision.Allowed)
        {
            // A paid create whose answer was lost (the relay crashed, the connection dropped) comes again with the same
            // key and the same token, now spent: the signer gets the queue its token paid for, and pays nothing again.
            return decision.Denial!.Kind == DenialKind.PaymentRefused && _queues.MadeWith(create.RecipientKey.Span) is { } made
                ? Created(correlation, made)
                : Denied(correlation, decision.Denial!);
        }

        if (decision.Credit < decision.Charge)
        {
            return Denied(correlation, _metering.InsufficientBalance());
        }

        var queue = new QueueState
        {
            RecipientId = RandomNumberGenerator.GetBytes(RelayProtocol.QueueIdLength),
            SenderId = RandomNumberGenerator.GetBytes(RelayProtocol.QueueIdLength),
            RecipientKey = recipientKey,
            Balance = decision.Credit - decision.Charge,
        };

        // Nothing is in memory before the commit (the queue is not findable yet), so there is nothing to undo.
        var work = new StoreWork
        {
            Plugin = _metering.Id,
            MeteringWrites = decision.Writes,
            NewQueue = new NewQueueRow(queue.RecipientId, queue.SenderId, create.RecipientKey.ToByteArray(), queue.Balance),
        };
        if (!await _writer.SubmitAsync(work))
        {
            return _queues.MadeWith(create.RecipientKey.Span) is { } made ? Created(correlation, made) : AlreadySpent(correlation);
        }

        _pluginStore.Apply(decision.Writes);
        _queues.Add(queue);
        CrashPoint.Reach("relay.create.after-commit");
        _metering.OnUsage(new UsageEvent(UsageKind.QueueCreated, 0, TimeSpan.Zero, decision.Charge));
        return Created(correlation, queue);
    }

    private Reply Created(ByteString correlation, QueueState q)
    {
        long balance;
        lock (q.Gate)
        {
            balance = q.Balance;
        }

        return new Reply
        {
            CorrelationId = correlation,
            Created = new QueueCreated
            {
                RecipientId = UnsafeByteOperations.UnsafeWrap(q.RecipientId),
                SenderId = UnsafeByteOperations.UnsafeWrap(q.SenderId),
                Balance = BalanceOf(balance),
            },
        };
    }

    private async Task<Reply> SecureAsync(QueueState q, Command command, ByteString correlation)
    {
        var keyBytes = command.Secure.SenderKey;
        if (keyBytes.Length != RelayProtocol.PublicKeyLength || !PublicKey.TryImport(RelayProtocol.Ed25519, keyBytes.Span, KeyBlobFormat.RawPublicKey, out var senderKey) || senderKey is null)
        {
            return Error(correlation, ErrorCode.Syntax, "secure needs a 32-byte Ed25519 sender key");
        }

        Task<bool> committed;
        lock (q.Gate)
        {
            if (q.Deleted)
            {
                return Auth(correlation);
            }

            if (q.SenderKeyBytes is not null)
            {
                // Only once; repeating the same key is an idempotent retry.
                return keyBytes.Span.SequenceEqual(q.SenderKeyBytes) ? Ok(correlation) : Auth(correlation);
            }

            q.SenderKeyBytes = keyBytes.ToByteArray();
            q.SenderKey = senderKey;
            committed = _writer.SubmitAsync(new StoreWork { Queue = q.RecipientId, SecureWithSenderKey = q.SenderKeyBytes });
        }

        await CommitOrUndoAsync(q, committed, () =>
        {
            q.SenderKeyBytes = null;
            q.SenderKey = null;
        });
        return Ok(correlation);
    }

    private async Task<Reply> SuspendAsync(QueueState q, ByteString correlation)
    {
        Task<bool> committed;
        lock (q.Gate)
        {
            if (q.Deleted)
            {
                return Auth(correlation);
            }

            if (q.Suspended)
            {
                return Ok(correlation);
            }

            q.Suspended = true;
            committed = _writer.SubmitAsync(new StoreWork { Queue = q.RecipientId, Suspend = true });
        }

        await CommitOrUndoAsync(q, committed, () => q.Suspended = false);
        return Ok(correlation);
    }

    private async Task<Reply> DeleteAsync(QueueState q, ByteString correlation)
    {
        Task<bool> committed;
        long storedBytes;
        lock (q.Gate)
        {
            if (q.Deleted)
            {
                return Auth(correlation);
            }

            committed = _writer.SubmitAsync(new StoreWork { Queue = q.RecipientId, DeleteQueue = true });
            q.Deleted = true;
            storedBytes = q.StoredBytes;
        }

        await CommitOrUndoAsync(q, committed, () => q.Deleted = false);
        _queues.Remove(q);
        lock (q.Gate)
        {
            q.Messages.Clear();
            q.Subscriber?.SubscriptionEnded(q.RecipientId);
            q.Subscriber = null;
        }

        _metering.OnUsage(new UsageEvent(UsageKind.QueueDeleted, storedBytes, TimeSpan.Zero, 0));
        return Ok(correlation);
    }

    private Reply Info(QueueState q, ByteString correlation)
    {
        lock (q.Gate)
        {
            return new Reply
            {
                CorrelationId = correlation,
                Info = new QueueInfo
                {
                    Secured = q.SenderKey is not null,
                    Suspended = q.Suspended,
                    PendingMessages = (uint)q.Counted,
                    Balance = BalanceOf(q.Balance),
                },
            };
        }
    }

    private async Task<Reply> TopUpAsync(QueueState q, byte[]? token, ByteString correlation, CancellationToken ct)
    {
        if (token is null || token.Length == 0)
        {
            return Error(correlation, ErrorCode.Syntax, "top-up needs a payment token");
        }

        long balance;
        lock (q.Gate)
        {
            if (q.Deleted)
            {
                return Auth(correlation);
            }

            balance = q.Balance;
        }

        var decision = await _metering.TopUpAsync(new TopUpUsage(token, balance), ct);
        if (!decision.Allowed)
        {
            return Denied(correlation, decision.Denial!);
        }

        // The token is redeemed (at the clearing house, when the plugin uses one); nothing is credited or stored here yet.
        CrashPoint.Reach("relay.topup.after-redeem");

        var delta = decision.Credit - decision.Charge;
        Task<bool> committed;
        lock (q.Gate)
        {
            if (q.Deleted)
            {
                return Auth(correlation);
            }

            q.Balance += delta;
            committed = _writer.SubmitAsync(new StoreWork { Plugin = _metering.Id, MeteringWrites = decision.Writes, Queue = q.RecipientId, BalanceDelta = delta });
        }

        if (!await CommitOrUndoAsync(q, committed, () => q.Balance -= delta))
        {
            return AlreadySpent(correlation);
        }

        _pluginStore.Apply(decision.Writes);
        CrashPoint.Reach("relay.topup.after-commit");
        lock (q.Gate)
        {
            balance = q.Balance;
        }

        return new Reply { CorrelationId = correlation, Balance = BalanceOf(balance) };
    }
}
