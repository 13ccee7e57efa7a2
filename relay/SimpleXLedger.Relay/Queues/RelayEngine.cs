using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using NSec.Cryptography;
using SimpleXLedger.Hosting.Crash;
using SimpleXLedger.Protos.Relay;
using SimpleXLedger.Relay.Client;
using SimpleXLedger.Relay.Metering;
using SimpleXLedger.Relay.Plugins;
using SimpleXLedger.Relay.Storage;

namespace SimpleXLedger.Relay.Queues;

/// <summary>
/// The queue core: verifies each transmission, applies the SMP commands to the queues in memory,
/// makes every change durable through the group-commit writer before answering, asks the metering
/// policy before accepting work and tells it what was used. Never logs queue ids, keys or bodies.
/// </summary>
internal sealed class RelayEngine : IAsyncDisposable
{
    private static readonly PublicKey DummyKey = RelayProtocol.NewKey().PublicKey;
    private readonly ConcurrentDictionary<QueueKey, QueueState> _byRecipient = new();
    private readonly ConcurrentDictionary<QueueKey, QueueState> _bySender = new();

    /// <summary>Queues by the recipient key that made them (base64; the last one made with a key): to answer a retried create.</summary>
    private readonly ConcurrentDictionary<string, QueueState> _byRecipientKey = new(StringComparer.Ordinal);
    private readonly SqliteConnection _connection;
    private readonly GroupCommitWriter _writer;
    private readonly GuardedPolicy _metering;
    private readonly PluginStore _pluginStore;
    private readonly RelayOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly byte[]? _passwordHash;
    private readonly SemaphoreSlim _sweepGate = new(1, 1);
    private long _nextSeq;
    private DateTimeOffset _lastSweep;

    private RelayEngine(SqliteConnection connection, GroupCommitWriter writer, GuardedPolicy metering, PluginStore pluginStore, RelayOptions options, TimeProvider time, ILogger logger)
    {
        _connection = connection;
        _writer = writer;
        _metering = metering;
        _pluginStore = pluginStore;
        _options = options;
        _time = time;
        _logger = logger;
        _passwordHash = options.CreatePassword is null ? null : SHA256.HashData(Encoding.UTF8.GetBytes(options.CreatePassword));
        _lastSweep = time.GetUtcNow();
    }

    public GroupCommitWriter Writer => _writer;

    public GuardedPolicy Metering => _metering;

    public int QueueCount => _byRecipient.Count;

    /// <summary>Opens (or creates) the database, loads queues, messages and metering state, and registers the plugin.</summary>
    public static async Task<RelayEngine> OpenAsync(RelayOptions options, IMeteringPlugin plugin, IServiceProvider services, TimeProvider time, ILoggerFactory loggers)
    {
        Directory.CreateDirectory(options.DataDirectory);
        var connection = RelayDatabase.Open(options.DataDirectory);
        var logger = loggers.CreateLogger("SimpleXLedger.Relay");
        var writer = new GroupCommitWriter(connection, logger, options.MaxCommitBatch);
        var pluginStore = new PluginStore(plugin.Id, writer);
        var queues = new List<QueueState>();
        long maxSeq = 0;

        // Loading runs on the writer's connection, before any command is accepted.
        await writer.ReadAsync(c =>
        {
            LoadQueues(c, queues);
            maxSeq = LoadMessages(c, queues, options.QueueQuota);
            LoadPluginStore(c, pluginStore);
            return true;
        });

        var pluginDirectory = Path.Combine(options.DataDirectory, "metering", plugin.Id);
        Directory.CreateDirectory(pluginDirectory);
        var context = new MeteringPluginContext(
            MergeSettings(options),
            loggers.CreateLogger($"SimpleXLedger.Relay.Metering.{plugin.Id}"),
            time,
            pluginDirectory,
            pluginStore,
            services);
        IMeteringPolicy policy;
        try
        {
            policy = plugin.Register(context);
        }
        catch (Exception e)
        {
            await writer.DisposeAsync();
            connection.Dispose();
            throw new PluginLoadException($"metering plugin '{plugin.Id}' refused to start: {e.GetType().Name}: {e.Message}", e);
        }

        var guarded = new GuardedPolicy(plugin, policy, options.MeteringFailOpen, options.MeteringTimeout, logger);
        var engine = new RelayEngine(connection, writer, guarded, pluginStore, options, time, logger) { _nextSeq = maxSeq };
        foreach (var q in queues)
        {
            QueueKey.TryFrom(q.RecipientId, out var rk);
            QueueKey.TryFrom(q.SenderId, out var sk);
            engine._byRecipient[rk] = q;
            engine._bySender[sk] = q;
            engine._byRecipientKey[KeyName(q.RecipientKey.Export(KeyBlobFormat.RawPublicKey))] = q;
        }

        logger.LogInformation("relay store open: {Queues} queues, metering {Plugin} {Version}", queues.Count, plugin.Id, plugin.Version);
        return engine;
    }

