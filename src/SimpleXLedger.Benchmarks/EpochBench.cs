using System.Buffers.Binary;
using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using SimpleXLedger.Epochs;
using SimpleXLedger.Net;

namespace SimpleXLedger.Benchmarks;

/// <summary>
/// <c>sxl bench epoch</c>: the v2 close (docs/ledger-v2.md §6 step 2) over synthetic tokens — sort, ordinals, key counts,
/// payout leaves, token tree, payout sum tree, header and commitment, and the <c>sxl-epoch</c> export written to a file
/// and flushed to disk while the trees are hashed (<see cref="EpochBuilder.BuildAndExport"/>): <c>closeSeconds</c>, with
/// its <c>phases</c> (<c>exportWait</c>: waiting for the disk after the header). Loading the redemptions into the builder
/// is timed apart (<c>loadSeconds</c>: where they come from is the clearing house's business). Baseline from the same
/// run: keccak256 over the same N encoded leaves, once on one core and once on every core — the hashing no close can
/// skip (the tree's internal nodes add about a third of that again). A 20,000-token close runs first, untimed, to warm
/// the JIT.
/// </summary>
public static class EpochBench
{
    public static Command Build()
    {
        var tokens = new Option<int>("--tokens") { Description = "Tokens in the epoch.", DefaultValueFactory = _ => 1_000_000 };
        var payees = new Option<int>("--payees") { Description = "Payees (operators) in the epoch.", DefaultValueFactory = _ => 10_000 };
        var nonPaying = new Option<double>("--non-paying") { Description = "Fraction of rolled-over (non-paying) entries.", DefaultValueFactory = _ => 0.01 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var command = new Command("epoch", "Ledger v2 epoch close (sort, counts, payout leaves, both trees, commitment, sxl-epoch export) over synthetic tokens, with a keccak256 baseline over the same bytes; goal under 10 s for 10,000,000 tokens / 1,000,000 payees and 1,000,000 / 10,000.")
        {
            tokens, payees, nonPaying, json,
        };
        command.SetAction(async (parse, ct) =>
        {
            var tokenCount = parse.GetValue(tokens);
            var payeeCount = parse.GetValue(payees);
            var nonPayingShare = parse.GetValue(nonPaying);
            if (tokenCount < 0 || payeeCount < 1 || nonPayingShare is < 0 or > 1)
            {
                await Console.Error.WriteLineAsync("error: --tokens must be non-negative, --payees positive, --non-paying in [0, 1]");
                return ExitCodes.Usage;
            }

            // A small close first, so the measured one runs optimised code: tier-1 JIT of the keccak permutation, the sort
            // and the trees is a constant cost, paid once per process, not per token.
            Run(20_000, 100, nonPayingShare);
            var result = Run(tokenCount, payeeCount, nonPayingShare);
            if (parse.GetValue(json))
            {
                await Console.Out.WriteLineAsync(result.ToJsonString());
            }
            else
            {
                await Console.Out.WriteLineAsync(
                    $"epoch close: {result["closeSeconds"]} s (export written while hashing) for {tokenCount} tokens, {payeeCount} payees on {Environment.ProcessorCount} cores; " +
                    $"baseline keccak256 of the leaves {result["baselineKeccakOneCoreSeconds"]} s on one core, {result["baselineKeccakAllCoresSeconds"]} s on all; goal < 10 s");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static JsonObject Run(int tokenCount, int payeeCount, double nonPayingShare)
    {
        var feeRecipient = Convert.FromHexString("90F79bf6EB2c4f870365E785982E1f101E93b906");
        var keys = new[] { new RegisteredKey(Filled(0x11), 4), new RegisteredKey(Filled(0x22), 5) };
        var parameters = new EpochParameters(31337, Convert.FromHexString("5FbDB2315678afecb367f032d93F642f64180aa3"), 1, 0, feeRecipient, 500, 2000, keys);
        var builder = new EpochBuilder(parameters);

        // Synthetic redemptions: payees round-robin, nonces from SplitMix64, authenticators drawn from a fixed pool.
        var loadWatch = Stopwatch.StartNew();
        var pool = new byte[1024 * 256];
        var state = 0x5EEDUL;
        Fill(pool, ref state);
        Span<byte> payee = stackalloc byte[20];
        Span<byte> nonce = stackalloc byte[32];
        Span<byte> reference = stackalloc byte[32];
        var nonPayingEvery = nonPayingShare <= 0 ? long.MaxValue : (long)Math.Max(1, Math.Round(1 / nonPayingShare));
        long nonPayingAdded = 0;
        long payingAdded = 0;
        for (var i = 0; i < tokenCount; i++)
        {
            Fill(nonce, ref state);
            var rollover = i % nonPayingEvery == nonPayingEvery - 1;
            payee.Clear();
            reference.Clear();
            if (rollover)
            {
                nonPayingAdded++;
                reference[31] = 1;
            }
            else
            {
                BinaryPrimitives.WriteInt32BigEndian(payee[16..], 0x10000 + (int)(payingAdded++ % payeeCount));
            }

            builder.Add(rollover ? TokenKind.Rollover : TokenKind.Paid, payee, keys[i & 1].KeyId, nonce, pool.AsSpan((i & 1023) * 256, 256), rollover ? reference : default);
        }

        var loadSeconds = loadWatch.Elapsed.TotalSeconds;
        var directory = Directory.CreateTempSubdirectory("sxl-bench-epoch-").FullName;
        try
        {
            var path = Path.Combine(directory, "epoch-1.sxle");
            var closeWatch = Stopwatch.StartNew();
            EpochData epoch;
            using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 20))
            {
                epoch = builder.BuildAndExport(file);
                file.Flush(flushToDisk: true);
            }

            var closeSeconds = closeWatch.Elapsed.TotalSeconds;
            var phases = new JsonObject();
            foreach (var (phase, seconds) in builder.Phases)
            {
                phases[phase] = Math.Round(seconds, 3);
            }

            var exportBytes = new FileInfo(path).Length;
            File.Delete(path);

            var paying = tokenCount - nonPayingAdded;
            var h = epoch.Header;
            if (h.TokenCount != tokenCount || h.NonPayingCount != nonPayingAdded || h.Total != (UInt128)paying * 2500 || epoch.PayoutTree.RootSum != h.Total)
            {
                throw new InvalidOperationException("the close did not account for every synthetic token");
            }

            var (oneCore, allCores) = Baseline(epoch.TokenLeaves);
            return new JsonObject
            {
                ["closeSeconds"] = Math.Round(closeSeconds, 3),
                ["phases"] = phases,
                ["loadSeconds"] = Math.Round(loadSeconds, 3),
                ["baselineKeccakOneCoreSeconds"] = Math.Round(oneCore, 3),
                ["baselineKeccakAllCoresSeconds"] = Math.Round(allCores, 3),
                ["tokens"] = tokenCount,
                ["payees"] = payeeCount,
                ["nonPaying"] = nonPayingAdded,
                ["payoutLeaves"] = h.PayoutCount,
                ["exportBytes"] = exportBytes,
                ["bytesPerToken"] = tokenCount == 0 ? 0 : Math.Round((double)exportBytes / tokenCount, 2),
                ["cores"] = Environment.ProcessorCount,
                ["commitment"] = "0x" + Convert.ToHexStringLower(epoch.Commitment),
                ["goalSeconds"] = 10,
            };
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>keccak256 of every encoded leaf, on one core, then on all cores (the same parallel slicing as the close).</summary>
    private static (double OneCore, double AllCores) Baseline(TokenLeafStore leaves)
    {
        var output = new byte[32];
        var watch = Stopwatch.StartNew();
        for (long i = 0; i < leaves.Count; i++)
        {
            Keccak.Hash(leaves[i], output);
        }

        var oneCore = watch.Elapsed.TotalSeconds;
        var slices = Environment.ProcessorCount * 8L;
        watch.Restart();
        Parallel.For(0, slices, s =>
        {
            Span<byte> local = stackalloc byte[32];
            for (var i = leaves.Count * s / slices; i < leaves.Count * (s + 1) / slices; i++)
            {
                Keccak.Hash(leaves[i], local);
            }
        });
        return (oneCore, watch.Elapsed.TotalSeconds);
    }

    private static byte[] Filled(byte value) => Enumerable.Repeat(value, 32).ToArray();

    /// <summary>SplitMix64: fast, deterministic filler for synthetic data (nothing secret).</summary>
    private static void Fill(Span<byte> destination, ref ulong state)
    {
        for (var offset = 0; offset < destination.Length; offset += 8)
        {
            var z = state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            BinaryPrimitives.WriteUInt64LittleEndian(destination[offset..], z ^ (z >> 31));
        }
    }
}
