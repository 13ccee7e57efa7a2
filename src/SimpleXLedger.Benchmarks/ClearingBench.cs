using System.Buffers.Binary;
using System.CommandLine;
using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mediator;
using Microsoft.Extensions.DependencyInjection;
using Nethereum.Hex.HexConvertors.Extensions;
using Nethereum.Signer;
using SimpleXLedger.Chain.Devnet;
using SimpleXLedger.Clearing;
using SimpleXLedger.Clearing.Client;
using SimpleXLedger.Clearing.Hosting;
using SimpleXLedger.Clearing.Receipts;
using SimpleXLedger.Clearing.Redemption;
using SimpleXLedger.Clearing.Registry;
using SimpleXLedger.Clearing.Storage;
using SimpleXLedger.Net;
using SimpleXLedger.Protos.Clearing;
using SimpleXLedger.Tokens;

namespace SimpleXLedger.Benchmarks;

/// <summary>
/// <c>sxl bench clearing</c>: redemptions per second through the clearing house (gRPC/TLS on loopback,
/// verification, spent-set check-and-insert into a fresh SQLite database, receipts), against the same run's
/// baseline: platform RSA-2048 PSS verifications per second on every core.
/// </summary>
public static class ClearingBench
{
    private const string IssuerName = "bench.sxl.invalid";
    private const int WarmupBatches = 8;
    private static readonly byte[] Magic = "SXLCTK1\n"u8.ToArray();

