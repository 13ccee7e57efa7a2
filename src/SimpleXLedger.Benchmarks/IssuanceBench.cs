using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net.Security;
using System.Security.Cryptography;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Net.Client;
using SimpleXLedger.Net;
using SimpleXLedger.Net.Tls;
using SimpleXLedger.Protos.Issuer;
using SimpleXLedger.Tokens;
using IssuerClient = SimpleXLedger.Protos.Issuer.Issuer.IssuerClient;

namespace SimpleXLedger.Benchmarks;

/// <summary>
/// <c>sxl bench issuance</c>: tokens per second from one issuer process (<c>sxl issuer serve</c>, a child process,
/// gRPC over TLS on loopback, card debits committed to SQLite with full sync), fed by clients in this process
/// that send pre-blinded batches of 100. Baseline in the same run: <c>openssl speed -multi &lt;cores&gt; rsa2048</c>.
/// </summary>
public static class IssuanceBench
{
    private const string IssuerName = "bench.issuer.local";

    public static Command Build()
    {
        var seconds = new Option<int>("--seconds") { Description = "Measured seconds (after a 2 s warm-up); the OpenSSL baseline runs as long.", DefaultValueFactory = _ => 10 };
        var clients = new Option<int>("--clients") { Description = "Concurrent gRPC clients (default: 2 per core).", DefaultValueFactory = _ => 2 * Environment.ProcessorCount };
        var batch = new Option<int>("--batch") { Description = "Token requests per redemption.", DefaultValueFactory = _ => 100 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var command = new Command("issuance", "Issuer throughput against the raw OpenSSL RSA-2048 private-op rate on the same cores (goal: at least 85%).")
        {
            seconds, clients, batch, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var n = parse.GetValue(seconds);
            var c = parse.GetValue(clients);
            var b = parse.GetValue(batch);
            if (n <= 0 || c <= 0 || b is <= 0 or > 1000)
            {
                await Console.Error.WriteLineAsync("error: --seconds and --clients must be positive, --batch between 1 and 1000");
                return ExitCodes.Usage;
            }

            try
            {
                var result = await RunAsync(n, c, b, cancellationToken);
                if (parse.GetValue(json))
                {
                    await Console.Out.WriteLineAsync(JsonSerializer.Serialize(result, JsonOptions));
                }
                else
                {
                    await Console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                        $"issuance: {result.TokensPerSecond:F0} tokens/s; openssl rsa2048 sign: {result.OpensslRsa2048SignPerSecond:F0}/s on {result.Cores} cores; ratio {result.Ratio:P1} (goal 85%); per CPU second {result.CpuRatio:P1}; load {result.LoadAverage}"));
                }

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

    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    internal sealed record Result(
        double TokensPerSecond,
        double OpensslRsa2048SignPerSecond,
        double Ratio,
        double TokensPerIssuerCpuSecond,
        double OpensslSignsPerCpuSecond,
        double CpuRatio,
        string LoadAverage,
        int Cores,
        int Clients,
        int Batch,
        int Seconds,
        long Tokens,
        string Issuer,
        string Baseline);

    private static async Task<Result> RunAsync(int seconds, int clientCount, int batchSize, CancellationToken cancellationToken)
    {
        var cores = Environment.ProcessorCount;
        var root = System.IO.Directory.CreateTempSubdirectory("sxl-bench-issuance-");
        try
        {
            var data = Path.Combine(root.FullName, "data");

            // One card big enough for the whole run (devnet: denomination 1).
            var created = await RunSxlAsync(["issuer", "cards", "create", "--data", data, "--vendor", "bench", "--value", "1000000000", "--count", "1"], cancellationToken);
            var code = created.Trim();

            var http = FreeLoopbackPort();
            var grpc = FreeLoopbackPort();
            using var issuer = StartSxl(["issuer", "serve", "--data", data, "--name", IssuerName, "--http", $"127.0.0.1:{http}", "--grpc", $"127.0.0.1:{grpc}", "--devnet", "--tls"]);
            var ready = await ReadyLineAsync(issuer, TimeSpan.FromSeconds(60), cancellationToken);
            var url = ready.Split(' ').Single(p => p.StartsWith("grpc=", StringComparison.Ordinal))[5..];
            using var certificate = SelfSignedCertificate.LoadOrCreate(data, IssuerName);
            var fingerprint = CertificateFingerprint.Sha256(certificate);

            try
            {
                var channels = Enumerable.Range(0, clientCount).Select(_ => GrpcChannel.ForAddress(url, new GrpcChannelOptions
                {
                    HttpHandler = new SocketsHttpHandler
                    {
                        SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, c, _, _) => CertificateFingerprint.Matches(c, fingerprint) },
                    },
                    MaxReceiveMessageSize = 4 * 1024 * 1024,
                })).ToList();
                try
                {
                    var directory = await new IssuerClient(channels[0]).GetDirectoryAsync(new GetDirectoryRequest(), cancellationToken: cancellationToken);
                    var key = TokenPublicKey.FromSpki(directory.TokenKey.Span);

                    // Pre-blinded: each client blinds its batch once and sends it again and again under new request ids
                    // (each send is a real debit and real signatures).
                    var batches = channels.Select(_ => Enumerable.Range(0, batchSize)
                        .Select(_ => ByteString.CopyFrom(TokenClient.CreateRequest(key, TokenChallenge.ForNetwork(IssuerName)).Request.ToArray()))
                        .ToList()).ToList();

                    // Issuer and baseline take turns (issuer, openssl, issuer, openssl; half the seconds each), so that
                    // load from anything else on the machine falls on both alike. CPU seconds are counted too: on a busy
                    // machine the wall-clock ratio depends on the scheduler, the per-CPU-second ratio much less.
                    var half = Math.Max(1, seconds / 2);
                    long tokens = 0;
                    var issuerCpu = TimeSpan.Zero;
                    double opensslSigns = 0;
                    var opensslCpu = TimeSpan.Zero;
                    var loadBefore = LoadAverage();
                    for (var round = 0; round < 2; round++)
                    {
                        var (n, cpu) = await DriveAsync(issuer, channels, batches, code, TimeSpan.FromSeconds(round == 0 ? 2 : 1), TimeSpan.FromSeconds(half), cancellationToken);
                        tokens += n;
                        issuerCpu += cpu;
                        var childrenBefore = ReapedChildrenCpu();
                        opensslSigns += (await OpensslSpeed.Rsa2048Async(half, cores, cancellationToken)).SignPerSecond * half;
                        opensslCpu += ReapedChildrenCpu() - childrenBefore;
                    }

                    var tokensPerSecond = tokens / (2.0 * half);
                    var openssl = opensslSigns / (2.0 * half);
                    var tokensPerCpuSecond = tokens / Math.Max(issuerCpu.TotalSeconds, 1e-9);
                    var signsPerCpuSecond = opensslSigns / Math.Max(opensslCpu.TotalSeconds, 1e-9);
                    return new Result(
                        Math.Round(tokensPerSecond, 1),
                        Math.Round(openssl, 1),
                        Math.Round(tokensPerSecond / openssl, 3),
                        Math.Round(tokensPerCpuSecond, 1),
                        Math.Round(signsPerCpuSecond, 1),
                        Math.Round(tokensPerCpuSecond / signsPerCpuSecond, 3),
                        $"{loadBefore} -> {LoadAverage()}",
                        cores,
                        clientCount,
                        batchSize,
                        2 * half,
                        tokens,
                        "child process `sxl issuer serve --devnet --tls`: gRPC over TLS on loopback, debits committed to SQLite (WAL, synchronous=FULL)",
                        $"openssl speed -seconds {half} -multi {cores} rsa2048 (sign/s), twice, alternating with two issuer phases of {half} s");
                }
                finally
                {
                    foreach (var channel in channels)
                    {
                        channel.Dispose();
                    }
                }
            }
            finally
            {
                Stop(issuer);
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            root.Delete(recursive: true);
        }
    }

    /// <summary>
    /// Every client redeems its batch in a loop; counts the tokens received inside the measured window and the issuer
    /// process's CPU time over that window.
    /// </summary>
    private static async Task<(long Tokens, TimeSpan IssuerCpu)> DriveAsync(Process issuer, List<GrpcChannel> channels, List<List<ByteString>> batches, string code, TimeSpan warmUp, TimeSpan measured, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var measureFrom = warmUp;
        var measureUntil = warmUp + measured;
        long counted = 0;
        var loops = channels.Select((channel, i) => Task.Run(async () =>
        {
            var client = new IssuerClient(channel);
            while (clock.Elapsed < measureUntil)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var request = new RedeemRequest { CardCode = code, RequestId = ByteString.CopyFrom(RandomNumberGenerator.GetBytes(16)) };
                request.TokenRequests.AddRange(batches[i]);
                var reply = await client.RedeemAsync(request, cancellationToken: cancellationToken);
                var done = clock.Elapsed;
                if (done >= measureFrom && done < measureUntil)
                {
                    Interlocked.Add(ref counted, reply.TokenResponses.Count);
                }
            }
        }, cancellationToken)).ToList();

        // The benchmark's own timer: sample the issuer's CPU time at the window's edges.
        await Task.Delay(measureFrom, cancellationToken);
        var cpuFrom = CpuOf(issuer);
        await Task.Delay(measureUntil - clock.Elapsed, cancellationToken);
        var cpuUntil = CpuOf(issuer);
        await Task.WhenAll(loops);
        return (counted, cpuUntil - cpuFrom);
    }

