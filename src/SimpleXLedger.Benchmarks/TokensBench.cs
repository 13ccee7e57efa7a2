using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using SimpleXLedger.Benchmarks;
using SimpleXLedger.Net;

namespace SimpleXLedger.Benchmarks;

/// <summary>
/// <c>sxl bench tokens [BenchmarkDotNet arguments]</c>: the token core's micro-benchmarks (<see cref="TokenBenchmarks"/>,
/// BenchmarkDotNet in-process, so no SDK is needed), then each goal's ratio against its baseline from the same run.
/// </summary>
public static class TokensBench
{
    public static Command Build()
    {
        var arguments = new Argument<string[]>("benchmarkdotnet-arguments")
        {
            Description = "Passed to BenchmarkDotNet, e.g. --filter '*Verify*' (default: every token benchmark).",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var command = new Command("tokens", "Token core micro-benchmarks (BlindSign vs the raw OpenSSL private op, Verify vs the platform's PSS verify), BenchmarkDotNet in-process.")
        {
            arguments,
        };
        command.SetAction(async (parse, ct) =>
        {
            var args = parse.GetValue(arguments) ?? [];
            return await RunAsync(args.Length == 0 ? ["--filter", "*TokenBenchmarks*"] : args);
        });
        return command;
    }

    private static async Task<int> RunAsync(string[] args)
    {
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(TokenBenchmarks).Assembly).Run(args).ToList();


        double? OpsPerSecond(string method)
        {
            var report = summaries.SelectMany(s => s.Reports)
                .FirstOrDefault(r => r.BenchmarkCase.Descriptor.WorkloadMethod.Name == method && r.ResultStatistics is not null);
            return report is null ? null : 1e9 / report.ResultStatistics!.Mean;
        }

        var blindSign = OpsPerSecond(nameof(TokenBenchmarks.BlindSign));
        var raw = OpsPerSecond(nameof(TokenBenchmarks.RawPrivateOp));
        var check = OpsPerSecond(nameof(TokenBenchmarks.Rsavp1Check));
        var verify = OpsPerSecond(nameof(TokenBenchmarks.Verify));
        var platform = OpsPerSecond(nameof(TokenBenchmarks.PlatformPssVerify));
        if (blindSign is null && verify is null)
        {
                return ExitCodes.Ok;
        }

        Console.WriteLine();
        Console.WriteLine("== Token core: rates and goals (same run) ==");
        static string F(double? v) => v is null ? "n/a" : v.Value.ToString("N0", CultureInfo.InvariantCulture);
        static string R(double? a, double? b) => a is null || b is null ? "n/a" : (a.Value / b.Value).ToString("P1", CultureInfo.InvariantCulture);
        Console.WriteLine($"BlindSign                      {F(blindSign),10} /s");
        Console.WriteLine($"raw OpenSSL RSA-2048 private   {F(raw),10} /s   BlindSign/raw = {R(blindSign, raw)} (goal >= 90%)");
        Console.WriteLine($"  of which the RSAVP1 check    {F(check),10} /s   expected BlindSign/raw with the check = {R(check is null || raw is null ? null : 1 / ((1 / raw.Value) + (1 / check.Value)), raw)}");
        Console.WriteLine($"Token Verify                   {F(verify),10} /s");
        Console.WriteLine($"platform RSA-PSS verify        {F(platform),10} /s   Verify/platform = {R(verify, platform)} (goal >= 80%)");

        // OpenSSL's own figure for the same machine, single thread, as a second reference.
        try
        {
            var info = new ProcessStartInfo("openssl", ["speed", "-seconds", "2", "rsa2048"]) { RedirectStandardOutput = true, RedirectStandardError = true };
            using var openssl = Process.Start(info)!;
            var output = await openssl.StandardOutput.ReadToEndAsync();
            await openssl.WaitForExitAsync();
            var line = output.Split('\n').FirstOrDefault(l => l.StartsWith("rsa 2048", StringComparison.Ordinal));
            if (line is not null)
            {
                Console.WriteLine($"openssl speed rsa2048 (sign = private op, verify = public op): {line.Trim()}");
                Console.WriteLine("                                   (columns: sign s, verify s, sign/s, verify/s)");
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            Console.WriteLine("openssl speed: openssl not found");
        }

        return ExitCodes.Ok;
    }
}
