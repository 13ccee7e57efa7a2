using Microsoft.Extensions.Logging;
using SimpleXLedger.Relay.Metering;
using SimpleXLedger.Relay.Storage;

namespace SimpleXLedger.Relay.Queues;

/// <summary>The expiry sweep: undelivered messages past the TTL go, stored bytes are charged for the time since the last sweep.</summary>
internal sealed partial class RelayEngine
{
    private readonly SemaphoreSlim _sweepGate = new(1, 1);
    private DateTimeOffset _lastSweep;

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
            foreach (var q in _queues.All)
            {
                lock (q.Gate)
                {
                    if (q.Deleted)
                    {
                        continue;
                    }

                    var removed = ExpireMessages(q, cutoff);
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

    /// <summary>Takes the messages accepted at or before <paramref name="cutoff"/> out of the queue; returns their sequences. Under the queue's lock.</summary>
    private static List<long> ExpireMessages(QueueState q, long cutoff)
    {
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

        return removed;
    }
}

internal sealed record SweepResult(int Expired);