    private static TimeSpan CpuOf(Process process)
    {
        process.Refresh();
        return process.TotalProcessorTime;
    }

    /// <summary>User + system CPU of this process's children that have exited and been waited for (/proc/self/stat cutime + cstime).</summary>
    private static TimeSpan ReapedChildrenCpu()
    {
        var stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // After "pid (comm) ", field 3 (state) is index 0, so cutime (16) and cstime (17) are indexes 13 and 14; in clock ticks (100 Hz).
        var ticks = long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / 100.0);
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static async Task<string> RunSxlAsync(string[] arguments, CancellationToken cancellationToken)
    {
        using var process = StartSxl(arguments);
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new BenchException($"sxl {arguments[0]} {arguments[1]} {arguments[2]} failed: {await stderr}");
        }

        return await stdout;
    }

    /// <summary>Another <c>sxl</c> process from the same build (the apphost next to this assembly, or dotnet + sxl.dll).</summary>
    private static Process StartSxl(IEnumerable<string> arguments)
    {
        var apphost = Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "sxl.exe" : "sxl");
        var info = File.Exists(apphost) ? new ProcessStartInfo(apphost) : new ProcessStartInfo("dotnet");
        if (!File.Exists(apphost))
        {
            info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "sxl.dll"));
        }

        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        info.Environment.Remove("SXL_CRASH_AT");
        return Process.Start(info) ?? throw new BenchException("cannot start sxl");
    }

    private static async Task<string> ReadyLineAsync(Process issuer, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        _ = issuer.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            while (await issuer.StandardOutput.ReadLineAsync(cts.Token) is { } line)
            {
                if (line.StartsWith("issuer ready", StringComparison.Ordinal))
                {
                    return line;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new BenchException("the issuer did not start in time");
        }

        throw new BenchException("the issuer exited before it was ready");
    }

    private static void Stop(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
