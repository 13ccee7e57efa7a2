using SimpleXLedger.Clearing;
using SimpleXLedger.Clearing.Redemption;
using SimpleXLedger.Cli.Commands;
using SimpleXLedger.Cli.Tests.Token;
using SimpleXLedger.Net;

namespace SimpleXLedger.Cli.Tests.Clearing;

/// <summary><c>sxl clearing serve</c>'s not-yet-anchored allowance: the options, their defaults, their usage errors.</summary>
public sealed class ClearingServeOptionsTests
{
    // Enough for the command to get as far as its settings; the key and keys files are never read when a setting is bad.
    private static readonly string[] Serve =
    [
        "clearing", "serve", "--data", Path.GetTempPath(), "--ledger", "0x5FbDB2315678afecb367f032d93F642f64180aa3",
        "--key", "/nonexistent/clearing.key", "--devnet", "--keys", "/nonexistent/keys.json",
    ];

    [Fact]
    public void The_anchoring_period_and_grace_reach_the_allowance_and_default_to_an_hour_each()
    {
        var parse = SxlApp.Build().Parse([.. Serve, "--anchoring-period-seconds", "5", "--anchoring-grace-seconds", "300"]);
        Assert.Empty(parse.Errors);
        Assert.Equal(new AnchoringAllowance(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(300)), ClearingCommands.Allowance(parse));

        var zeroGrace = SxlApp.Build().Parse([.. Serve, "--anchoring-period-seconds", "86400", "--anchoring-grace-seconds", "0"]);
        Assert.Equal(new AnchoringAllowance(TimeSpan.FromDays(1), TimeSpan.Zero), ClearingCommands.Allowance(zeroGrace));

        var defaults = SxlApp.Build().Parse(Serve);
        Assert.Empty(defaults.Errors);
        Assert.Equal(AnchoringAllowance.Default, ClearingCommands.Allowance(defaults));
    }

    [Theory]
    [InlineData("--anchoring-period-seconds", "abc")]
    [InlineData("--anchoring-period-seconds", "1h")]
    [InlineData("--anchoring-period-seconds", "-5")]
    [InlineData("--anchoring-period-seconds", "0")]
    [InlineData("--anchoring-period-seconds", "31622401")]
    [InlineData("--anchoring-grace-seconds", "31622401")]
    [InlineData("--anchoring-grace-seconds", "99999999999999999999")]
    public async Task A_bad_anchoring_value_is_a_usage_error(string option, string value)
    {
        // A value that got past the settings would go on to read the missing key file: exit 1, not 2.
        Assert.Equal(ExitCodes.Usage, await SxlApp.RunAsync([.. Serve, option, value]));
    }

    [Fact]
    public async Task The_real_program_documents_the_options_and_refuses_a_zero_period_with_exit_2()
    {
        var help = await TokenCli.SxlAsync("clearing", "serve", "--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("--anchoring-period-seconds", help.Stdout, StringComparison.Ordinal);
        Assert.Contains("--anchoring-grace-seconds", help.Stdout, StringComparison.Ordinal);
        Assert.Contains("over-issued", help.Stdout, StringComparison.Ordinal);

        var zero = await TokenCli.SxlAsync([.. Serve, "--anchoring-period-seconds", "0"]);
        Assert.Equal(ExitCodes.Usage, zero.ExitCode);
        Assert.Contains($"anchoring period is 1 to {ClearingSettings.MaxAnchoringSeconds} seconds", zero.Stderr, StringComparison.Ordinal);
    }
}
