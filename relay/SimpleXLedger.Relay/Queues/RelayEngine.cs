using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using NSec.Cryptography;
using SimpleXLedger.Protos.Relay;
using SimpleXLedger.Relay.Client;
using SimpleXLedger.Relay.Metering;
using SimpleXLedger.Relay.Plugins;
using SimpleXLedger.Relay.Storage;
using static SimpleXLedger.Relay.Queues.Replies;

namespace SimpleXLedger.Relay.Queues;

/// <summary>
/// The queue core: verifies each transmission, applies the SMP commands to the queues in memory,
/// makes every change durable through the group-commit writer before answering, asks the metering
/// policy before accepting work and tells it what was used. Never logs queue ids, keys or bodies.
/// The commands are in <c>RelayEngine.Queues.cs</c> and <c>RelayEngine.Messages.cs</c>, the expiry
/// sweep in <c>RelayEngine.Expiry.cs</c>; opening and loading the database is <see cref="RelayStore"/>'s,
/// registering the plugin <see cref="MeteringHost"/>'s; all are services of the relay's container.
/// </summary>
internal sealed partial class RelayEngine : IDisposable
{
    private static readonly PublicKey DummyKey = RelayProtocol.NewKey().PublicKey;
    private readonly QueueIndex _queues = new();
    private readonly GroupCommitWriter _writer;
    private readonly GuardedPolicy _metering;
    private readonly PluginStore _pluginStore;
    private readonly RelayOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly byte[]? _passwordHash;
    private long _nextSeq;

    /// <summary>
    /// The engine over the opened <paramref name="store"/>, with the queues and messages it held. The store and the
    /// plugin host are the container's services (it closes them); the engine only uses them.
    /// </summary>
    public RelayEngine(RelayStore store, GuardedPolicy metering, PluginStore pluginStore, RelayOptions options, TimeProvider time, ILogger logger)
    {
        _writer = store.Writer;
        _metering = metering;
        _pluginStore = pluginStore;
        _options = options;
        _time = time;
        _logger = logger;
        _passwordHash = options.CreatePassword is null ? null : SHA256.HashData(Encoding.UTF8.GetBytes(options.CreatePassword));
        _lastSweep = time.GetUtcNow();
        _nextSeq = store.Loaded.MaxSeq;
        foreach (var q in store.Loaded.Queues)
        {
            _queues.Add(q);
        }

        logger.LogInformation("relay store open: {Queues} queues, metering {Plugin} {Version}", store.Loaded.Queues.Count, metering.Id, metering.Version);
    }

    public GroupCommitWriter Writer => _writer;

    public GuardedPolicy Metering => _metering;

    public int QueueCount => _queues.Count;

    /// <summary>The pragmas of the writer's connection, for the durability test.</summary>
    public Task<(string JournalMode, string Synchronous)> ReadPragmasAsync() =>
        _writer.ReadAsync(c => (RelayDatabase.Pragma(c, "journal_mode"), RelayDatabase.Pragma(c, "synchronous")));

    /// <summary>
    /// Executes one transmission. <paramref name="sink"/> receives deliveries when the command is a
    /// subscribe; <paramref name="headerToken"/> is a token from the call's authorization header.
    /// </summary>
    public async Task<Reply> ExecuteAsync(Transmission transmission, ReadOnlyMemory<byte> sessionNonce, IDeliverySink? sink, byte[]? headerToken, CancellationToken cancellationToken)
    {
        Command command;
        try
        {
            command = Command.Parser.ParseFrom(transmission.Command);
        }
        catch (InvalidProtocolBufferException)
        {
            return Error(ByteString.Empty, ErrorCode.Syntax, "the command is not a valid relay command");
        }

        var correlation = command.CorrelationId;
        if (correlation.Length > RelayProtocol.MaxCorrelationIdLength)
        {
            return Error(ByteString.Empty, ErrorCode.Syntax, "the correlation id is longer than 24 bytes");
        }

        try
        {
            return command.BodyCase switch
            {
                Command.BodyOneofCase.Create => await CreateAsync(command, transmission, sessionNonce, headerToken, cancellationToken),
                Command.BodyOneofCase.Send => await SendAsync(command, transmission, sessionNonce, headerToken, cancellationToken),
                Command.BodyOneofCase.None => Error(correlation, ErrorCode.Syntax, "the command has no body"),
                _ => await RecipientCommandAsync(command, transmission, sessionNonce, sink, headerToken, cancellationToken),
            };
        }
        catch (StoreUnavailableException)
        {
            return Error(correlation, ErrorCode.Unavailable, "the relay could not store the change; nothing was changed");
        }
    }

