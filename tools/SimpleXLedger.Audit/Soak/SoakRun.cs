using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using SimpleXLedger.Audit.Storage;
using SimpleXLedger.Chain.Devnet;
using SimpleXLedger.Devnet.Network;
using SimpleXLedger.Devnet.Scenarios;
using SimpleXLedger.Net;
using SimpleXLedger.Relay.Client;
using SimpleXLedger.Wallet;
using SimpleXLedger.Wallet.Issuance;
using SimpleXLedger.Wallet.Spending;
using SimpleXLedger.Wallet.Storage;

namespace SimpleXLedger.Audit.Soak;

/// <summary>How long and how hard the soak runs, and how much memory growth it tolerates.</summary>
public sealed record SoakOptions
{
    /// <summary>The measured phase (after every user has a funded queue).</summary>
    public required TimeSpan Duration { get; init; }

    /// <summary>Concurrent simulated users, each with its own wallet and queue, spread over the relays.</summary>
    public int Users { get; init; } = 32;

    /// <summary>Seeds the message sizes (the wallets' own randomness stays their own).</summary>
    public ulong Seed { get; init; }

    /// <summary>The first part of the measured phase left out of the memory check (JIT, pools and caches filling).</summary>
    public double WarmUpShare { get; init; } = 0.2;

    /// <summary>The last quarter's largest RSS may be this factor of the first quarter's …</summary>
    public double GrowthFactor { get; init; } = 1.25;

    /// <summary>… plus this much (a garbage collector's heap and SQLite's page cache settle in steps).</summary>
    public long SlackBytes { get; init; } = 48L * 1024 * 1024;

    /// <summary>How often every service's memory is sampled (default: about 60 samples over the run, at least every 5 s).</summary>
    public TimeSpan? SampleInterval { get; init; }
}

