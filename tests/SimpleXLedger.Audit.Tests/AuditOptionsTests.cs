using SimpleXLedger.Testing;

namespace SimpleXLedger.Audit.Tests;

/// <summary><c>sxl-audit</c>'s options: documented, and refused (status 2, nothing started) when they do not fit.</summary>
public sealed class AuditOptionsTests
{
    [Fact]
    public async Task The_help_names_the_audit_options()
    {
        var (status, output) = await SxlAuditAsync("--help");
        Assert.Equal(0, status);
        foreach (var option in new[] { "--seed", "--users", "--soak-seconds", "--soak-users", "--fuzz-cases" })
        {
            Assert.Contains(option, output, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("--users 1", "--users is 2 to 10000")]
    [InlineData("--soak-seconds -1", "--soak-seconds is 0 to 3600")]
    [InlineData("--soak-users 0", "--soak-users is 1 to 1000")]
    [InlineData("--fuzz-cases -1", "--fuzz-cases is 0 to 10000000")]
    [InlineData("--scenario audit", "Unrecognized command or argument '--scenario'")]
    public async Task Options_that_do_not_fit_are_a_usage_error_before_anything_starts(string arguments, string message)
    {
        var data = Path.Combine(Path.GetTempPath(), "sxl-devnet-options-" + Guid.NewGuid().ToString("N")[..8]);
        var (status, output) = await SxlAuditAsync(["--data", data, .. arguments.Split(' ')]);
        Assert.True(status == 2, output);
        Assert.Contains(message, output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(data), "nothing is started or written");
    }

    private static async Task<(int Status, string Output)> SxlAuditAsync(params string[] arguments)
    {
        await using var sxl = ChildProcess.Start("dotnet", [RepositoryPaths.SxlAuditDll, .. arguments]);
        var status = await sxl.WaitForExitAsync(TimeSpan.FromMinutes(1));
        return (status, sxl.AllOutput);
    }
}