    private async Task<Reply> RecipientCommandAsync(Command command, Transmission t, ReadOnlyMemory<byte> nonce, IDeliverySink? sink, byte[]? headerToken, CancellationToken ct)
    {
        var correlation = command.CorrelationId;
        if (!_queues.TryGetByRecipient(command.EntityId.Span, out var q))
        {
            RelayProtocol.Verify(DummyKey, t.Command.Span, t.Signature.Span, nonce.Span);
            return Auth(correlation);
        }

        if (!RelayProtocol.Verify(q.RecipientKey, t.Command.Span, t.Signature.Span, nonce.Span))
        {
            return Auth(correlation);
        }

        return command.BodyCase switch
        {
            Command.BodyOneofCase.Secure => await SecureAsync(q, command, correlation),
            Command.BodyOneofCase.Subscribe => Subscribe(q, sink, correlation),
            Command.BodyOneofCase.Get => Get(q, correlation),
            Command.BodyOneofCase.Ack => await AckAsync(q, command.Ack.MessageId, correlation),
            Command.BodyOneofCase.Suspend => await SuspendAsync(q, correlation),
            Command.BodyOneofCase.Delete => await DeleteAsync(q, correlation),
            Command.BodyOneofCase.Info => Info(q, correlation),
            Command.BodyOneofCase.TopUp => await TopUpAsync(q, command.TopUp.PaymentToken.IsEmpty ? headerToken : command.TopUp.PaymentToken.ToByteArray(), correlation, ct),
            _ => Error(correlation, ErrorCode.Syntax, "unknown command"),
        };
    }

    /// <summary>
    /// The one way a command's change becomes durable. The caller made the change in memory and submitted
    /// <paramref name="committed"/> under the queue's lock (so the writer sees each queue's changes in order);
    /// this waits for the commit and, when the store failed or refused the unit (a must-be-new metering key
    /// existed), takes the change back with <paramref name="undo"/> under the lock. Returns whether the unit
    /// was applied; a store failure is rethrown (the command then answers Unavailable: nothing was changed).
    /// </summary>
    private static async Task<bool> CommitOrUndoAsync(QueueState q, Task<bool> committed, Action undo)
    {
        bool applied;
        try
        {
            applied = await committed;
        }
        catch
        {
            lock (q.Gate)
            {
                undo();
            }

            throw;
        }

        if (!applied)
        {
            lock (q.Gate)
            {
                undo();
            }
        }

        return applied;
    }

    /// <summary>A subscriber's stream ended: its queues no longer push to it.</summary>
    public void Unsubscribe(IDeliverySink sink, IEnumerable<byte[]> recipientIds)
    {
        foreach (var id in recipientIds)
        {
            if (_queues.TryGetByRecipient(id, out var q))
            {
                lock (q.Gate)
                {
                    if (ReferenceEquals(q.Subscriber, sink))
                    {
                        q.Subscriber = null;
                    }
                }
            }
        }
    }

    /// <summary>Pushes the head message to the subscriber if it has not had it. Under the queue's lock.</summary>
    private void PushHead(QueueState q)
    {
        if (q.Subscriber is not { } sink || q.Messages.Count == 0)
        {
            return;
        }

        var head = q.Messages[0];
        if (ReferenceEquals(head.PushedTo, sink))
        {
            return;
        }

        head.PushedTo = sink;
        MarkDelivered(head);
        sink.Deliver(ToDelivery(q, head));
    }

    private void MarkDelivered(StoredMessage message)
    {
        if (!message.Delivered)
        {
            message.Delivered = true;
            if (!message.QuotaNotice)
            {
                _metering.OnUsage(new UsageEvent(UsageKind.MessageDelivered, message.Body.Length, TimeSpan.Zero, 0));
            }
        }
    }

    private static Delivery ToDelivery(QueueState q, StoredMessage m) => new()
    {
        RecipientId = UnsafeByteOperations.UnsafeWrap(q.RecipientId),
        MessageId = UnsafeByteOperations.UnsafeWrap(m.MessageId),
        Timestamp = m.AcceptedAt,
        Body = UnsafeByteOperations.UnsafeWrap(m.Body),
        QuotaNotice = m.QuotaNotice,
    };

    private bool PasswordMatches(string given)
    {
        if (_passwordHash is null)
        {
            return true;
        }

        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(given), hash);
        return CryptographicOperations.FixedTimeEquals(hash, _passwordHash);
    }

    private Balance BalanceOf(long amount) => new() { Amount = amount, Unit = _metering.BalanceUnit };

    private Reply QuotaError(ByteString correlation) => Error(correlation, ErrorCode.Quota, $"the queue holds {_options.QueueQuota} undelivered messages; try later");

    public void Dispose() => _sweepGate.Dispose();
}
