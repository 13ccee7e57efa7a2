using System.Security.Cryptography;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SimpleXLedger.Net;
using SimpleXLedger.Protos.Clearing;
using SimpleXLedger.Relay.Metering.Tokens;

namespace SimpleXLedger.Clearing.Client;

/// <summary>How a relay talks to its clearing house.</summary>
public sealed record ClearingRedeemerOptions
{
    public required PinnedAddress Address { get; init; }

    /// <summary>How long the first token of a batch waits for others (tokens from many queues share one call).</summary>
    public TimeSpan BatchWindow { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Most tokens in one call (lowered to the clearing house's own limit).</summary>
    public int MaxBatch { get; init; } = 512;

    /// <summary>Calls in flight at once.</summary>
    public int MaxInFlight { get; init; } = 4;

    /// <summary>Deadline of one call.</summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a batch is retried (same batch id, backoff) before the redeemer reports itself unavailable.</summary>
    public TimeSpan RetryFor { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Where every receipt is appended (the relay's data directory); none when null.</summary>
    public string? ReceiptLogPath { get; init; }
}

/// <summary>
/// The relay's <see cref="ITokenRedeemer"/> backed by the clearing house: tokens from concurrent callers
/// are gathered for a few milliseconds into one batch, signed by the operator key, and sent; a batch is
/// retried with the same batch id (so it is recorded and counted once, whatever got lost on the way)
/// until <see cref="ClearingRedeemerOptions.RetryFor"/>, then the callers get
/// <see cref="RedeemerUnavailableException"/>. Every receipt is written to the receipt log before the
/// outcomes are returned.
/// </summary>
public sealed class ClearingTokenRedeemer : ITokenRedeemer, IAsyncDisposable
{
    public const string RedeemerIdFileName = "clearing-redeemer.id";

    private readonly ClearingRedeemerOptions _options;
    private readonly OperatorKey _operatorKey;
    private readonly byte[] _redeemerId;
    private readonly ILogger _logger;
    private readonly ReceiptLog? _receipts;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SemaphoreSlim _inFlight;
    private readonly SemaphoreSlim _connectGate = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;
    private readonly List<Task> _sends = [];
    private readonly Lock _sendsGate = new();
    private ClearingClient? _client;
    private long _accepted;
    private long _refused;
    private long _later;
    private long _batches;

    public ClearingTokenRedeemer(ClearingRedeemerOptions options, OperatorKey operatorKey, ReadOnlySpan<byte> redeemerId, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(operatorKey);
        if (redeemerId.Length != ClearingProtocol.RedeemerIdLength)
        {
            throw new ArgumentException("a redeemer id is 16 bytes", nameof(redeemerId));
        }

        _options = options;
        _operatorKey = operatorKey;
        _redeemerId = redeemerId.ToArray();
        _logger = logger ?? NullLogger.Instance;
        _receipts = options.ReceiptLogPath is null ? null : new ReceiptLog(options.ReceiptLogPath);
        _inFlight = new SemaphoreSlim(Math.Max(1, options.MaxInFlight));
        _loop = Task.Run(BatchLoopAsync);
    }

    /// <summary>Tokens the clearing house accepted (or had accepted earlier for this relay) through this redeemer.</summary>
    public long Accepted => Interlocked.Read(ref _accepted);

    /// <summary>Tokens refused for good (spent, unknown or expired key, bad signature, over-issued).</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Tokens answered "not yet anchored" (to be tried again later; not refusals).</summary>
    public long Later => Interlocked.Read(ref _later);

    /// <summary>Batches answered (each with a receipt).</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>
    /// The relay's redeemer id, kept in <paramref name="dataDirectory"/> (made on first use): the same
    /// relay keeps its id across restarts, so a token it had accepted before a crash is accepted again.
    /// </summary>
    public static byte[] LoadOrCreateRedeemerId(string dataDirectory)
    {
        Directory.CreateDirectory(dataDirectory);
        var path = Path.Combine(dataDirectory, RedeemerIdFileName);
        if (File.Exists(path))
        {
            var text = File.ReadAllText(path).Trim();
            if (text.Length == 2 * ClearingProtocol.RedeemerIdLength)
            {
                try
                {
                    return Convert.FromHexString(text);
                }
                catch (FormatException)
                {
                    // Fall through to the error below.
                }
            }

            throw new InvalidDataException($"{path} does not hold a 16-byte redeemer id in hex");
        }

        var id = RandomNumberGenerator.GetBytes(ClearingProtocol.RedeemerIdLength);
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, Convert.ToHexStringLower(id) + "\n");
        File.Move(temporary, path, overwrite: false);
        return id;
    }

    public async ValueTask<IReadOnlyList<RedemptionOutcome>> RedeemAsync(IReadOnlyList<ReadOnlyMemory<byte>> tokens, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (tokens.Count == 0)
        {
            return [];
        }

        ObjectDisposedException.ThrowIf(_stopping.IsCancellationRequested, this);
        var parts = new List<Pending>();
        for (var start = 0; start < tokens.Count; start += _options.MaxBatch)
        {
            var count = Math.Min(_options.MaxBatch, tokens.Count - start);
            var part = new Pending(tokens.Skip(start).Take(count).ToArray());
            parts.Add(part);
            if (!_queue.Writer.TryWrite(part))
            {
                throw new ObjectDisposedException(nameof(ClearingTokenRedeemer));
            }
        }

        var outcomes = new List<RedemptionOutcome>(tokens.Count);
        foreach (var part in parts)
        {
            // Waiting can be abandoned; the batch itself still completes and is recorded with its receipt.
            outcomes.AddRange(await part.Result.Task.WaitAsync(cancellationToken));
        }

        return outcomes;
    }

    private async Task BatchLoopAsync()
    {
        Pending? carried = null;
        var reader = _queue.Reader;
        while (true)
        {
            Pending first;
            if (carried is not null)
            {
                first = carried;
                carried = null;
            }
            else
            {
                try
                {
                    if (!await reader.WaitToReadAsync(_stopping.Token) || !reader.TryRead(out first!))
                    {
                        if (reader.Completion.IsCompleted)
                        {
                            return;
                        }

                        continue;
                    }
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }

            var batch = new List<Pending> { first };
            var count = first.Tokens.Length;
            var limit = Math.Min(_options.MaxBatch, MaxBatchOfHouse());
            using (var window = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token))
            {
                window.CancelAfter(_options.BatchWindow);
                try
                {
                    while (count < limit && await reader.WaitToReadAsync(window.Token))
                    {
                        while (count < limit && reader.TryRead(out var next))
                        {
                            if (count + next.Tokens.Length > limit)
                            {
                                carried = next;
                                break;
                            }

                            batch.Add(next);
                            count += next.Tokens.Length;
                        }

                        if (carried is not null)
                        {
                            break;
                        }
                    }
                }
                catch (OperationCanceledException)
                {
                    // The window closed: send what we have.
                }
            }

            await _inFlight.WaitAsync(CancellationToken.None);
            var send = SendAsync(batch);
            lock (_sendsGate)
            {
                _sends.RemoveAll(t => t.IsCompleted);
                _sends.Add(send);
            }
        }
    }

    private int MaxBatchOfHouse() => _client?.Info.MaxBatch is > 0 and var max ? (int)max : int.MaxValue;

    private async Task SendAsync(List<Pending> batch)
    {
        try
        {
            var tokens = batch.SelectMany(p => p.Tokens).ToArray();
            var batchId = ClearingClient.NewBatchId();
            var result = await RedeemWithRetryAsync(batchId, tokens);
            var offset = 0;
            foreach (var pending in batch)
            {
                var outcomes = new RedemptionOutcome[pending.Tokens.Length];
                for (var i = 0; i < outcomes.Length; i++)
                {
                    outcomes[i] = Map(result.Outcomes[offset + i]);
                }

                offset += outcomes.Length;
                pending.Result.TrySetResult(outcomes);
            }
        }
        catch (Exception e)
        {
            foreach (var pending in batch)
            {
                pending.Result.TrySetException(e);
            }
        }
        finally
        {
            _inFlight.Release();
        }
    }

    private async Task<RedeemResult> RedeemWithRetryAsync(byte[] batchId, ReadOnlyMemory<byte>[] tokens)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        var delay = TimeSpan.FromMilliseconds(50);
        RedeemRequest? request = null;
        var batchHex = Convert.ToHexStringLower(batchId.AsSpan(0, 8));
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var client = await GetClientAsync();
                request ??= client.SignBatch(_operatorKey, batchId, _redeemerId, tokens);
                var result = await client.RedeemAsync(request, _options.CallTimeout, _stopping.Token);
                Record(client, result, batchHex);
                return result;
            }
            catch (ClearingException e) when (e.IsTransient && started.Elapsed < _options.RetryFor && !_stopping.IsCancellationRequested)
            {
                _logger.LogWarning("clearing batch {Batch} attempt {Attempt} failed ({Reason}); retrying in {Delay} ms", batchHex, attempt, e.Reason, (int)delay.TotalMilliseconds);
                await DropClientAsync();
            }
            catch (ClearingException e) when (e.IsTransient)
            {
                throw new RedeemerUnavailableException($"the clearing house did not answer batch {batchHex} ({e.Reason})", e);
            }
            catch (ClearingException e)
            {
                // Refused as a whole (operator not registered, malformed batch): nothing was recorded.
                _logger.LogError("the clearing house refused batch {Batch}: {Reason}: {Message}", batchHex, e.Reason, e.Message);
                throw new RedeemerUnavailableException($"the clearing house refused batch {batchHex} ({e.Reason}): {e.Message}", e);
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                throw new RedeemerUnavailableException("the redeemer is stopping");
            }

            try
            {
                await Task.Delay(delay, _stopping.Token);
            }
            catch (OperationCanceledException)
            {
                throw new RedeemerUnavailableException("the redeemer is stopping");
            }

            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 2000));
        }
    }

    private void Record(ClearingClient client, RedeemResult result, string batchHex)
    {
        var mapped = result.Outcomes.Select(Map).ToArray();
        var accepted = mapped.Count(o => o == RedemptionOutcome.Accepted);
        var later = mapped.Count(o => o == RedemptionOutcome.RetryLater);
        var refused = mapped.Length - accepted - later;
        Interlocked.Add(ref _accepted, accepted);
        Interlocked.Add(ref _refused, refused);
        Interlocked.Add(ref _later, later);
        Interlocked.Increment(ref _batches);
        var r = result.Receipt;
        _receipts?.Append(new StoredReceipt(
            r.Payee, r.Epoch, r.AcceptedInEpoch, Convert.ToHexStringLower(r.BatchId), Convert.ToHexStringLower(r.Signature),
            client.Info.ClearingHouse, client.Info.Ledger, client.Info.ChainId, result.Accepted));
        if (refused > 0)
        {
            // Shown to the operator: refusals by reason, never the tokens.
            var reasons = string.Join(", ", result.Outcomes.Where(o => Map(o) == RedemptionOutcome.Refused || Map(o) == RedemptionOutcome.AlreadySpent).GroupBy(o => o).Select(g => $"{g.Key}={g.Count()}"));
            _logger.LogWarning("clearing batch {Batch}: {Refused} of {Count} tokens refused ({Reasons})", batchHex, refused, result.Outcomes.Count, reasons);
        }

        if (later > 0)
        {
            _logger.LogInformation("clearing batch {Batch}: {Later} of {Count} tokens not yet anchored as issued by the issuer; to be tried again later", batchHex, later, result.Outcomes.Count);
        }

        _logger.LogDebug("clearing batch {Batch}: {Accepted} accepted, epoch {Epoch}, payee count {Count}{Replay}", batchHex, result.Accepted, r.Epoch, r.AcceptedInEpoch, result.Replayed ? " (replayed)" : "");
    }

    private static RedemptionOutcome Map(TokenOutcome outcome) => outcome switch
    {
        TokenOutcome.Accepted or TokenOutcome.AcceptedEarlier => RedemptionOutcome.Accepted,
        TokenOutcome.Spent => RedemptionOutcome.AlreadySpent,
        // Beyond the anchored total while the issuer may still anchor it: nothing recorded, try again later.
        TokenOutcome.NotYetAnchored => RedemptionOutcome.RetryLater,
        _ => RedemptionOutcome.Refused,
    };

    private async Task<ClearingClient> GetClientAsync()
    {
        if (Volatile.Read(ref _client) is { } existing)
        {
            return existing;
        }

        await _connectGate.WaitAsync(_stopping.Token);
        try
        {
            return _client ??= await ClearingClient.ConnectAsync(_options.Address, _stopping.Token);
        }
        finally
        {
            _connectGate.Release();
        }
    }

    private async Task DropClientAsync()
    {
        await _connectGate.WaitAsync(CancellationToken.None);
        try
        {
            // A fresh connection for the retry (the old one may be half-closed after the server restarted).
            _client?.Dispose();
            _client = null;
        }
        finally
        {
            _connectGate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stopping.CancelAsync();
        await _loop;
        Task[] sends;
        lock (_sendsGate)
        {
            sends = [.. _sends];
        }

        await Task.WhenAll(sends);
        while (_queue.Reader.TryRead(out var left))
        {
            left.Result.TrySetException(new RedeemerUnavailableException("the redeemer is stopping"));
        }

        _client?.Dispose();
        _stopping.Dispose();
        _inFlight.Dispose();
        _connectGate.Dispose();
    }

    private sealed class Pending(ReadOnlyMemory<byte>[] tokens)
    {
        public ReadOnlyMemory<byte>[] Tokens { get; } = tokens;

        public TaskCompletionSource<RedemptionOutcome[]> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
