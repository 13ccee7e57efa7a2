using System.CommandLine;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SimpleXLedger.Hosting.Startup;
using SimpleXLedger.Net;
using SimpleXLedger.Tokens;

namespace SimpleXLedger.Benchmarks;

/// <summary><c>sxl bench relay</c>: relay throughput against the Ed25519 ceiling, with and without token metering.</summary>
public static class RelayBench
{
    public static Command Build()
    {
        var metering = new Option<string>("--metering") { Description = "none, tokens, or both (none then tokens in the same run, with the overhead).", DefaultValueFactory = _ => "both" };
        metering.AcceptOnlyFromAmong("none", "tokens", "both");
        var seconds = new Option<int>("--seconds") { Description = "Measured seconds per metering (after a 2 s warm-up).", DefaultValueFactory = _ => 10 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var metricsCost = new Option<bool>("--metrics-cost") { Description = "Instead: the cost of Prometheus metrics. Runs the relay (--metering none or tokens) without and with --metrics, interleaved three times each (--seconds each, /metrics scraped every second when on), and reports the throughput ratio." };
        var command = new Command("relay", "Relay throughput: 1,000 queues, send → deliver → ack over gRPC/TLS on loopback, relay in this process; baseline: Ed25519 verifications/s on all cores (ceiling = that / 2).")
        {
            metering, seconds, json, metricsCost,
        };
        command.SetAction(async (parse, ct) =>
        {
            var n = parse.GetValue(seconds);
            if (n <= 0)
            {
                await Console.Error.WriteLineAsync("error: --seconds must be positive");
                return ExitCodes.Usage;
            }

            var which = parse.GetValue(metering)!;
            using var loggers = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Warning).AddSimpleConsole().Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
            var plugins = Path.Combine(AppContext.BaseDirectory, "plugins");
            if (parse.GetValue(metricsCost))
            {
                return await MetricsCostAsync(which == "tokens" ? "tokens" : "none", plugins, TimeSpan.FromSeconds(n), loggers, parse.GetValue(json));
            }

            // The baseline is measured before and after the load and averaged, so that a change in the
            // machine's load during the run weighs on both sides of the ratio alike.
            var verifyBefore = RelayBenchmark.MeasureEd25519VerifyPerSecond(TimeSpan.FromSeconds(2));
            // "both" interleaves none, tokens, none, tokens (half the seconds each) so that warm-up and
            // machine noise fall on both alike; each metering's figures combine its two runs.
            var order = which == "both" ? new[] { "none", "tokens", "none", "tokens" } : [which];
            var measure = TimeSpan.FromSeconds(which == "both" ? n / 2.0 : n);
            var runs = new List<RelayBenchmarkResult>();
            foreach (var m in order)
            {
                runs.Add(await RunOneAsync(m, plugins, measure, loggers));
                // The previous run's relay and clients must not be collected on the next run's time.
                GC.Collect();
                GC.WaitForPendingFinalizers();
                GC.Collect();
            }

            var verifyAfter = RelayBenchmark.MeasureEd25519VerifyPerSecond(TimeSpan.FromSeconds(2));
            var verifyPerSecond = (verifyBefore + verifyAfter) / 2;
            var ceiling = verifyPerSecond / 2;
            var results = runs.GroupBy(r => r.Metering).Select(g => new RelayBenchmarkResult(
                g.Key,
                g.Sum(r => r.Messages) / g.Sum(r => r.Seconds),
                g.Max(r => r.P50Ms),
                g.Max(r => r.P99Ms),
                g.Sum(r => r.Messages),
                RelayBenchmark.Queues,
                RelayBenchmark.BodyBytes,
                g.Sum(r => r.Seconds))).ToList();

            var output = new JsonObject
            {
                ["messagesPerSecond"] = Round(results[^1].MessagesPerSecond),
                ["p99Ms"] = Round(results[^1].P99Ms),
                ["ed25519VerifyPerSecond"] = Round(verifyPerSecond),
                ["ed25519VerifyPerSecondBeforeAfter"] = new JsonArray(Round(verifyBefore), Round(verifyAfter)),
                ["ceilingMessagesPerSecond"] = Round(ceiling),
                ["fractionOfCeiling"] = Math.Round(results[^1].MessagesPerSecond / ceiling, 3),
                ["metering"] = results[^1].Metering,
                ["queues"] = RelayBenchmark.Queues,
                ["bodyBytes"] = RelayBenchmark.BodyBytes,
                ["seconds"] = n,
                ["relay"] = "in-process",
                ["cores"] = Environment.ProcessorCount,
                ["runs"] = new JsonArray(results.Select(r => (JsonNode)new JsonObject
                {
                    ["metering"] = r.Metering,
                    ["messagesPerSecond"] = Round(r.MessagesPerSecond),
                    ["p50Ms"] = Round(r.P50Ms),
                    ["p99Ms"] = Round(r.P99Ms),
                    ["messages"] = r.Messages,
                }).ToArray()),
            };
            if (results.Count == 2)
            {
                output["tokenMeteringCost"] = Math.Round(1 - (results[1].MessagesPerSecond / results[0].MessagesPerSecond), 3);
            }

            var text = parse.GetValue(json)
                ? output.ToJsonString()
                : output.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
            await Console.Out.WriteLineAsync(text);
            return ExitCodes.Ok;
        });
        return command;

        static double Round(double v) => Math.Round(v, v >= 100 ? 0 : 2);
    }

