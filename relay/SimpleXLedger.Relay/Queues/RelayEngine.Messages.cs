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

/// <summary>The message commands: send, subscribe, get and ack, and the quota notice.</summary>
internal sealed partial class RelayEngine
{
    private async Task<Reply> SendAsync(Command command, Transmission t, ReadOnlyMemory<byte> nonce, byte[]? headerToken, CancellationToken ct)
    {
        var correlation = command.CorrelationId;
        if (!_queues.TryGetBySender(command.EntityId.Span, out var q))
        {
            RelayProtocol.Verify(DummyKey, t.Command.Span, t.Signature.Span, nonce.Span);
            return Auth(correlation);
        }

        PublicKey? senderKey;
        lock (q.Gate)
        {
            senderKey = q.SenderKey;
        }

        // Unsecured queues take only unsigned sends (SMP's confirmation); secured ones only signed by the sender key.
        var authorized = senderKey is null ? t.Signature.IsEmpty : RelayProtocol.Verify(senderKey, t.Command.Span, t.Signature.Span, nonce.Span);
        if (!authorized)
        {
            return Auth(correlation);
        }

        var body = command.Send.Body;
        if (body.Length > _options.MaxMessageBytes)
        {
            return Error(correlation, ErrorCode.LargeMessage, $"the message body is {body.Length} bytes; the limit is {_options.MaxMessageBytes}");
        }

        long balance;
        lock (q.Gate)
        {
            if (q.Deleted || q.Suspended)
            {
                return Auth(correlation);
            }

            balance = q.Balance;
        }

        if (QuotaFull(q))
        {
            await AddQuotaNoticeAsync(q);
            return QuotaError(correlation);
        }

        var token = command.Send.PaymentToken.IsEmpty ? headerToken ?? [] : command.Send.PaymentToken.ToByteArray();
        var decision = await _metering.AuthorizeSendAsync(new SendUsage(body.Length, balance, token), ct);
        if (!decision.Allowed)
        {
            return Denied(correlation, decision.Denial!);
        }

        var message = new StoredMessage
        {
            Seq = Interlocked.Increment(ref _nextSeq),
            MessageId = RandomNumberGenerator.GetBytes(RelayProtocol.MessageIdLength),
            AcceptedAt = _time.GetUtcNow().ToUnixTimeSeconds(),
            Body = body.Memory,
            Counted = true,
        };
        var delta = decision.Credit - decision.Charge;
        Task<bool>? committed = null;
        Reply? refusal = null;
        lock (q.Gate)
        {
            if (q.Deleted || q.Suspended)
            {
                refusal = Auth(correlation);
            }
            else if (q.Counted + q.Reserved >= _options.QueueQuota)
            {
                refusal = QuotaError(correlation);
            }
            else if (q.Balance + decision.Credit < decision.Charge)
            {
                refusal = Denied(correlation, _metering.InsufficientBalance());
            }
            else
            {
                q.Reserved++;
                q.Balance += delta;
                // Submitted under the queue's lock so the writer sees this queue's changes in order.
                committed = _writer.SubmitAsync(new StoreWork
                {
                    Plugin = _metering.Id,
                    MeteringWrites = decision.Writes,
                    Queue = q.RecipientId,
                    BalanceDelta = delta,
                    InsertMessage = new MessageRow(message.Seq, q.RecipientId, message.MessageId, message.AcceptedAt, message.Body, false),
                });
            }
        }

        if (committed is null)
        {
            // A payment attached to a refused send still credits the queue: it was redeemed.
            await CreditOnlyAsync(q, decision);
            if (refusal!.Error.Code == ErrorCode.Quota)
            {
                await AddQuotaNoticeAsync(q);
            }

            return refusal;
        }

        if (!await CommitOrUndoAsync(q, committed, () =>
        {
            q.Reserved--;
            q.Balance -= delta;
        }))
        {
            return AlreadySpent(correlation);
        }

        _pluginStore.Apply(decision.Writes);
        CrashPoint.Reach("relay.send.after-commit");
        lock (q.Gate)
        {
            q.Reserved--;
            if (!q.Deleted)
            {
                q.Messages.Add(message);
                q.Counted++;
                q.StoredBytes += message.Body.Length;
                PushHead(q);
            }
        }

        _metering.OnUsage(new UsageEvent(UsageKind.MessageAccepted, message.Body.Length, TimeSpan.Zero, decision.Charge));
        return Ok(correlation);
    }

    private bool QuotaFull(QueueState q)
    {
        lock (q.Gate)
        {
            return q.Counted + q.Reserved >= _options.QueueQuota;
        }
    }

