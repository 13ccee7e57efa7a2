using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using NSec.Cryptography;
using SimpleXLedger.Hosting.Startup;
using SimpleXLedger.Protos.Relay;
using SimpleXLedger.Relay;
using SimpleXLedger.Relay.Client;
using SimpleXLedger.Relay.Hosting;
using SimpleXLedger.Relay.Queues;

namespace SimpleXLedger.Benchmarks;

/// <summary>What one benchmark run measures.</summary>
public sealed record RelayBenchmarkResult(
    string Metering,
    double MessagesPerSecond,
    double P50Ms,
    double P99Ms,
    long Messages,
    int Queues,
    int BodyBytes,
    double Seconds);

/// <summary>
/// The relay benchmark: a relay in this process (real Kestrel, gRPC over TLS on loopback, SQLite with
/// synchronous=FULL in a temporary directory) and its clients in the same process. 1,000 queues, each
/// secured; senders and recipients on separate connections, each on the Session stream. Every queue
/// keeps one message in flight: send (signed) → delivered to the subscriber → ack (signed) → next
/// send. Each message thus costs two signatures on the client and two verifications on the relay.
/// The baseline, Ed25519 verifications per second on all cores, is measured in the same run.
/// </summary>
public static class RelayBenchmark
{
    public const int Queues = 1000;
    public const int BodyBytes = 256;
    private const int Connections = 4;

