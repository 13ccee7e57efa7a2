using SimpleXLedger.Audit;

namespace SimpleXLedger.Audit.Tests;

public sealed class SimulatedTimelineTests
{
    private static readonly DateTimeOffset Real = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
    private static readonly DateTimeOffset Sim = Real;

    [Fact]
    public void A_wall_time_while_a_moment_is_played_is_that_moment_plus_what_the_requests_took()
    {
        var timeline = new SimulatedTimeline();
        timeline.Record(Real, Sim);
        timeline.Record(Real.AddSeconds(2), Sim.AddMinutes(10));
        Assert.Equal(Sim.AddMilliseconds(700), timeline.Map(Real.AddMilliseconds(700)));
        Assert.Equal(Sim.AddMinutes(10).AddSeconds(3), timeline.Map(Real.AddSeconds(5)));
        Assert.Equal(Real.AddSeconds(-1), timeline.Map(Real.AddSeconds(-1)));
    }

    [Fact]
    public void When_the_next_moment_comes_sooner_than_the_requests_took_times_are_squeezed_and_keep_their_order()
    {
        var timeline = new SimulatedTimeline();
        timeline.Record(Real, Sim);
        timeline.Record(Real.AddSeconds(4), Sim.AddSeconds(1));
        var mapped = Enumerable.Range(0, 41).Select(i => timeline.Map(Real.AddMilliseconds(100 * i))).ToList();
        Assert.Equal(mapped.Order(), mapped);
        Assert.Equal(mapped.Count, mapped.Distinct().Count());
        Assert.Equal(Sim.AddMilliseconds(500), timeline.Map(Real.AddSeconds(2)));
        Assert.Equal(Sim.AddSeconds(1), timeline.Map(Real.AddSeconds(4)));
    }

    [Fact]
    public void Moments_are_recorded_in_wall_clock_order()
    {
        var timeline = new SimulatedTimeline();
        timeline.Record(Real, Sim);
        Assert.Throws<ArgumentException>(() => timeline.Record(Real.AddSeconds(-1), Sim));
    }
}
