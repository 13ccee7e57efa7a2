using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using SimpleXLedger.Net;
using SimpleXLedger.Relay.Metering.Tokens;
using SimpleXLedger.Tokens;
using SimpleXLedger.Turn;
using SimpleXLedger.Turn.Client;

namespace SimpleXLedger.Benchmarks;

/// <summary>
/// <c>sxl bench turn [--json]</c>: TURN credentials issued per second by a real <see cref="TurnServer"/> in this process
/// (gRPC over TLS on loopback, the shipped tokens plugin, its SQLite spent-set with a full sync per purchase, an
/// in-memory redeemer standing in for the clearing house), each paid with a fresh real token, against the baseline
/// measured in the same run: offline token verifications per second on all cores (<see cref="TokenVerifier.Verify"/>),
/// before and after the load, averaged.
/// </summary>
public static class TurnBench
{
    public static Command Build()
    {
        var tokens = new Option<int>("--tokens") { Description = "Tokens to spend (each buys one credential).", DefaultValueFactory = _ => 4000 };
        var clients = new Option<int>("--clients") { Description = "Concurrent buyers, each on its own connection.", DefaultValueFactory = _ => 16 };
        var json = new Option<bool>("--json") { Description = "One JSON object on stdout." };
        var command = new Command("turn", "TURN credentials per second with token metering, against token verifications per second (same run).") { tokens, clients, json };
        command.SetAction(async (parse, ct) => await RunAsync(parse.GetValue(tokens), parse.GetValue(clients), parse.GetValue(json), ct));
        return command;
    }

    private static async Task<int> RunAsync(int count, int clients, bool json, CancellationToken ct)
    {
        if (count < clients || clients < 1)
        {
            await Console.Error.WriteLineAsync("error: --tokens must be at least --clients, which must be at least 1");
            return ExitCodes.Usage;
        }

        var dir = Directory.CreateTempSubdirectory("sxl-bench-turn-").FullName;
        try
        {
            using var key = TokenPrivateKey.Generate();
            var challenge = TokenChallenge.ForNetwork("issuer.bench.test");
            await Console.Error.WriteLineAsync($"minting {count} tokens…");
            var minted = new byte[count][];
            Parallel.For(0, count, i =>
            {
                using var state = TokenClient.CreateRequest(key.PublicKey, challenge);
                minted[i] = TokenClient.Finalize(state, TokenIssuer.Issue(key, state.Request)).ToArray();
            });

            var before = VerifyRate(key.PublicKey, challenge, minted, TimeSpan.FromSeconds(3));
            var secretFile = Path.Combine(dir, "turn.secret");
            await File.WriteAllTextAsync(secretFile, Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)) + "\n", ct);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(secretFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            var redeemer = new MemoryRedeemer();
            var options = new TurnOptions
            {
                DataDirectory = Path.Combine(dir, "turn"),
                Listen = new IPEndPoint(IPAddress.Loopback, 0),
                SecretFile = secretFile,
                Realm = "bench.test",
                TurnUrls = ["turn:127.0.0.1:3478"],
                MaxAllocateLifetime = TimeSpan.FromSeconds(600),
                PluginsDirectory = Path.Combine(AppContext.BaseDirectory, "plugins"),
                TokenSettings = new Dictionary<string, string> { ["issuerName"] = "issuer.bench.test", ["tokenKeys"] = key.PublicKey.ToBase64Url() },
            };
            double issuedPerSecond;
            var latencies = new List<double>(count);
            await using (var server = await TurnServer.StartAsync(options, redeemer, loggers: Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, cancellationToken: ct))
            {
                var connections = Enumerable.Range(0, clients).Select(_ => TurnClient.Connect(server.Address)).ToArray();
                try
                {
                    foreach (var c in connections)
                    {
                        await c.InfoAsync(ct);
                    }

                    var next = -1;
                    var gate = new Lock();
                    var clock = Stopwatch.StartNew();
                    await Task.WhenAll(connections.Select(async c =>
                    {
                        int i;
                        while ((i = Interlocked.Increment(ref next)) < count)
                        {
                            var started = Stopwatch.GetTimestamp();
                            await c.BuyAsync(minted[i], ct);
                            var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                            lock (gate)
                            {
                                latencies.Add(ms);
                            }
                        }
                    }));
                    issuedPerSecond = count / clock.Elapsed.TotalSeconds;
                    if (server.Issuer.Issued != count)
                    {
                        throw new InvalidOperationException($"issued {server.Issuer.Issued} credentials for {count} tokens");
                    }
                }
                finally
                {
                    foreach (var c in connections)
                    {
                        c.Dispose();
                    }
                }
            }

            var after = VerifyRate(key.PublicKey, challenge, minted, TimeSpan.FromSeconds(3));
            var baseline = (before + after) / 2;
            latencies.Sort();
            var p50 = latencies[latencies.Count / 2];
            var p99 = latencies[Math.Min(latencies.Count - 1, (int)(latencies.Count * 0.99))];
            if (json)
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    credentials = count,
                    clients,
                    credentialsPerSecond = Math.Round(issuedPerSecond, 1),
                    baselineVerifyPerSecond = Math.Round(baseline, 1),
                    baselineBefore = Math.Round(before, 1),
                    baselineAfter = Math.Round(after, 1),
                    credentialsPerVerify = Math.Round(issuedPerSecond / baseline, 4),
                    p50Ms = Math.Round(p50, 2),
                    p99Ms = Math.Round(p99, 2),
                    cores = Environment.ProcessorCount,
                }));
            }
            else
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"baseline: {baseline:N0} token verifications/s on {Environment.ProcessorCount} cores (before {before:N0}, after {after:N0})"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"turn: {issuedPerSecond:N0} credentials/s ({issuedPerSecond / baseline:P1} of the baseline), {clients} clients, p50 {p50:N1} ms, p99 {p99:N1} ms"));
            }

            return ExitCodes.Ok;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Offline verifications per second on all cores, over the same tokens.</summary>
    private static double VerifyRate(TokenPublicKey key, TokenChallenge challenge, byte[][] tokens, TimeSpan duration)
    {
        var parsed = tokens.Select(t => Token.TryParse(t, out var token, out _) ? token : throw new InvalidOperationException("minted token does not parse")).ToArray();
        long done = 0;
        var clock = Stopwatch.StartNew();
        Parallel.For(0, Environment.ProcessorCount, worker =>
        {
            long mine = 0;
            for (var i = worker; clock.Elapsed < duration; i = (i + Environment.ProcessorCount) % parsed.Length)
            {
                if (!TokenVerifier.Verify(key, parsed[i], challenge))
                {
                    throw new InvalidOperationException("a minted token does not verify");
                }

                mine++;
            }

            Interlocked.Add(ref done, mine);
        });
        return done / clock.Elapsed.TotalSeconds;
    }

    /// <summary>The clearing house's first-redemption-wins rule in memory (the bench measures the service, not the network).</summary>
    private sealed class MemoryRedeemer : ITokenRedeemer
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _spent = new(StringComparer.Ordinal);

        public ValueTask<IReadOnlyList<RedemptionOutcome>> RedeemAsync(IReadOnlyList<ReadOnlyMemory<byte>> tokens, CancellationToken cancellationToken) =>
            ValueTask.FromResult<IReadOnlyList<RedemptionOutcome>>(tokens.Select(t => _spent.TryAdd(Convert.ToHexString(t.Span), 0) ? RedemptionOutcome.Accepted : RedemptionOutcome.AlreadySpent).ToList());
    }
}
