using SimpleXLedger.Issuer.Keys;
using SimpleXLedger.Issuer.Storage;

namespace SimpleXLedger.Issuer.Tests.Keys;

public class KeyScheduleTests
{
    // Rotation is looked at every 7 s below, so rotate-ahead covers delay + margin + one interval (20 + 5 + 7 <= 40).
    private static readonly KeyWindowPolicy Policy = new(TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(100), TimeSpan.FromSeconds(300), TimeSpan.FromSeconds(40));

    private static TokenKeyRow Row(KeyWindow w, KeyAnchoring anchoring = KeyAnchoring.Anchored) => new()
    {
        Id = "0x" + Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N"),
        Spki = [],
        UsableFrom = w.UsableFrom,
        IssueUntil = w.IssueUntil,
        RedeemUntil = w.RedeemUntil,
        Anchoring = anchoring,
    };

    [Fact]
    public void The_first_key_is_usable_at_once_in_development_and_after_the_delay_with_a_ledger()
    {
        Assert.Equal(new KeyWindow(1000, 1100, 1400), KeySchedule.PlanNext([], 1000, Policy, development: true, force: false));
        Assert.Equal(new KeyWindow(1025, 1125, 1425), KeySchedule.PlanNext([], 1000, Policy, development: false, force: false));
    }

    [Fact]
    public void The_next_key_is_prepared_only_near_the_end_and_starts_exactly_where_the_current_ends()
    {
        var current = Row(new KeyWindow(1000, 1100, 1400));
        Assert.Null(KeySchedule.PlanNext([current], 1059, Policy, development: false, force: false));
        Assert.Equal(new KeyWindow(1100, 1200, 1500), KeySchedule.PlanNext([current], 1060, Policy, development: false, force: false));
        Assert.Equal(new KeyWindow(1100, 1200, 1500), KeySchedule.PlanNext([current], 1001, Policy, development: false, force: true));
    }

    [Fact]
    public void With_a_ledger_a_next_key_planned_too_late_to_anchor_starts_after_the_delay()
    {
        var current = Row(new KeyWindow(1000, 1100, 1400));
        Assert.Equal(new KeyWindow(1115, 1215, 1515), KeySchedule.PlanNext([current], 1090, Policy, development: false, force: false));
        Assert.Equal(new KeyWindow(1100, 1200, 1500), KeySchedule.PlanNext([current], 1090, Policy, development: true, force: false));
    }

    [Fact]
    public void Never_two_keys_ahead_even_when_forced()
    {
        var current = Row(new KeyWindow(1000, 1100, 1400));
        var next = Row(new KeyWindow(1100, 1200, 1500));
        Assert.Null(KeySchedule.PlanNext([current, next], 1090, Policy, development: false, force: true));
    }

    [Fact]
    public void After_a_gap_a_new_chain_starts_as_soon_as_allowed()
    {
        var old = Row(new KeyWindow(1000, 1100, 1400));
        Assert.Equal(new KeyWindow(1525, 1625, 1925), KeySchedule.PlanNext([old], 1500, Policy, development: false, force: false));
        Assert.Equal(new KeyWindow(1500, 1600, 1900), KeySchedule.PlanNext([old], 1500, Policy, development: true, force: false));
    }

    [Fact]
    public void A_key_not_anchored_never_issues_with_a_ledger()
    {
        var pending = Row(new KeyWindow(1000, 1100, 1400), KeyAnchoring.Pending);
        Assert.Equal(KeyPhase.Pending, KeySchedule.PhaseAt(pending, 1050, development: false));
        Assert.Null(KeySchedule.IssuingAt([pending], 1050, development: false));
        Assert.Same(pending, KeySchedule.IssuingAt([pending], 1050, development: true));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Rotating_every_few_seconds_keeps_exactly_one_issuing_key_at_every_second_without_a_gap(bool development)
    {
        var keys = new List<TokenKeyRow>();
        var start = 10_000L;
        var firstUsable = development ? start : start + 25;
        for (var now = start; now < start + 1_000; now++)
        {
            if (now == start || now % 7 == 0)
            {
                if (KeySchedule.PlanNext(keys, now, Policy, development, force: false) is { } plan)
                {
                    keys.Add(Row(plan));
                }
            }

            var issuing = keys.Count(k => KeySchedule.PhaseAt(k, now, development) == KeyPhase.Issuing);
            Assert.True(issuing <= 1, $"{issuing} keys issue at {now}");
            if (now >= firstUsable)
            {
                Assert.True(issuing == 1, $"no key issues at {now}");
            }
        }

        var ordered = keys.OrderBy(k => k.UsableFrom).ToList();
        Assert.True(ordered.Count >= 9);
        for (var i = 1; i < ordered.Count; i++)
        {
            Assert.Equal(ordered[i - 1].IssueUntil, ordered[i].UsableFrom);
        }
    }

    [Fact]
    public void Short_windows_are_accepted_only_on_the_devnet()
    {
        KeyWindowPolicy.Production.Validate(devnet: false);
        KeyWindowPolicy.Devnet.Validate(devnet: true);
        Assert.Contains("--devnet", Assert.Throws<ArgumentException>(() => KeyWindowPolicy.Devnet.Validate(devnet: false)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => (KeyWindowPolicy.Production with { IssueWindow = TimeSpan.FromDays(29) }).Validate(devnet: false));
        Assert.Throws<ArgumentException>(() => (KeyWindowPolicy.Production with { RedeemWindow = TimeSpan.FromDays(89) }).Validate(devnet: false));
        Assert.Throws<ArgumentException>(() => (KeyWindowPolicy.Production with { UsableDelay = TimeSpan.FromHours(23) }).Validate(devnet: false));
        Assert.Throws<ArgumentException>(() => (KeyWindowPolicy.Devnet with { RotateAhead = TimeSpan.FromSeconds(1) }).Validate(devnet: true));
        Assert.Equal(KeyWindowPolicy.Production, KeyWindowPolicy.Deserialize(KeyWindowPolicy.Production.Serialize()));
    }
}
