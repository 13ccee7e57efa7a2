using SimpleXLedger.Net.Crash;

namespace SimpleXLedger.Hosting.Tests.Crash;

public class CrashPointTests
{
    [Fact]
    public void Unset_or_blank_arms_nothing()
    {
        Assert.Empty(CrashPoint.Parse(null));
        Assert.Empty(CrashPoint.Parse("  "));
    }

    [Fact]
    public void A_bare_label_crashes_the_first_time()
    {
        var armed = CrashPoint.Parse("issuer.redeem.after-debit");
        Assert.Equal(1, armed["issuer.redeem.after-debit"]);
    }

    [Fact]
    public void Several_labels_with_counts()
    {
        var armed = CrashPoint.Parse("relay.send.after-commit@3, clearing.batch.after-record");
        Assert.Equal(3, armed["relay.send.after-commit"]);
        Assert.Equal(1, armed["clearing.batch.after-record"]);
        Assert.Equal(2, armed.Count);
    }

    [Theory]
    [InlineData("label@0")]
    [InlineData("label@-2")]
    [InlineData("label@x")]
    public void A_malformed_count_is_part_of_the_label_not_a_silent_first_hit(string entry)
    {
        var armed = CrashPoint.Parse(entry);
        Assert.True(armed.ContainsKey(entry));
        Assert.False(armed.ContainsKey("label"));
    }

    [Fact]
    public void Reaching_an_unarmed_label_does_nothing()
    {
        // The test host has no SXL_CRASH_AT: reaching any label must return normally.
        Assert.False(CrashPoint.IsArmed);
        CrashPoint.Reach("anything");
    }
}
