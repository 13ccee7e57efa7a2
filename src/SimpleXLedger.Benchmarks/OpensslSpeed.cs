using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace SimpleXLedger.Benchmarks;

/// <summary>The physical limit the benchmarks compare against: <c>openssl speed -multi &lt;cores&gt; rsa2048</c>, run in the same session.</summary>
internal static partial class OpensslSpeed
{
    internal sealed record Rsa2048(double SignPerSecond, double VerifyPerSecond);

    public static async Task<Rsa2048> Rsa2048Async(int seconds, int cores, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("openssl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "speed", "-seconds", seconds.ToString(CultureInfo.InvariantCulture), "-multi", cores.ToString(CultureInfo.InvariantCulture), "rsa2048" })
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info) ?? throw new BenchException("cannot start openssl");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        _ = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return Parse(await stdout) ?? throw new BenchException("no 'rsa 2048 bits' line in openssl speed's output");
    }

    /// <summary>"rsa 2048 bits 0.000653s 0.000012s   1532.0  80069.0" → (1532.0, 80069.0).</summary>
    internal static Rsa2048? Parse(string output)
    {
        var match = Line().Match(output);
        return match.Success
            ? new Rsa2048(double.Parse(match.Groups["sign"].Value, CultureInfo.InvariantCulture), double.Parse(match.Groups["verify"].Value, CultureInfo.InvariantCulture))
            : null;
    }

    [GeneratedRegex(@"^rsa\s+2048 bits\s+\S+s\s+\S+s\s+(?<sign>[0-9.]+)\s+(?<verify>[0-9.]+)\s*$", RegexOptions.Multiline)]
    private static partial Regex Line();
}
