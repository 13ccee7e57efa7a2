using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SimpleXLedger.Files;
using SimpleXLedger.Files.Client;
using SimpleXLedger.Files.Hosting;
using SimpleXLedger.Hosting.Startup;
using SimpleXLedger.Net;
using SimpleXLedger.Net.Tls;
using SimpleXLedger.Relay.Client;
using SimpleXLedger.Tokens;

namespace SimpleXLedger.Benchmarks;

/// <summary>
/// <c>sxl bench files [--json]</c>: throughput of 4 MiB chunks through a real <see cref="FilesServer"/> in this process
/// (gRPC over TLS on loopback, bodies fsynced to disk, records in SQLite with a full sync), uploads (register with a
/// token, then the body) and downloads (with the relay's extra encryption layer removed by the client), with the
/// tokens plugin and unmetered; against the baseline measured in the same run: a bare Kestrel endpoint streaming the
/// same bytes over HTTP/2 with TLS on loopback, before and after the load, averaged.
/// </summary>
public static class FilesBench
{
    private const int ChunkBytes = 4 * 1024 * 1024;

    public static Command Build()
    {
        var chunks = new Option<int>("--chunks") { Description = "4 MiB chunks per run (each uploaded, then downloaded).", DefaultValueFactory = _ => 16 };
        var json = new Option<bool>("--json") { Description = "One JSON object on stdout." };
        var command = new Command("files", "File relay throughput (MiB/s) for 4 MiB chunks, metered and unmetered, against raw loopback TLS throughput (same run).") { chunks, json };
        command.SetAction(async (parse, ct) => await RunAsync(parse.GetValue(chunks), parse.GetValue(json), ct));
        return command;
    }

