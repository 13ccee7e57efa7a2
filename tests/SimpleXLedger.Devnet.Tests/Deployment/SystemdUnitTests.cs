using System.Diagnostics;
using SimpleXLedger.Testing;

namespace SimpleXLedger.Devnet.Tests.Deployment;

/// <summary>
/// The systemd units shipped for operators (src/SimpleXLedger.Cli/Deployment/systemd) are templates whose
/// <c>@SXL@</c> is the installed program. Rendered with the <c>sxl</c> this build produced, each must pass
/// <c>systemd-analyze verify</c> without a single warning, and keep the hardening the README promises.
/// </summary>
public sealed class SystemdUnitTests : IDisposable
{
    private const string SystemdAnalyze = "/usr/bin/systemd-analyze";
    private static readonly string UnitsDirectory = Path.Combine(RepositoryPaths.Root, "src", "SimpleXLedger.Cli", "Deployment", "systemd");
    private readonly string _rendered = Directory.CreateTempSubdirectory("sxl-units-").FullName;

    /// <summary>The apphost the build produced next to sxl.dll.</summary>
    private static string Sxl => Path.Combine(Path.GetDirectoryName(RepositoryPaths.SxlDll)!, "sxl");

    public static TheoryData<string, string> Units => new()
    {
        { "sxl-issuer.service", "sxl-issuer.service" },
        { "sxl-clearing.service", "sxl-clearing.service" },
        // The relay is a template unit: verified as an instance.
        { "sxl-relay@.service", "sxl-relay@main.service" },
        { "sxl-turn.service", "sxl-turn.service" },
        { "sxl-files.service", "sxl-files.service" },
        { "sxl-operator-watch@.service", "sxl-operator-watch@main.service" },
    };

    [Theory]
    [MemberData(nameof(Units))]
    public async Task Each_unit_rendered_with_the_built_sxl_passes_systemd_analyze_verify_without_warnings(string template, string instance)
    {
        var unit = Render(template, instance, Sxl);

        var (status, output) = await VerifyAsync(unit);

        Assert.True(status == 0 && output.Length == 0, $"systemd-analyze verify {instance}: status {status}\n{output}");
    }

    [Fact]
    public async Task Verify_refuses_a_unit_whose_program_is_missing_so_the_check_above_means_something()
    {
        var unit = Render("sxl-issuer.service", "sxl-issuer.service", Path.Combine(_rendered, "no-such-sxl"));

        var (status, output) = await VerifyAsync(unit);

        Assert.NotEqual(0, status);
        Assert.Contains("not executable", output, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Units))]
    public void Each_unit_runs_as_its_own_user_with_its_own_data_and_logs_restarts_on_failure_and_is_sandboxed(string template, string instance)
    {
        _ = instance;
        var lines = File.ReadAllLines(Path.Combine(UnitsDirectory, template)).Select(l => l.Trim()).ToList();
        var settings = lines.Where(l => l.Contains('=', StringComparison.Ordinal) && !l.StartsWith('#')).ToLookup(l => l[..l.IndexOf('=', StringComparison.Ordinal)], l => l[(l.IndexOf('=', StringComparison.Ordinal) + 1)..]);
        string One(string key) => Assert.Single(settings[key]);

        Assert.StartsWith("sxl-", One("User"), StringComparison.Ordinal);
        Assert.Equal(One("User"), One("Group"));
        Assert.StartsWith("@SXL@ ", One("ExecStart"), StringComparison.Ordinal);
        Assert.Equal("on-failure", One("Restart"));
        Assert.StartsWith("sxl-", One("StateDirectory"), StringComparison.Ordinal);
        // Logs go to the journal: no log files of their own.
        Assert.Empty(settings["LogsDirectory"]);
        Assert.DoesNotContain(settings["StandardError"].Concat(settings["StandardOutput"]), v => v.StartsWith("append:", StringComparison.Ordinal) || v.StartsWith("file:", StringComparison.Ordinal));
        Assert.Equal("0700", One("StateDirectoryMode"));
        if (One("ExecStart").Contains(" serve", StringComparison.Ordinal))
        {
            Assert.Contains("--data /var/lib/" + One("StateDirectory"), One("ExecStart"), StringComparison.Ordinal);
        }

        Assert.Contains("/var/lib/" + One("StateDirectory"), One("ReadWritePaths"), StringComparison.Ordinal);
        Assert.Equal("strict", One("ProtectSystem"));
        Assert.Equal("yes", One("ProtectHome"));
        Assert.Equal("yes", One("PrivateTmp"));
        Assert.Equal("yes", One("NoNewPrivileges"));
        Assert.Equal("yes", One("PrivateDevices"));
        Assert.Equal("0077", One("UMask"));
        // At most the one capability binding a low port needs.
        Assert.True(One("CapabilityBoundingSet") is "" or "CAP_NET_BIND_SERVICE", One("CapabilityBoundingSet"));
    }

    public void Dispose() => Directory.Delete(_rendered, recursive: true);

    private string Render(string template, string instance, string program)
    {
        var text = File.ReadAllText(Path.Combine(UnitsDirectory, template));
        Assert.Contains("@SXL@", text, StringComparison.Ordinal);
        var path = Path.Combine(_rendered, instance);
        File.WriteAllText(path, text.Replace("@SXL@", program, StringComparison.Ordinal));
        return path;
    }

    private static async Task<(int Status, string Output)> VerifyAsync(string unit)
    {
        Assert.True(File.Exists(SystemdAnalyze), $"{SystemdAnalyze} is part of this machine's image");
        var info = new ProcessStartInfo(SystemdAnalyze)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(unit)!,
        };
        info.ArgumentList.Add("verify");
        info.ArgumentList.Add("--man=no");
        info.ArgumentList.Add(unit);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, ((await stdout) + (await stderr)).Trim());
    }
}