    public static Command Build()
    {
        var tokens = new Option<int>("--tokens") { Description = "Tokens to redeem (taken from the cached pre-minted set, minted once and reused).", DefaultValueFactory = _ => 50_000 };
        var batch = new Option<int>("--batch") { Description = "Tokens per batch (a relay's redeemer sends at most 512).", DefaultValueFactory = _ => 512 };
        var inFlight = new Option<int>("--in-flight") { Description = "Batches in flight at once (a relay's redeemer keeps at most 4).", DefaultValueFactory = _ => 4 };
        var cache = new Option<FileInfo?>("--cache") { Description = "The pre-minted token cache (default: sxl-bench/clearing-tokens.bin in the temp directory)." };
        var transport = new Option<string>("--transport") { Description = "grpc (a relay's path: gRPC/TLS on loopback) or direct (the clearing house's own work, no transport).", DefaultValueFactory = _ => "grpc" };
        transport.AcceptOnlyFromAmong("grpc", "direct");
        var rounds = new Option<int>("--rounds") { Description = "Rounds, each a fresh database between two baseline measurements; the median round is reported.", DefaultValueFactory = _ => 3 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var command = new Command("clearing", "Clearing-house redemptions per second (gRPC/TLS, verification, spent-set, receipts, fresh SQLite) vs the same run's RSA-2048 verify rate on all cores (goal: at least half).")
        {
            tokens, batch, inFlight, cache, transport, rounds, json,
        };
        command.SetAction(async (parse, ct) =>
        {
            var count = parse.GetValue(tokens);
            var perBatch = parse.GetValue(batch);
            var parallel = parse.GetValue(inFlight);
            var roundCount = parse.GetValue(rounds);
            if (count < 1 || perBatch is < 1 or > 4096 || parallel < 1 || roundCount is < 1 or > 20)
            {
                await Console.Error.WriteLineAsync("error: --tokens, --batch (1..4096), --in-flight and --rounds (1..20) must be positive");
                return ExitCodes.Usage;
            }

            var cachePath = parse.GetValue(cache)?.FullName ?? Path.Combine(Path.GetTempPath(), "sxl-bench", "clearing-tokens.bin");
            var warmupCount = WarmupBatches * perBatch;
            var (publicKey, minted) = LoadOrMint(cachePath, count + warmupCount);
            var set = minted.Take(count).ToArray();
            var warmup = minted.Skip(count).Take(warmupCount).ToArray();

            // Each round: the baseline, the redemptions into a fresh database, the baseline again. The baseline of a
            // round is the mean of its two measurements, so a change in the machine's load during the round weighs
            // on both sides of its ratio alike; the round with the median ratio is reported.
            var direct = parse.GetValue(transport) == "direct";

            // Untimed rounds first, their results dropped, until one spends under 5% of its time compiling (at most
            // four; a fresh server always brings a little new code of its own). The runtime compiles a method to its
            // optimized tier only after tens of calls (with profile-guided optimization, an instrumented tier in
            // between), and only once compiling new code has paused: code run once per batch would otherwise be
            // measured half-compiled. A clearing house that has been up for a while runs the optimized code; that is
            // what the rounds measure.
            var warmupSet = set.Take(Math.Max(25_000, 64 * perBatch)).ToArray();
            var warmupRounds = 0;
            double warmupSeconds, warmupJit;
            do
            {
                (warmupSeconds, _, _, warmupJit) = await RedeemAllAsync(publicKey, warmup, warmupSet, perBatch, parallel, direct, ct);
                warmupRounds++;
            }
            while (warmupJit > 0.05 * warmupSeconds * 1000 && warmupRounds < 4);
            var results = new List<(double Rate, double Before, double After, double Seconds, long Accepted, double JitMillis)>();
            double cpuPerToken = 0, cpuPerVerify = 0;
            for (var round = 0; round < roundCount; round++)
            {
                // The baseline gets the same quiet machine as the timed redemptions: no compiling in the background.
                await JitQuietAsync(ct);
                var (roundBefore, verifyCpu) = MeasureRsaVerifyPerSecond(publicKey, set[0], TimeSpan.FromSeconds(2));
                var (roundSeconds, roundAccepted, roundCpu, roundJit) = await RedeemAllAsync(publicKey, warmup, set, perBatch, parallel, direct, ct);
                cpuPerToken += roundCpu / roundAccepted / roundCount;
                cpuPerVerify += verifyCpu / roundCount;
                await JitQuietAsync(ct);
                var (roundAfter, _) = MeasureRsaVerifyPerSecond(publicKey, set[0], TimeSpan.FromSeconds(2));
                results.Add((roundAccepted / roundSeconds, roundBefore, roundAfter, roundSeconds, roundAccepted, roundJit));
            }

            var ordered = results.OrderBy(r => r.Rate / ((r.Before + r.After) / 2)).ToList();
            var (rate, before, after, seconds, accepted, _) = ordered[ordered.Count / 2];
            var baseline = (before + after) / 2;
            var output = new JsonObject
            {
                ["tokensPerSecond"] = Math.Round(rate),
                ["baselineRsaVerifyPerSecond"] = Math.Round(baseline),
                ["baselineBeforeAfter"] = new JsonArray(Math.Round(before), Math.Round(after)),
                ["fractionOfBaseline"] = Math.Round(rate / baseline, 3),
                ["goalFraction"] = 0.5,

                // Less load-dependent view: process CPU time per redeemed token while the redemptions were timed (server
                // and in-process client) and per RSA verify of the baseline.
                ["cpuMicrosPerToken"] = Math.Round(cpuPerToken, 1),
                ["cpuMicrosPerRsaVerify"] = Math.Round(cpuPerVerify, 1),
                ["tokens"] = accepted,
                ["seconds"] = Math.Round(seconds, 3),
                ["batch"] = perBatch,
                ["inFlight"] = parallel,
                ["warmupRounds"] = warmupRounds,
                ["database"] = "sqlite",
                ["transport"] = direct ? "direct (Mediator in-process, no gRPC)" : "grpc+tls loopback, server in-process",
                ["cores"] = Environment.ProcessorCount,
                ["rounds"] = new JsonArray(results.Select(r => (JsonNode)new JsonObject
                {
                    ["tokensPerSecond"] = Math.Round(r.Rate),
                    ["baselineRsaVerifyPerSecond"] = Math.Round((r.Before + r.After) / 2),
                    ["fractionOfBaseline"] = Math.Round(r.Rate / ((r.Before + r.After) / 2), 3),
                    ["jitMillisWhileTimed"] = Math.Round(r.JitMillis),
                }).ToArray()),
            };
            await Console.Out.WriteLineAsync(parse.GetValue(json) ? output.ToJsonString() : output.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>
    /// Starts a fresh clearing house (new SQLite database), warms it up with <paramref name="warmup"/> (not timed: a
    /// clearing house runs for days, so JIT compilation and first-use setup are not its cost), then redeems
    /// <paramref name="tokens"/>; returns the seconds those redemptions took, how many were accepted and the
    /// process CPU time (microseconds) they used.
    /// </summary>
    private static async Task<(double Seconds, long Accepted, double CpuMicros, double JitMillis)> RedeemAllAsync(TokenPublicKey key, byte[][] warmup, byte[][] tokens, int perBatch, int inFlight, bool direct, CancellationToken ct)
    {
        var directory = Directory.CreateTempSubdirectory("sxl-bench-clearing-").FullName;
        try
        {
            var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            var registry = new StaticKeyRegistry([new RegisteredKey(key, now - 60, now + 86_400, now + 86_400, 0, (ulong)(warmup.Length + tokens.Length))]);
            var identity = new ClearingIdentity(DevAccounts.ClearingHouse.Key, 31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3");
            await using var server = await ClearingServer.StartAsync(
                new ClearingSettings { DataDirectory = directory, Devnet = true, EpochSeconds = 86_400, IssuerName = IssuerName, MaxBatch = Math.Max(perBatch, 1) },
                new ClearingEndpoint { Grpc = new IPEndPoint(IPAddress.Loopback, 0) },
                ClearingDatabase.Sqlite(Path.Combine(directory, ClearingDatabase.SqliteFileName)),
                registry,
                identity,
                cancellationToken: ct);
            using var operatorKey = OperatorKey.Generate();
            using var client = await ClearingClient.ConnectAsync(server.Address, ct);
            var payee = DevAccounts.OperatorA;
            await client.RegisterOperatorAsync(operatorKey, payee.Address, new EthereumMessageSigner().EncodeUTF8AndSign(client.RegistrationMessage(operatorKey, payee.Address), payee.Key).HexToByteArray(), ct);
            var redeemerId = RandomNumberGenerator.GetBytes(ClearingProtocol.RedeemerIdLength);

            // Batches are signed ahead (a relay signs while it gathers); what is timed is the clearing house's work.
            SimpleXLedger.Protos.Clearing.RedeemRequest[] Sign(byte[][] set) => set.Chunk(perBatch)
                .Select(c => client.SignBatch(operatorKey, ClearingClient.NewBatchId(), redeemerId, c.Select(t => (ReadOnlyMemory<byte>)t).ToArray()))
                .ToArray();

            async Task<long> RedeemAsync(SimpleXLedger.Protos.Clearing.RedeemRequest[] batches)
            {
                var next = -1;
                long accepted = 0;
                await Task.WhenAll(Enumerable.Range(0, inFlight).Select(_ => Task.Run(async () =>
                {
                    int i;
                    while ((i = Interlocked.Increment(ref next)) < batches.Length)
                    {
                        int count;
                        if (direct)
                        {
                            var b = batches[i];
                            await using var scope = server.Services.CreateAsyncScope();
                            var outcome = await scope.ServiceProvider.GetRequiredService<IMediator>().Send(
                                new RedeemBatch(b.BatchId.ToByteArray(), b.OperatorKey.ToByteArray(), b.RedeemerId.ToByteArray(), b.Tokens.Select(t => t.Memory).ToArray(), b.Signature.ToByteArray()),
                                ct);
                            count = outcome.Outcomes.Count(o => o == TokenOutcomeCode.Accepted);
                        }
                        else
                        {
                            var result = await client.RedeemAsync(batches[i], TimeSpan.FromMinutes(2), ct);
                            count = result.Outcomes.Count(o => o == TokenOutcome.Accepted);
                        }

                        if (count != batches[i].Tokens.Count)
                        {
                            throw new InvalidOperationException("a bench token was refused: the token cache is not what this run expects");
                        }

                        Interlocked.Add(ref accepted, count);
                    }
                }, ct)));
                return accepted;
            }

            await RedeemAsync(Sign(warmup));
            var measured = Sign(tokens);
            await JitQuietAsync(ct);
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var jit = System.Runtime.JitInfo.GetCompilationTime();
            var clock = Stopwatch.StartNew();
            var accepted = await RedeemAsync(measured);
            var seconds = clock.Elapsed.TotalSeconds;
            return (seconds, accepted, (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMicroseconds, (System.Runtime.JitInfo.GetCompilationTime() - jit).TotalMilliseconds);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>
    /// Waits until the runtime has compiled no method for a second (at most a minute). Methods called often enough
    /// are recompiled optimized on a background thread, and a fresh server (new database, new EF Core model, new
    /// certificate) queues more of them: that backlog is start-up work, not redemption work, and would otherwise take
    /// CPU from the timed redemptions. The JIT time that still falls in the timed part is reported.
    /// </summary>
    private static async Task JitQuietAsync(CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        var count = System.Runtime.JitInfo.GetCompiledMethodCount();
        var quietSince = Stopwatch.StartNew();
        while (quietSince.Elapsed < TimeSpan.FromSeconds(1) && deadline.Elapsed < TimeSpan.FromMinutes(1))
        {
            await Task.Delay(100, ct);
            var now = System.Runtime.JitInfo.GetCompiledMethodCount();
            if (now != count)
            {
                count = now;
                quietSince.Restart();
            }
        }
    }

    /// <summary>
    /// The baseline: RSA-2048 PSS (SHA-384) verifications per second with the platform's RSA (OpenSSL), one thread per
    /// core; also the process CPU time per verification (microseconds).
    /// </summary>
    private static (double PerSecond, double CpuMicros) MeasureRsaVerifyPerSecond(TokenPublicKey key, byte[] tokenBytes, TimeSpan duration)
    {
        var token = Token.Parse(tokenBytes);
        var input = token.AuthenticatorInput.ToArray();
        var signature = token.Authenticator.ToArray();
        var threads = Environment.ProcessorCount;
        var counts = new long[threads];
        using var start = new Barrier(threads + 1);
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            using var rsa = RSA.Create();
            rsa.ImportParameters(key.RsaKey.Parameters());
            if (!rsa.VerifyData(input, signature, HashAlgorithmName.SHA384, RSASignaturePadding.Pss))
            {
                throw new InvalidOperationException("the baseline signature does not verify");
            }

            start.SignalAndWait();
            var clock = Stopwatch.StartNew();
            long n = 0;
            while (clock.Elapsed < duration)
            {
                for (var i = 0; i < 64; i++)
                {
                    rsa.VerifyData(input, signature, HashAlgorithmName.SHA384, RSASignaturePadding.Pss);
                }

                n += 64;
            }

            counts[t] = n;
        })
        {
            // Named, so a profile of the run tells the baseline's threads from the clearing house's.
            Name = "rsa-baseline",
        }).ToList();
        workers.ForEach(w => w.Start());
        start.SignalAndWait();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        workers.ForEach(w => w.Join());
        var elapsed = wall.Elapsed.TotalSeconds;
        var used = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMicroseconds;
        var total = counts.Sum();
        return (total / Math.Max(duration.TotalSeconds, elapsed), used / total);
    }

    /// <summary>
    /// The cached token set: a bench issuer key (PKCS#8, owner-only file) and tokens minted under it for the
    /// bench network challenge, 354 bytes each. Mints (on every core) only what the cache lacks.
    /// </summary>
    private static (TokenPublicKey Key, byte[][] Tokens) LoadOrMint(string path, int needed)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        TokenPrivateKey issuer;
        var tokens = new List<byte[]>();
        if (File.Exists(path))
        {
            var bytes = File.ReadAllBytes(path);
            if (bytes.Length < Magic.Length + 4 || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            {
                throw new InvalidDataException($"{path} is not a clearing bench token cache; delete it");
            }

            var keyLength = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(Magic.Length));
            var offset = Magic.Length + 4 + keyLength;
            issuer = TokenPrivateKey.FromPem(System.Text.Encoding.ASCII.GetString(bytes, Magic.Length + 4, keyLength));
            for (; offset + Token.Length <= bytes.Length; offset += Token.Length)
            {
                tokens.Add(bytes.AsSpan(offset, Token.Length).ToArray());
            }
        }
        else
        {
            issuer = TokenPrivateKey.Generate();
            var pem = System.Text.Encoding.ASCII.GetBytes(issuer.ExportPkcs8Pem());
            var header = new byte[Magic.Length + 4 + pem.Length];
            Magic.CopyTo(header, 0);
            BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(Magic.Length), pem.Length);
            pem.CopyTo(header, Magic.Length + 4);
            SimpleXLedger.Net.Tls.SelfSignedCertificate.WriteOwnerOnly(path, header);
        }

        using (issuer)
        {
            if (tokens.Count < needed)
            {
                var missing = needed - tokens.Count;
                Console.Error.WriteLine($"minting {missing} bench tokens into {path} (once; later runs reuse them)");
                var challenge = TokenChallenge.ForNetwork(IssuerName);
                var fresh = new byte[missing][];
                Parallel.For(0, missing, i =>
                {
                    using var state = TokenClient.CreateRequest(issuer.PublicKey, challenge);
                    fresh[i] = TokenClient.Finalize(state, TokenIssuer.Issue(issuer, state.Request)).ToArray();
                });
                using (var append = new FileStream(path, FileMode.Append, FileAccess.Write))
                {
                    foreach (var t in fresh)
                    {
                        append.Write(t);
                    }
                }

                tokens.AddRange(fresh);
            }

            return (issuer.PublicKey, tokens.ToArray());
        }
    }
}