    private static Dictionary<string, string> MergeSettings(RelayOptions options)
    {
        var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var file = Path.Combine(options.DataDirectory, "metering.json");
        if (File.Exists(file))
        {
            using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(file));
            foreach (var p in json.RootElement.EnumerateObject())
            {
                settings[p.Name] = p.Value.ValueKind == System.Text.Json.JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText();
            }
        }

        foreach (var (k, v) in options.MeteringSettings)
        {
            settings[k] = v;
        }

        settings["devnet"] = options.Devnet ? "true" : "false";
        if (options.Issuer is not null)
        {
            settings["issuer"] = options.Issuer;
        }

        return settings;
    }

    private static void LoadQueues(SqliteConnection c, List<QueueState> queues)
    {
        using var command = c.CreateCommand();
        command.CommandText = "SELECT recipient_id, sender_id, recipient_key, sender_key, suspended, balance FROM queues;";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var senderKey = reader.IsDBNull(3) ? null : (byte[])reader[3];
            queues.Add(new QueueState
            {
                RecipientId = (byte[])reader[0],
                SenderId = (byte[])reader[1],
                RecipientKey = PublicKey.Import(RelayProtocol.Ed25519, (byte[])reader[2], KeyBlobFormat.RawPublicKey),
                SenderKeyBytes = senderKey,
                SenderKey = senderKey is null ? null : PublicKey.Import(RelayProtocol.Ed25519, senderKey, KeyBlobFormat.RawPublicKey),
                Suspended = reader.GetInt64(4) != 0,
                Balance = reader.GetInt64(5),
            });
        }
    }

    private static long LoadMessages(SqliteConnection c, List<QueueState> queues, int quota)
    {
        var byId = queues.ToDictionary(q => { QueueKey.TryFrom(q.RecipientId, out var k); return k; });
        using var command = c.CreateCommand();
        command.CommandText = "SELECT seq, recipient_id, message_id, accepted_at, body, quota_notice FROM messages ORDER BY seq;";
        using var reader = command.ExecuteReader();
        long maxSeq = 0;
        while (reader.Read())
        {
            var seq = reader.GetInt64(0);
            maxSeq = Math.Max(maxSeq, seq);
            if (!QueueKey.TryFrom((byte[])reader[1], out var key) || !byId.TryGetValue(key, out var q))
            {
                continue;
            }

            var notice = reader.GetInt64(5) != 0;
            var body = (byte[])reader[4];
            q.Messages.Add(new StoredMessage { Seq = seq, MessageId = (byte[])reader[2], AcceptedAt = reader.GetInt64(3), Body = body, QuotaNotice = notice, Counted = !notice });
            if (notice)
            {
                q.HasQuotaNotice = true;
            }
            else
            {
                q.Counted++;
                q.StoredBytes += body.Length;
            }
        }

        _ = quota;
        return maxSeq;
    }

    private static void LoadPluginStore(SqliteConnection c, PluginStore store)
    {
        using var command = c.CreateCommand();
        command.CommandText = "SELECT key, value FROM metering_store WHERE plugin = $plugin;";
        command.Parameters.AddWithValue("$plugin", store.Plugin);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            store.Load(reader.GetString(0), (byte[])reader[1]);
        }
    }

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

    private static string KeyName(ReadOnlySpan<byte> rawPublicKey) => Convert.ToBase64String(rawPublicKey);

    /// <summary>The live queue made with this recipient key, if any.</summary>
    private QueueState? MadeWith(ReadOnlySpan<byte> recipientKey) =>
        _byRecipientKey.TryGetValue(KeyName(recipientKey), out var q) && !q.Deleted ? q : null;

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

        var token = create.PaymentToken.IsEmpty ? headerToken ?? [] : create.PaymentToken.ToByteArray();
        var decision = await _metering.AuthorizeCreateAsync(new CreateUsage(token), ct);
        if (!decision.Allowed)
        {
            // A paid create whose answer was lost (the relay crashed, the connection dropped) comes again with the same
            // key and the same token, now spent: the signer gets the queue its token paid for, and pays nothing again.
            return decision.Denial!.Kind == DenialKind.PaymentRefused && MadeWith(create.RecipientKey.Span) is { } made
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
        var work = new StoreWork
        {
            Plugin = _metering.Id,
            MeteringWrites = decision.Writes,
            NewQueue = new NewQueueRow(queue.RecipientId, queue.SenderId, create.RecipientKey.ToByteArray(), queue.Balance),
        };
        if (!await _writer.SubmitAsync(work))
        {
            return MadeWith(create.RecipientKey.Span) is { } made ? Created(correlation, made) : Error(correlation, ErrorCode.PaymentRefused, "the payment token was already spent");
        }

        _pluginStore.Apply(decision.Writes);
        QueueKey.TryFrom(queue.RecipientId, out var rk);
        QueueKey.TryFrom(queue.SenderId, out var sk);
        _byRecipient[rk] = queue;
        _bySender[sk] = queue;
        _byRecipientKey[KeyName(create.RecipientKey.Span)] = queue;
        CrashPoint.Reach("relay.create.after-commit");
        _metering.OnUsage(new UsageEvent(UsageKind.QueueCreated, 0, TimeSpan.Zero, decision.Charge));
        return new Reply
        {
            CorrelationId = correlation,
            Created = new QueueCreated
            {
                RecipientId = UnsafeByteOperations.UnsafeWrap(queue.RecipientId),
                SenderId = UnsafeByteOperations.UnsafeWrap(queue.SenderId),
                Balance = BalanceOf(queue.Balance),
            },
        };
    }

    private async Task<Reply> SendAsync(Command command, Transmission t, ReadOnlyMemory<byte> nonce, byte[]? headerToken, CancellationToken ct)
    {
        var correlation = command.CorrelationId;
        if (!QueueKey.TryFrom(command.EntityId.Span, out var key) || !_bySender.TryGetValue(key, out var q))
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
        Task<bool> committed;
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

            if (refusal is null)
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
            else
            {
                committed = Task.FromResult(false);
            }
        }

        if (refusal is not null)
        {
            // A payment attached to a refused send still credits the queue: it was redeemed.
            await CreditOnlyAsync(q, decision);
            if (refusal.Error.Code == ErrorCode.Quota)
            {
                await AddQuotaNoticeAsync(q);
            }

            return refusal;
        }

        bool applied;
        try
        {
            applied = await committed;
        }
        catch (StoreUnavailableException)
        {
            Unreserve(q, delta);
            throw;
        }

        if (!applied)
        {
            Unreserve(q, delta);
            return Error(correlation, ErrorCode.PaymentRefused, "the payment token was already spent");
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

    private void Unreserve(QueueState q, long delta)
    {
        lock (q.Gate)
        {
            q.Reserved--;
            q.Balance -= delta;
        }
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

        if (await committed)
        {
            _pluginStore.Apply(decision.Writes);
        }
        else
        {
            lock (q.Gate)
            {
                q.Balance -= decision.Credit;
            }
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

        var ok = false;
        try
        {
            ok = await committed;
        }
        finally
        {
            lock (q.Gate)
            {
                if (ok && !q.Deleted)
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

    private async Task<Reply> RecipientCommandAsync(Command command, Transmission t, ReadOnlyMemory<byte> nonce, IDeliverySink? sink, byte[]? headerToken, CancellationToken ct)
    {
        var correlation = command.CorrelationId;
        if (!QueueKey.TryFrom(command.EntityId.Span, out var key) || !_byRecipient.TryGetValue(key, out var q))
        {
            RelayProtocol.Verify(DummyKey, t.Command.Span, t.Signature.Span, nonce.Span);
            return Auth(correlation);
        }

        if (!RelayProtocol.Verify(q.RecipientKey, t.Command.Span, t.Signature.Span, nonce.Span))
        {
            return Auth(correlation);
        }

        switch (command.BodyCase)
        {
            case Command.BodyOneofCase.Secure:
                return await SecureAsync(q, command, correlation);
            case Command.BodyOneofCase.Subscribe:
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
            case Command.BodyOneofCase.Get:
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

            case Command.BodyOneofCase.Ack:
                return await AckAsync(q, command.Ack.MessageId, correlation);
            case Command.BodyOneofCase.Suspend:
                return await SuspendAsync(q, correlation);
            case Command.BodyOneofCase.Delete:
                return await DeleteAsync(q, correlation);
            case Command.BodyOneofCase.Info:
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

            case Command.BodyOneofCase.TopUp:
                return await TopUpAsync(q, command.TopUp.PaymentToken.IsEmpty ? headerToken : command.TopUp.PaymentToken.ToByteArray(), correlation, ct);
            default:
                return Error(correlation, ErrorCode.Syntax, "unknown command");
        }
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

        try
        {
            await committed;
        }
        catch (StoreUnavailableException)
        {
            lock (q.Gate)
            {
                q.SenderKeyBytes = null;
                q.SenderKey = null;
            }

            throw;
        }

        return Ok(correlation);
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

        try
        {
            await committed;
        }
        catch (StoreUnavailableException)
        {
            lock (q.Gate)
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
            }

            throw;
        }

        CrashPoint.Reach("relay.ack.after-commit");
        lock (q.Gate)
        {
            PushHead(q);
        }

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

        try
        {
            await committed;
        }
        catch (StoreUnavailableException)
        {
            lock (q.Gate)
            {
                q.Suspended = false;
            }

            throw;
        }

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

        try
        {
            await committed;
        }
        catch (StoreUnavailableException)
        {
            lock (q.Gate)
            {
                q.Deleted = false;
            }

            throw;
        }

        QueueKey.TryFrom(q.RecipientId, out var rk);
        QueueKey.TryFrom(q.SenderId, out var sk);
        _byRecipient.TryRemove(rk, out _);
        _bySender.TryRemove(sk, out _);
        _byRecipientKey.TryRemove(new KeyValuePair<string, QueueState>(KeyName(q.RecipientKey.Export(KeyBlobFormat.RawPublicKey)), q));
        lock (q.Gate)
        {
            q.Messages.Clear();
            q.Subscriber?.SubscriptionEnded(q.RecipientId);
            q.Subscriber = null;
        }

        _metering.OnUsage(new UsageEvent(UsageKind.QueueDeleted, storedBytes, TimeSpan.Zero, 0));
        return Ok(correlation);
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

        bool applied;
        try
        {
            applied = await committed;
        }
        catch (StoreUnavailableException)
        {
            lock (q.Gate)
            {
                q.Balance -= delta;
            }

            throw;
        }

        if (!applied)
        {
            lock (q.Gate)
            {
                q.Balance -= delta;
            }

            return Error(correlation, ErrorCode.PaymentRefused, "the payment token was already spent");
        }

        _pluginStore.Apply(decision.Writes);
        CrashPoint.Reach("relay.topup.after-commit");
        lock (q.Gate)
        {
            balance = q.Balance;
        }

        return new Reply { CorrelationId = correlation, Balance = BalanceOf(balance) };
    }

    /// <summary>A subscriber's stream ended: its queues no longer push to it.</summary>
    public void Unsubscribe(IDeliverySink sink, IEnumerable<byte[]> recipientIds)
    {
        foreach (var id in recipientIds)
        {
            if (QueueKey.TryFrom(id, out var key) && _byRecipient.TryGetValue(key, out var q))
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

    /// <summary>
    /// Expires undelivered messages older than the TTL and charges storage for the time since the last
    /// sweep (bytes stored now × elapsed: an approximation that never overcharges by more than one interval).
    /// </summary>
    public async Task<SweepResult> SweepAsync(CancellationToken cancellationToken = default)
    {
        await _sweepGate.WaitAsync(cancellationToken);
        try
        {
            var now = _time.GetUtcNow();
            var elapsed = now - _lastSweep;
            var cutoff = (now - _options.MessageTtl).ToUnixTimeSeconds();
            var commits = new List<Task<bool>>();
            var expired = 0;
            foreach (var q in _byRecipient.Values)
            {
                lock (q.Gate)
                {
                    if (q.Deleted)
                    {
                        continue;
                    }

                    var removed = new List<long>();
                    for (var i = q.Messages.Count - 1; i >= 0; i--)
                    {
                        var m = q.Messages[i];
                        if (m.AcceptedAt <= cutoff)
                        {
                            removed.Add(m.Seq);
                            q.Messages.RemoveAt(i);
                            if (m.QuotaNotice)
                            {
                                q.HasQuotaNotice = false;
                            }
                            else
                            {
                                q.Counted--;
                                q.StoredBytes -= m.Body.Length;
                            }
                        }
                    }

                    long charge = 0;
                    if (q.StoredBytes > 0 && elapsed > TimeSpan.Zero)
                    {
                        charge = Math.Min(Math.Max(q.Balance, 0), _metering.ChargeForStorage(new StorageUsage(q.StoredBytes, elapsed, q.Balance)));
                        _metering.OnUsage(new UsageEvent(UsageKind.StoredOverTime, q.StoredBytes, elapsed, charge));
                    }

                    if (removed.Count > 0 || charge > 0)
                    {
                        q.Balance -= charge;
                        expired += removed.Count;
                        commits.Add(_writer.SubmitAsync(new StoreWork { Queue = q.RecipientId, BalanceDelta = -charge, DeleteMessages = removed }));
                    }

                    PushHead(q);
                }
            }

            await Task.WhenAll(commits);
            _lastSweep = now;
            if (expired > 0)
            {
                _logger.LogInformation("sweep expired {Count} undelivered messages", expired);
            }

            return new SweepResult(expired);
        }
        finally
        {
            _sweepGate.Release();
        }
    }

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

    private static Reply Ok(ByteString correlation) => new() { CorrelationId = correlation, Ok = new Ok() };

    /// <summary>One answer for every authentication failure: no oracle telling which part failed.</summary>
    private static Reply Auth(ByteString correlation) => Error(correlation, ErrorCode.Auth, "not authorized");

    private Reply QuotaError(ByteString correlation) => Error(correlation, ErrorCode.Quota, $"the queue holds {_options.QueueQuota} undelivered messages; try later");

    internal static Reply Error(ByteString correlation, ErrorCode code, string message, string? wwwAuthenticate = null) => new()
    {
        CorrelationId = correlation,
        Error = new Error { Code = code, Message = message, WwwAuthenticate = wwwAuthenticate ?? string.Empty },
    };

    private static Reply Denied(ByteString correlation, MeteringDenial denial) => Error(correlation, denial.Kind switch
    {
        DenialKind.PaymentRequired => ErrorCode.PaymentRequired,
        DenialKind.PaymentRefused => ErrorCode.PaymentRefused,
        DenialKind.QuotaExceeded => ErrorCode.Quota,
        _ => ErrorCode.Unavailable,
    }, denial.Message, denial.WwwAuthenticate);

    public async ValueTask DisposeAsync()
    {
        await _metering.DisposeAsync();
        await _writer.DisposeAsync();
        _connection.Dispose();
        _sweepGate.Dispose();
    }
}

internal sealed record SweepResult(int Expired);
