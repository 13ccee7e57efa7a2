using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using SimpleXLedger.Epochs;
using SimpleXLedger.Net;
using SimpleXLedger.Tokens;
using SimpleXLedger.Watch;

namespace SimpleXLedger.Benchmarks;

/// <summary>
/// <c>sxl bench watch</c>: what <c>sxl watch</c> spends on one epoch — every check of <see cref="EpochChecker"/>, all
/// signatures verified on all cores — against <c>openssl speed -multi &lt;cores&gt; rsa2048</c> verifies in the same run.
/// The tokens are real (signed by a fresh key, which takes a while and is not measured).
/// </summary>
public static class WatchBench
{
    private const string IssuerName = "bench.issuer.local";

    public static Command Build()
    {
        var tokens = new Option<int>("--tokens") { Description = "Tokens in the epoch (each one signed first, unmeasured).", DefaultValueFactory = _ => 20_000 };
        var payees = new Option<int>("--payees") { Description = "Payees in the epoch.", DefaultValueFactory = _ => 100 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var command = new Command("watch", "sxl watch's check of one epoch (every signature, duplicate, count and payout) in tokens per second, against the same run's OpenSSL RSA-2048 verify rate on all cores.")
        {
            tokens, payees, json,
        };
        command.SetAction(async (parse, ct) =>
        {
            var n = parse.GetValue(tokens);
            var p = parse.GetValue(payees);
            if (n <= 0 || p <= 0 || p > n)
            {
                await Console.Error.WriteLineAsync("error: --tokens and --payees must be positive, payees at most tokens");
                return ExitCodes.Usage;
            }

            try
            {
                var result = await RunAsync(n, p, ct);
                await Console.Out.WriteLineAsync(parse.GetValue(json)
                    ? JsonSerializer.Serialize(result, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase })
                    : string.Create(CultureInfo.InvariantCulture, $"watch: {result.TokensPerSecond:F0} tokens/s checked ({result.Tokens} tokens, {result.CheckSeconds:F2} s); openssl rsa2048 verify: {result.OpensslVerifyPerSecond:F0}/s on {result.Cores} cores; ratio {result.Ratio:P1}"));
                return ExitCodes.Ok;
            }
            catch (BenchException e)
            {
                await Console.Error.WriteLineAsync($"error: {e.Message}");
                return ExitCodes.Failed;
            }
        });
        return command;
    }

    internal sealed record Result(int Tokens, int Payees, double CheckSeconds, double TokensPerSecond, double OpensslVerifyPerSecond, double Ratio, int Cores);

    private static async Task<Result> RunAsync(int n, int p, CancellationToken ct)
    {
        using var key = TokenPrivateKey.Generate();
        var challenge = TokenChallenge.ForNetwork(IssuerName);
        var keyId = key.PublicKey.KeyId.ToArray();
        var payeeAddresses = Enumerable.Range(0, p).Select(_ => RandomNumberGenerator.GetBytes(20)).ToArray();
        var builder = new EpochBuilder(new EpochParameters(31337, new byte[20], 1, 1, RandomNumberGenerator.GetBytes(20), 50_000, 750_000, [new RegisteredKey(keyId, 0)]));
        var signed = new (byte[] Nonce, byte[] Authenticator)[n];
        Parallel.For(0, n, new ParallelOptions { CancellationToken = ct }, i =>
        {
            using var state = TokenClient.CreateRequest(key.PublicKey, challenge);
            var token = TokenClient.Finalize(state, TokenIssuer.Issue(key, state.Request)).ToArray();
            signed[i] = (token[2..34], token[98..354]);
        });
        for (var i = 0; i < n; i++)
        {
            builder.Add(TokenKind.Paid, payeeAddresses[i % p], keyId, signed[i].Nonce, signed[i].Authenticator);
        }

        var data = builder.Build();
        var keys = new[] { new WatchedKey(0, keyId, key.PublicKey, challenge) };
        var clock = Stopwatch.StartNew();
        var (stats, finding) = EpochChecker.Check(data, keys, data.PayoutLeaves[^1].Payee.ToArray(), 50_000, _ => null);
        var seconds = clock.Elapsed.TotalSeconds;
        if (finding is not null || stats.SignaturesVerified != n)
        {
            throw new BenchException($"the honest bench epoch did not check clean: {finding?.Kind ?? "signatures missing"}");
        }

        var cores = Environment.ProcessorCount;
        var baseline = await OpensslSpeed.Rsa2048Async(Math.Max(2, (int)Math.Ceiling(seconds)), cores, ct);
        var rate = n / seconds;
        return new Result(n, p, seconds, rate, baseline.VerifyPerSecond, rate / baseline.VerifyPerSecond, cores);
    }
}
