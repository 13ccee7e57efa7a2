using System.Diagnostics;
using SimpleXLedger.Audit.Soak;

namespace SimpleXLedger.Audit.Tests.Soak;

/// <summary>The soak's arithmetic: percentiles, the memory growth check, and reading a process tree's memory.</summary>
public sealed class SoakFiguresTests
{
    private const long MiB = 1024 * 1024;

    [Fact]
    public void Percentiles_are_nearest_rank()
    {
        var summary = LatencySummary.Of([.. Enumerable.Range(1, 200).Select(i => (double)i)]);
        Assert.Equal((200L, 100.0, 198.0, 200.0), (summary.Count, summary.P50Ms, summary.P99Ms, summary.MaxMs));
        Assert.Equal(7.0, LatencySummary.Of([7.0]).P99Ms);
        Assert.Equal(0, LatencySummary.Of([]).Count);
    }

    [Fact]
    public void Memory_that_settles_is_bounded_and_memory_that_keeps_growing_is_not()
    {
        var samples = Enumerable.Range(0, 100).Select(i => new MemorySample(i, new Dictionary<string, long>
        {
            // Warms up fast, then steady with GC noise.
            ["steady"] = (i < 10 ? 100 + (10 * i) : 200 + (i % 3 * 5)) * MiB,
            // A leak: 3 MiB more every second, for the whole run.
            ["leaking"] = (150 + (3 * i)) * MiB,
        })).ToList();

        var memory = ServiceMemory.Assess(samples, warmUpSeconds: 20, growthFactor: 1.25, slackBytes: 48 * MiB).ToDictionary(m => m.Service);
        Assert.True(memory["steady"].Bounded);
        Assert.Equal((100 * MiB, 200 * MiB), (memory["steady"].StartBytes, memory["steady"].EndBytes));
        Assert.False(memory["leaking"].Bounded);
        Assert.True(memory["leaking"].LastQuarterMaxBytes > memory["leaking"].AllowedBytes);
    }

    [Fact]
    public void The_warm_up_is_left_out_of_the_growth_check()
    {
        // Doubles during warm-up, flat afterwards: bounded, though the end is twice the start.
        var samples = Enumerable.Range(0, 40).Select(i => new MemorySample(i, new Dictionary<string, long> { ["s"] = (i < 8 ? 100 : 200) * MiB })).ToList();
        var s = Assert.Single(ServiceMemory.Assess(samples, warmUpSeconds: 8, growthFactor: 1.0, slackBytes: 0));
        Assert.True(s.Bounded);
        Assert.Equal(200 * MiB, s.FirstQuarterMaxBytes);
    }

    [Fact]
    public async Task A_process_trees_memory_includes_its_children_and_a_gone_process_has_none()
    {
        using var parent = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", "sleep 30 & wait"]) { UseShellExecute = false })!;
        try
        {
            var own = ProcessMemory.ResidentBytes(parent.Id);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            long? tree;
            // The child appears once the shell has forked it.
            while ((tree = ProcessMemory.TreeResidentBytes(parent.Id)) <= own && !timeout.IsCancellationRequested)
            {
                await Task.Delay(20);
            }

            Assert.NotNull(own);
            Assert.True(tree > own, $"tree {tree} vs own {own}");
        }
        finally
        {
            parent.Kill(entireProcessTree: true);
            await parent.WaitForExitAsync();
        }

        Assert.Null(ProcessMemory.TreeResidentBytes(parent.Id));
        Assert.True(ProcessMemory.TreeResidentBytes(Environment.ProcessId) > 10 * MiB);
    }
}