    private async Task CreditOnlyAsync(QueueState q, MeteringDecision decision)
    {
        if (decision.Credit == 0 && decision.Writes.Count == 0)
        {
            return;
        }

        Task<bool> committed;
        lock (q.Gate)
        {
            if (q.Deleted)
            {
                return;
            }

            q.Balance += decision.Credit;
            committed = _writer.SubmitAsync(new StoreWork { Plugin = _metering.Id, MeteringWrites = decision.Writes, Queue = q.RecipientId, BalanceDelta = decision.Credit });
        }

        if (await CommitOrUndoAsync(q, committed, () => q.Balance -= decision.Credit))
        {
            _pluginStore.Apply(decision.Writes);
        }
    }

    /// <summary>When senders are refused for quota the recipient finds one notice (SMP's quota-exceeded message) after the last message.</summary>
    private async Task AddQuotaNoticeAsync(QueueState q)
    {
        StoredMessage notice;
        Task<bool> committed;
        lock (q.Gate)
        {
            if (q.HasQuotaNotice || q.Deleted)
            {
                return;
            }

            q.HasQuotaNotice = true;
            notice = new StoredMessage
            {
                Seq = Interlocked.Increment(ref _nextSeq),
                MessageId = RandomNumberGenerator.GetBytes(RelayProtocol.MessageIdLength),
                AcceptedAt = _time.GetUtcNow().ToUnixTimeSeconds(),
                Body = ReadOnlyMemory<byte>.Empty,
                QuotaNotice = true,
            };
            committed = _writer.SubmitAsync(new StoreWork { InsertMessage = new MessageRow(notice.Seq, q.RecipientId, notice.MessageId, notice.AcceptedAt, notice.Body, true) });
        }

        if (await CommitOrUndoAsync(q, committed, () => q.HasQuotaNotice = false))
        {
            lock (q.Gate)
            {
                if (!q.Deleted)
                {
                    q.Messages.Add(notice);
                    PushHead(q);
                }
                else
                {
                    q.HasQuotaNotice = false;
                }
            }
        }
    }

    private Reply Subscribe(QueueState q, IDeliverySink? sink, ByteString correlation)
    {
        if (sink is null)
        {
            return Error(correlation, ErrorCode.Syntax, "subscribe on the Subscribe or Session call");
        }

        lock (q.Gate)
        {
            if (q.Deleted)
            {
                return Auth(correlation);
            }

            var previous = q.Subscriber;
            q.Subscriber = sink;
            sink.Attached(q.RecipientId);
            if (previous is not null && !ReferenceEquals(previous, sink))
            {
                previous.SubscriptionEnded(q.RecipientId);
            }

            if (q.Messages.Count > 0)
            {
                q.Messages[0].PushedTo = null; // deliver the unacknowledged head again to the new subscriber
            }

            PushHead(q);
        }

        return Ok(correlation);
    }

    private Reply Get(QueueState q, ByteString correlation)
    {
        lock (q.Gate)
        {
            if (q.Deleted)
            {
                return Auth(correlation);
            }

            if (q.Messages.Count == 0)
            {
                return new Reply { CorrelationId = correlation, NoMessage = new NoMessage() };
            }

            var head = q.Messages[0];
            MarkDelivered(head);
            return new Reply { CorrelationId = correlation, Message = ToDelivery(q, head) };
        }
    }

    private async Task<Reply> AckAsync(QueueState q, ByteString messageId, ByteString correlation)
    {
        StoredMessage head;
        Task<bool> committed;
        lock (q.Gate)
        {
            if (q.Deleted)
            {
                return Auth(correlation);
            }

            if (q.Messages.Count == 0 || !q.Messages[0].Delivered || messageId.Length != RelayProtocol.MessageIdLength
                || !CryptographicOperations.FixedTimeEquals(q.Messages[0].MessageId, messageId.Span))
            {
                return Error(correlation, ErrorCode.NoMessage, "no delivered message with that id");
            }

            head = q.Messages[0];
            q.Messages.RemoveAt(0);
            if (head.QuotaNotice)
            {
                q.HasQuotaNotice = false;
            }
            else
            {
                q.Counted--;
                q.StoredBytes -= head.Body.Length;
            }

            committed = _writer.SubmitAsync(new StoreWork { DeleteMessages = [head.Seq] });
        }

        await CommitOrUndoAsync(q, committed, () =>
        {
            q.Messages.Insert(0, head);
            if (head.QuotaNotice)
            {
                q.HasQuotaNotice = true;
            }
            else
            {
                q.Counted++;
                q.StoredBytes += head.Body.Length;
            }
        });
        CrashPoint.Reach("relay.ack.after-commit");
        lock (q.Gate)
        {
            PushHead(q);
        }

        return Ok(correlation);
    }
}