    /// <summary>
    /// Metrics off, on, off, on, off, on: each pair shares the machine's state of the moment, so its ratio is the cost;
    /// the reported cost is one minus the ratio of the summed throughputs (with the pairs' own ratios beside it).
    /// </summary>
    private static async Task<int> MetricsCostAsync(string metering, string plugins, TimeSpan measure, ILoggerFactory loggers, bool json)
    {
        var off = new List<RelayBenchmarkResult>();
        var on = new List<RelayBenchmarkResult>();
        for (var i = 0; i < 3; i++)
        {
            foreach (var metrics in new[] { false, true })
            {
                var observability = metrics ? new ServiceObservability { Metrics = new IPEndPoint(IPAddress.Loopback, 0) } : null;
                (metrics ? on : off).Add(await RunOneAsync(metering, plugins, measure, loggers, observability));
                GC.Collect();
                GC.WaitForPendingFinalizers();
                GC.Collect();
            }
        }

        var offRate = off.Sum(r => r.Messages) / off.Sum(r => r.Seconds);
        var onRate = on.Sum(r => r.Messages) / on.Sum(r => r.Seconds);
        var output = new JsonObject
        {
            ["metering"] = metering,
            ["secondsPerRun"] = measure.TotalSeconds,
            ["metricsOffMessagesPerSecond"] = new JsonArray(off.Select(r => (JsonNode)Math.Round(r.MessagesPerSecond)).ToArray()),
            ["metricsOnMessagesPerSecond"] = new JsonArray(on.Select(r => (JsonNode)Math.Round(r.MessagesPerSecond)).ToArray()),
            ["pairCosts"] = new JsonArray(off.Zip(on, (a, b) => (JsonNode)Math.Round(1 - (b.MessagesPerSecond / a.MessagesPerSecond), 3)).ToArray()),
            ["metricsCost"] = Math.Round(1 - (onRate / offRate), 3),
            ["p99MsOffOn"] = new JsonArray(Math.Round(off.Max(r => r.P99Ms), 2), Math.Round(on.Max(r => r.P99Ms), 2)),
            ["cores"] = Environment.ProcessorCount,
        };
        await Console.Out.WriteLineAsync(json ? output.ToJsonString() : output.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return ExitCodes.Ok;
    }

    private static async Task<RelayBenchmarkResult> RunOneAsync(string metering, string plugins, TimeSpan measure, ILoggerFactory loggers, ServiceObservability? observability = null)
    {
        if (metering != "tokens")
        {
            return await RelayBenchmark.RunAsync(metering, plugins, new Dictionary<string, string>(), null, TimeSpan.FromSeconds(2), measure, loggers, observability);
        }

        // A bench issuer: one key, one token per queue (minting is setup, not measured).
        using var issuer = TokenPrivateKey.Generate();
        var challenge = TokenChallenge.ForNetwork("bench.sxl.invalid");
        var settings = new Dictionary<string, string>
        {
            ["issuerName"] = "bench.sxl.invalid",
            ["tokenKeys"] = issuer.PublicKey.ToBase64Url(),
            ["creditsPerQueue"] = "0",
            ["messagesPerCredit"] = "1000000",
            ["creditsPerMbDay"] = "1",
        };
        byte[] Mint()
        {
            using var state = TokenClient.CreateRequest(issuer.PublicKey, challenge);
            return TokenClient.Finalize(state, TokenIssuer.Issue(issuer, state.Request)).ToArray();
        }

        return await RelayBenchmark.RunAsync(metering, plugins, settings, Mint, TimeSpan.FromSeconds(2), measure, loggers, observability);
    }
}