    /// <summary>Ed25519 verifications per second with every core busy (NSec, libsodium), over a command-sized message.</summary>
    public static double MeasureEd25519VerifyPerSecond(TimeSpan duration)
    {
        using var key = RelayProtocol.NewKey();
        var message = new byte[BodyBytes + 120];
        var signature = RelayProtocol.Ed25519.Sign(key, message);
        var publicKey = key.PublicKey;
        var threads = Environment.ProcessorCount;
        var counts = new long[threads];
        var stopwatch = Stopwatch.StartNew();
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            long n = 0;
            while (stopwatch.Elapsed < duration)
            {
                for (var i = 0; i < 64; i++)
                {
                    if (!RelayProtocol.Ed25519.Verify(publicKey, message, signature))
                    {
                        throw new InvalidOperationException("baseline signature failed to verify");
                    }
                }

                n += 64;
            }

            counts[t] = n;
        });
        return counts.Sum() / stopwatch.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// Runs the load for <paramref name="measure"/> after a warm-up. <paramref name="payment"/> gives a
    /// token for each queue when the metering needs one (it tops the queue up before the load).
    /// </summary>
    public static async Task<RelayBenchmarkResult> RunAsync(string metering, string pluginsDirectory, IReadOnlyDictionary<string, string> settings, Func<byte[]>? payment, TimeSpan warmup, TimeSpan measure, ILoggerFactory loggers, ServiceObservability? observability = null)
    {
        var data = Directory.CreateTempSubdirectory("sxl-bench-relay-").FullName;
        try
        {
            var options = new RelayOptions
            {
                DataDirectory = data,
                Listen = new IPEndPoint(IPAddress.Loopback, 0),
                Metering = metering,
                PluginsDirectory = pluginsDirectory,
                MeteringSettings = settings,
                Observability = observability ?? ServiceObservability.None,
            };
            await using var relay = await RelayServer.StartAsync(options, loggers: loggers);
            // With metrics on, a scraper reads /metrics every second through the load (a busy Prometheus), so the
            // cost measured includes the scrapes as well as the counting.
            using var scraping = new CancellationTokenSource();
            var scraper = relay.MetricsUrl is { } metricsUrl ? ScrapeAsync(new Uri(metricsUrl, "/metrics"), scraping.Token) : Task.CompletedTask;
            var senders = new List<RelayClient>();
            var recipients = new List<RelayClient>();
            for (var i = 0; i < Connections; i++)
            {
                senders.Add(await RelayClient.ConnectAsync(relay.Address));
                recipients.Add(await RelayClient.ConnectAsync(relay.Address));
            }

            var queues = await CreateQueuesAsync(senders[0], payment);
            var senderSessions = senders.Select(c => c.OpenSession()).ToList();
            var recipientSessions = recipients.Select(c => c.OpenSession()).ToList();
            try
            {
                return await LoadAsync(metering, queues, senderSessions, recipientSessions, warmup, measure);
            }
            finally
            {
                await scraping.CancelAsync();
                await scraper;
                foreach (var s in senderSessions.Concat(recipientSessions))
                {
                    await s.DisposeAsync();
                }

                foreach (var c in senders.Concat(recipients))
                {
                    c.Dispose();
                }

                foreach (var q in queues)
                {
                    q.RecipientKey.Dispose();
                    q.SenderKey.Dispose();
                }
            }
        }
        finally
        {
            try
            {
                Directory.Delete(data, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static async Task ScrapeAsync(Uri metrics, CancellationToken ct)
    {
        using var http = new HttpClient();
        using var tick = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await tick.WaitForNextTickAsync(ct))
            {
                using var response = await http.GetAsync(metrics, ct);
                response.EnsureSuccessStatusCode();
                await response.Content.ReadAsByteArrayAsync(ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Done.
        }
    }

    private sealed class BenchQueue
    {
        public required int Index { get; init; }

        public required byte[] RecipientId { get; init; }

        public required byte[] SenderId { get; init; }

        public required Key RecipientKey { get; init; }

        public required Key SenderKey { get; init; }

        public long SentAt;
    }

    private static async Task<List<BenchQueue>> CreateQueuesAsync(RelayClient client, Func<byte[]>? payment)
    {
        var queues = new BenchQueue[Queues];
        await Parallel.ForAsync(0, Queues, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, ct) =>
        {
            var recipientKey = RelayProtocol.NewKey();
            var senderKey = RelayProtocol.NewKey();
            var created = await client.CreateQueueAsync(recipientKey, cancellationToken: ct);
            await client.SecureAsync(created.RecipientId.Memory, recipientKey, senderKey.PublicKey, ct);
            if (payment is not null)
            {
                await client.TopUpAsync(created.RecipientId.Memory, recipientKey, payment(), ct);
            }

            queues[i] = new BenchQueue { Index = i, RecipientId = created.RecipientId.ToByteArray(), SenderId = created.SenderId.ToByteArray(), RecipientKey = recipientKey, SenderKey = senderKey };
        });
        return [.. queues];
    }

    private static async Task<RelayBenchmarkResult> LoadAsync(string metering, List<BenchQueue> queues, List<RelaySession> senders, List<RelaySession> recipients, TimeSpan warmup, TimeSpan measure)
    {
        var byRecipient = queues.ToDictionary(q => Convert.ToHexString(q.RecipientId));
        var body = new byte[BodyBytes];
        var measuring = 0;
        var stopping = 0;
        long delivered = 0;
        var latencies = new ConcurrentBag<long>();
        var failures = new ConcurrentQueue<Exception>();

        foreach (var q in queues)
        {
            await recipients[q.Index % Connections].SubscribeAsync(q.RecipientId, q.RecipientKey);
        }

        void Send(BenchQueue q)
        {
            if (Volatile.Read(ref stopping) != 0)
            {
                return;
            }

            q.SentAt = Stopwatch.GetTimestamp();
            senders[q.Index % Connections].SendAsync(q.SenderId, q.SenderKey, body).ContinueWith(
                t => failures.Enqueue(t.Exception!.GetBaseException()), CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }

        var readers = recipients.Select((session, c) => Task.Run(async () =>
        {
            try
            {
                await foreach (var delivery in session.Deliveries.ReadAllAsync())
                {
                    var q = byRecipient[Convert.ToHexString(delivery.RecipientId.Span)];
                    if (Volatile.Read(ref measuring) != 0)
                    {
                        latencies.Add(Stopwatch.GetTimestamp() - q.SentAt);
                    }

                    var ack = session.AckAsync(q.RecipientId, q.RecipientKey, delivery.MessageId);
                    _ = ack.ContinueWith(t =>
                    {
                        if (t.IsFaulted)
                        {
                            failures.Enqueue(t.Exception!.GetBaseException());
                            return;
                        }

                        if (Volatile.Read(ref measuring) != 0)
                        {
                            Interlocked.Increment(ref delivered);
                        }

                        Send(q);
                    }, TaskScheduler.Default);
                }
            }
            catch (RelayException)
            {
                // The session ended with the benchmark.
            }
        })).ToList();

        foreach (var q in queues)
        {
            Send(q);
        }

        await Task.Delay(warmup);
        Volatile.Write(ref measuring, 1);
        var stopwatch = Stopwatch.StartNew();
        await Task.Delay(measure);
        Volatile.Write(ref measuring, 0);
        var elapsed = stopwatch.Elapsed.TotalSeconds;
        var count = Interlocked.Read(ref delivered);
        Volatile.Write(ref stopping, 1);
        if (!failures.IsEmpty)
        {
            throw new InvalidOperationException($"{failures.Count} commands failed during the benchmark; first: {failures.First().Message}");
        }

        var sorted = latencies.Order().ToArray();
        double Percentile(double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))] * 1000.0 / Stopwatch.Frequency;
        _ = readers;
        return new RelayBenchmarkResult(metering, count / elapsed, Percentile(0.50), Percentile(0.99), count, queues.Count, BodyBytes, elapsed);
    }
}