/// <summary>
/// The soak: many concurrent simulated users through the real wallet and relay client code against the running devnet
/// (both relays, the clearing house redeeming every token, the issuer), for a bounded time. Each user redeems a card,
/// makes a queue at one of the relays and then, until the time is up, sends a message of random size to its queue,
/// receives what is there and runs the wallet's top-ups as they fall due. Every operation is timed; every service's
/// resident memory is sampled throughout; afterwards every queue is drained, so each message the relay acknowledged
/// is accounted for.
/// </summary>
public static class SoakRun
{
    /// <summary>The soak wallets' policy: the careful one's fixed batches and steps, with delays of a second (not minutes) and a connection kept per relay.</summary>
    public static SpendingPolicy Policy { get; } = SpendingPolicy.Careful with
    {
        TopUpDelay = DelayDistribution.Uniform(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1)),
        MinTokenAge = TimeSpan.Zero,
        ConnectionPerOperation = false,
    };

    public static async Task<SoakResult> RunAsync(DevnetNetwork network, IssuerSession issuer, IReadOnlyList<string> codes, SoakOptions options, IDevnetProgress progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(issuer);
        ArgumentNullException.ThrowIfNull(codes);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(progress);
        if (codes.Count < options.Users)
        {
            throw new ArgumentException($"the soak needs a card per user: {options.Users} users, {codes.Count} cards", nameof(codes));
        }

        var directory = Path.Combine(network.Options.DataDirectory, "audit", "soak");
        Directory.CreateDirectory(directory);
        var users = new List<SoakUser>();
        try
        {
            progress.Doing($"soak: {options.Users} users redeem a card each and make a queue");
            for (var i = 0; i < options.Users; i++)
            {
                var wallet = await UserWallet.CreateAsync(Path.Combine(directory, $"user-{i.ToString(CultureInfo.InvariantCulture)}.sxlw"), Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)), KdfParameters.WeakForTests, new WalletOptions
                {
                    Spending = Policy,
                    Issuer = issuer,
                });
                users.Add(new SoakUser(wallet, PinnedAddress.Parse(network.Relays[i % network.Relays.Count].Address), codes[i]));
            }

            await Parallel.ForEachAsync(users, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct }, async (user, token) =>
                await user.Wallet.RedeemCardAsync(user.Code, issuer, token));

            // The clearing house accepts no token beyond what the issuer anchored as issued (it does so every few
            // seconds on the devnet; a fresh key starts at zero): spend once the chain covers these tokens.
            await WaitForAnchoredIssuedAsync(network, ct);
            await Parallel.ForEachAsync(users, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct }, async (user, token) =>
            {
                await user.Wallet.CreateQueueAsync(user.Relay, SoakUser.Queue, cancellationToken: token);
                // The new queue's first top-up, so the measured phase starts with credit everywhere.
                await user.Wallet.TopUps.RunUntilIdleAsync(token);
            });

            var interval = options.SampleInterval ?? TimeSpan.FromSeconds(Math.Clamp(options.Duration.TotalSeconds / 60, 0.25, 5));
            var sampler = new MemorySampler([.. network.Services.Select(s => (s.Name, (Func<int?>)(() => s.Process is { HasExited: false } p ? p.ProcessId : null)))], interval, TimeProvider.System);
            var latencies = new ConcurrentDictionary<string, ConcurrentBag<double>>(StringComparer.Ordinal);
            var failures = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
            var sizes = new SeededRandomSource(options.Seed);
            progress.Doing($"soak: {options.Users} users send, receive and top up for {options.Duration.TotalSeconds:F0} s");

            var started = Stopwatch.GetTimestamp();
            using var stopSampling = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var sampling = sampler.RunAsync(started, stopSampling.Token);
            var deadline = started + (long)(options.Duration.TotalSeconds * Stopwatch.Frequency);
            await Task.WhenAll(users.Select(u => Task.Run(() => u.RunAsync(deadline, sizes, latencies, failures, ct), ct)));
            var duration = Stopwatch.GetElapsedTime(started).TotalSeconds;
            await stopSampling.CancelAsync();
            await sampling;

            // Every message the relays acknowledged is still there to be received.
            foreach (var user in users)
            {
                await user.DrainAsync(ct);
            }

            var all = latencies.Values.SelectMany(b => b).ToArray();
            var samples = sampler.Samples;
            var warmUp = duration * options.WarmUpShare;
            return new SoakResult(
                duration,
                options.Users,
                network.Relays.Count,
                all.Length,
                failures.Values.Sum(),
                LatencySummary.Of(all),
                latencies.ToDictionary(l => l.Key, l => LatencySummary.Of(l.Value), StringComparer.Ordinal),
                users.Sum(u => u.Sent),
                users.Sum(u => u.Received),
                warmUp,
                ServiceMemory.Assess(samples, warmUp, options.GrowthFactor, options.SlackBytes),
                samples,
                [.. failures.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => $"{f.Key} ×{f.Value}")]);
        }
        finally
        {
            foreach (var user in users)
            {
                await user.Wallet.DisposeAsync();
            }
        }
    }

    /// <summary>Until the ledger's anchored issued totals add up to what the issuer's database says it issued (read now).</summary>
    private static async Task WaitForAnchoredIssuedAsync(DevnetNetwork network, CancellationToken ct)
    {
        var issued = ServiceStorage.IssuerIssuedTotal(network.Issuer.DataDirectory);

        var ledger = await network.LedgerAsAsync(DevAccounts.Deployer, ct);
        using (ledger.Connection)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(120));
            try
            {
                while ((await ledger.GetKeysAsync(timeout.Token)).Aggregate(0UL, (total, k) => total + k.Issued) < (ulong)issued)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(250), timeout.Token);
                }
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new ScenarioCheckException($"the issuer did not anchor the {issued} tokens it issued within 120 s");
            }
        }
    }

    /// <summary>One simulated user: its wallet, its relay, and what it sent and received.</summary>
    private sealed class SoakUser(UserWallet wallet, PinnedAddress relay, string code)
    {
        public const string Queue = "soak";

        /// <summary>A user that fails this many times in a row stops (and the failures are reported): it would only spin.</summary>
        private const int MaxFailuresInARow = 20;

        public UserWallet Wallet { get; } = wallet;

        public PinnedAddress Relay { get; } = relay;

        public string Code { get; } = code;

        public long Sent { get; private set; }

        public long Received { get; private set; }

        public async Task RunAsync(long deadline, IRandomSource sizes, ConcurrentDictionary<string, ConcurrentBag<double>> latencies, ConcurrentDictionary<string, int> failures, CancellationToken ct)
        {
            var inARow = 0;
            while (Stopwatch.GetTimestamp() < deadline && inARow < MaxFailuresInARow)
            {
                var ok = await TimedAsync("send", latencies, failures, async () =>
                {
                    var body = RandomNumberGenerator.GetBytes(64 + (int)(sizes.NextUInt64() % 1985));
                    var result = await Wallet.SendAsync(Queue, body, ct);
                    if (result.Status == SendStatus.Sent)
                    {
                        Sent++;
                        return "send";
                    }

                    return "send (payment required)";
                });
                ok &= await TimedAsync("receive", latencies, failures, async () =>
                {
                    Received += (await Wallet.ReceiveAsync(Queue, 10, ct)).Count(m => !m.QuotaNotice);
                    return "receive";
                });
                if (Wallet.TopUps.NextDue is { } due && due <= Wallet.Time.GetUtcNow())
                {
                    ok &= await TimedAsync("top-up", latencies, failures, async () =>
                    {
                        var outcomes = await Wallet.TopUps.RunDueAsync(ct);
                        return outcomes.Any(o => o.TokensPaid > 0) ? "top-up" : "top-up (nothing paid)";
                    });
                }

                inARow = ok ? 0 : inARow + 1;
            }
        }

        /// <summary>Receives until the queue is empty.</summary>
        public async Task DrainAsync(CancellationToken ct)
        {
            while (true)
            {
                var messages = await Wallet.ReceiveAsync(Queue, 100, ct);
                Received += messages.Count(m => !m.QuotaNotice);
                if (messages.Count == 0)
                {
                    return;
                }
            }
        }

        private static async Task<bool> TimedAsync(string what, ConcurrentDictionary<string, ConcurrentBag<double>> latencies, ConcurrentDictionary<string, int> failures, Func<Task<string>> operation)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                var kind = await operation();
                latencies.GetOrAdd(kind, _ => []).Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                return true;
            }
            catch (WalletException e)
            {
                failures.AddOrUpdate($"{what}: {e.Error}", 1, (_, n) => n + 1);
                return false;
            }
        }
    }
}