    private static async Task<int> RunAsync(int count, bool json, CancellationToken ct)
    {
        if (count is < 1 or > 1024)
        {
            await Console.Error.WriteLineAsync("error: --chunks must be between 1 and 1024");
            return ExitCodes.Usage;
        }

        var dir = Directory.CreateTempSubdirectory("sxl-bench-files-").FullName;
        try
        {
            var bodies = Enumerable.Range(0, count).Select(_ => RandomNumberGenerator.GetBytes(ChunkBytes)).ToArray();
            using var key = TokenPrivateKey.Generate();
            var challenge = TokenChallenge.ForNetwork("issuer.bench.test");
            var minted = new byte[count][];
            Parallel.For(0, count, i =>
            {
                using var state = TokenClient.CreateRequest(key.PublicKey, challenge);
                minted[i] = TokenClient.Finalize(state, TokenIssuer.Issue(key, state.Request)).ToArray();
            });

            var rawBefore = await RawTlsAsync(Path.Combine(dir, "raw"), bodies[0], count, ct);
            var unmetered = await RunRelayAsync(Path.Combine(dir, "none"), "none", new Dictionary<string, string>(), bodies, null, ct);
            var metered = await RunRelayAsync(Path.Combine(dir, "tokens"), "tokens", new Dictionary<string, string> { ["issuerName"] = "issuer.bench.test", ["tokenKeys"] = key.PublicKey.ToBase64Url() }, bodies, minted, ct);
            var rawAfter = await RawTlsAsync(Path.Combine(dir, "raw"), bodies[0], count, ct);
            var raw = (rawBefore + rawAfter) / 2;
            if (json)
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    chunks = count,
                    chunkBytes = ChunkBytes,
                    uploadMiBps = Math.Round(metered.Upload, 1),
                    downloadMiBps = Math.Round(metered.Download, 1),
                    unmeteredUploadMiBps = Math.Round(unmetered.Upload, 1),
                    unmeteredDownloadMiBps = Math.Round(unmetered.Download, 1),
                    rawTlsMiBps = Math.Round(raw, 1),
                    rawTlsBefore = Math.Round(rawBefore, 1),
                    rawTlsAfter = Math.Round(rawAfter, 1),
                    uploadVsRaw = Math.Round(metered.Upload / raw, 3),
                    downloadVsRaw = Math.Round(metered.Download / raw, 3),
                    meteringUploadCost = Math.Round(1 - (metered.Upload / unmetered.Upload), 3),
                    meteringDownloadCost = Math.Round(1 - (metered.Download / unmetered.Download), 3),
                    cores = Environment.ProcessorCount,
                }));
            }
            else
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"baseline: raw loopback TLS {raw:N1} MiB/s (before {rawBefore:N1}, after {rawAfter:N1})"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"tokens: upload {metered.Upload:N1} MiB/s ({metered.Upload / raw:P0} of raw), download {metered.Download:N1} MiB/s ({metered.Download / raw:P0})"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"none:   upload {unmetered.Upload:N1} MiB/s, download {unmetered.Download:N1} MiB/s"));
            }

            return ExitCodes.Ok;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task<(double Upload, double Download)> RunRelayAsync(string data, string metering, Dictionary<string, string> settings, byte[][] bodies, byte[][]? tokens, CancellationToken ct)
    {
        var options = new FilesOptions
        {
            DataDirectory = data,
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            Metering = metering,
            MeteringSettings = settings,
            PluginsDirectory = Path.Combine(AppContext.BaseDirectory, "plugins"),
            QuotaBytes = (long)(bodies.Length + 1) * ChunkBytes,
        };
        await using var server = await FilesServer.StartAsync(options, loggers: NullLoggerFactory.Instance, cancellationToken: ct);
        using var client = await FileRelayClient.ConnectAsync(server.Address, ct);
        var recipients = new (ReadOnlyMemory<byte> Id, NSec.Cryptography.Key Key)[bodies.Length];
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < bodies.Length; i++)
        {
            var sender = RelayProtocol.NewKey();
            var recipient = RelayProtocol.NewKey();
            var ids = await client.RegisterAsync(sender, ChunkBytes, SHA256.HashData(bodies[i]), [RelayProtocol.PublicKeyBytes(recipient)], tokens: tokens is null ? null : [tokens[i]], cancellationToken: ct);
            await client.UploadAsync(ids.SenderId.Memory, sender, bodies[i], cancellationToken: ct);
            recipients[i] = (ids.RecipientIds[0].Memory, recipient);
        }

        var upload = bodies.Length * 4.0 / clock.Elapsed.TotalSeconds;
        clock.Restart();
        for (var i = 0; i < bodies.Length; i++)
        {
            var got = await client.DownloadAsync(recipients[i].Id, recipients[i].Key, cancellationToken: ct);
            if (got.Length != ChunkBytes)
            {
                throw new InvalidOperationException("a chunk came back short");
            }
        }

        var download = bodies.Length * 4.0 / clock.Elapsed.TotalSeconds;
        return (upload, download);
    }

    /// <summary>MiB/s of a bare Kestrel endpoint streaming <paramref name="count"/> × 4 MiB over HTTP/2 with TLS on loopback.</summary>
    private static async Task<double> RawTlsAsync(string data, byte[] body, int count, CancellationToken ct)
    {
        Directory.CreateDirectory(data);
        var certificate = SelfSignedCertificate.LoadOrCreate(data, "sxl-bench");
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l =>
        {
            l.Protocols = HttpProtocols.Http2;
            l.UseHttps(certificate);
        }));
        await using var app = builder.Build();
        app.MapGet("/raw", async (HttpContext context) =>
        {
            for (var i = 0; i < count; i++)
            {
                await context.Response.Body.WriteAsync(body, context.RequestAborted);
            }
        });
        await app.StartAsync(ct);
        var port = ServiceHost.BoundPort(app);
        var pin = new PinnedCertificateValidator(CertificateFingerprint.Sha256(certificate));
        using var http = new HttpClient(new SocketsHttpHandler { SslOptions = pin.ClientOptions("127.0.0.1") })
        {
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        var clock = Stopwatch.StartNew();
        await using var stream = await http.GetStreamAsync(new Uri($"https://127.0.0.1:{port}/raw"), ct);
        var buffer = new byte[1 << 16];
        long total = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer, ct)) > 0)
        {
            total += read;
        }

        var seconds = clock.Elapsed.TotalSeconds;
        await app.StopAsync(ct);
        if (total != (long)count * body.Length)
        {
            throw new InvalidOperationException("the raw TLS stream came back short");
        }

        return total / (1024.0 * 1024.0) / seconds;
    }
}
