using SimpleXLedger.Devnet.Network;
using SimpleXLedger.Devnet.Scenarios;

namespace SimpleXLedger.Devnet.Tests.Scenarios;

public class ScenarioStepsTests
{
    [Fact]
    public async Task A_step_passes_fails_or_is_left_out_and_what_depends_on_it_is_skipped()
    {
        var steps = new ScenarioSteps(SilentProgress.Instance);

        Assert.True(await steps.RunAsync("fund", () => Task.FromResult("funded"), CancellationToken.None));
        Assert.False(await steps.RunAsync("settle", () => throw new NotYetAvailableException("waits for epochs"), CancellationToken.None, "fund"));
        Assert.False(await steps.RunAsync("claim", () => Task.FromResult("claimed"), CancellationToken.None, "settle"));
        Assert.False(await steps.RunAsync("spend", () => throw new ScenarioCheckException("accepted twice"), CancellationToken.None, "fund"));

        Assert.Equal(
            [("fund", StepStatus.Passed), ("settle", StepStatus.NotYetAvailable), ("claim", StepStatus.Skipped), ("spend", StepStatus.Failed)],
            steps.Records.Select(r => (r.Name, r.Status)));
        Assert.Equal("funded", steps.Records[0].Detail);
        Assert.Contains("accepted twice", steps.Records[3].Detail, StringComparison.Ordinal);
        Assert.Equal("needs: settle", steps.Records[2].Detail);
        Assert.True(steps.AnyFailed);
    }

    [Fact]
    public async Task Cancellation_is_not_recorded_as_a_finding_but_stops_the_run()
    {
        var steps = new ScenarioSteps(SilentProgress.Instance);
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => steps.RunAsync("wait", () => Task.FromCanceled<string>(cts.Token), cts.Token));
        Assert.Empty(steps.Records);
    }

    [Fact]
    public void The_catalog_knows_smoke_and_takes_more_scenarios()
    {
        var catalog = ScenarioCatalog.Default();

        Assert.True(catalog.TryCreate("smoke", out var smoke));
        Assert.Equal("smoke", smoke.Name);
        // The audit is its own program (sxl-audit), not one of sxl devnet's scenarios.
        Assert.False(catalog.TryCreate("audit", out _));
        Assert.False(catalog.TryCreate("rehearsal", out _));
        catalog.Add("rehearsal", "a scenario added by its caller", () => smoke);
        Assert.True(catalog.TryCreate("REHEARSAL", out _));
        Assert.Equal(["rehearsal", "smoke"], catalog.Names);
    }
}
