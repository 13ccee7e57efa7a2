using System.Text.Json.Nodes;
using SimpleXLedger.Audit.Faults;
using SimpleXLedger.Testing;

namespace SimpleXLedger.Audit.Tests.Faults;

/// <summary>The fault plan is the seed's: replayable, complete (every labelled fault, always), sized by the audit's size.</summary>
public sealed class FaultPlanTests
{
    [Fact]
    public void The_same_seed_gives_the_same_plan_and_another_seed_another()
    {
        var a = FaultPlan.Create(42, 200);
        var b = FaultPlan.Create(42, 200);
        Assert.Equal(a.RandomKills, b.RandomKills);
        Assert.Equal((a.DepositRelay, a.SendRelay, a.Users), (b.DepositRelay, b.SendRelay, b.Users));

        var others = Enumerable.Range(1, 5).Select(s => FaultPlan.Create((ulong)s, 200)).ToList();
        Assert.Contains(others, o => o.RandomKills.Zip(a.RandomKills).Any(p => p.First != p.Second));
    }

    [Fact]
    public void A_short_plan_keeps_every_labelled_fault_and_the_chain_outage_and_has_fewer_random_kills()
    {
        var full = FaultPlan.Create(7, 200);
        var brief = FaultPlan.Create(7, 40);
        Assert.Equal(8, full.RandomKills.Count);
        Assert.Single(brief.RandomKills);
        Assert.Equal(20, full.Users);
        Assert.Equal(4, brief.Users);
        Assert.Contains(CutMode.AfterForwarding, brief.ChainCuts);
        Assert.Equal([CutMode.AfterForwarding, CutMode.BeforeForwarding], full.ChainCuts);
        Assert.Equal(CrashLabels.All.Count + brief.ChainCuts.Count + 1 + brief.RandomKills.Count, brief.Count);
        Assert.Equal(5, FaultPlan.Create(7, 40, kills: 5).RandomKills.Count);
    }

    [Fact]
    public void Random_kills_hit_real_services_within_the_first_seconds_of_their_round()
    {
        var kills = Enumerable.Range(1, 20).SelectMany(s => FaultPlan.Create((ulong)s, 200).RandomKills).ToList();
        Assert.All(kills, k => Assert.Contains(k.Service, FaultPlan.Services));
        Assert.All(kills, k => Assert.InRange(k.After, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(3)));
        Assert.Equal(FaultPlan.Services.Order(), kills.Select(k => k.Service).Distinct().Order());
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8], FaultPlan.Create(3, 200).RandomKills.Select(k => k.Round));
    }

    [Fact]
    public void The_deposit_and_send_faults_are_on_different_relays()
    {
        var plans = Enumerable.Range(1, 10).Select(s => FaultPlan.Create((ulong)s, 40)).ToList();
        Assert.All(plans, p => Assert.Equal(1, p.DepositRelay + p.SendRelay));
        Assert.Equal(2, plans.Select(p => p.DepositRelay).Distinct().Count());
    }

    /// <summary>Each label the plan arms is a crash point some service reaches (a renamed label would never fire).</summary>
    [Fact]
    public void Every_label_is_a_crash_point_in_the_services_source()
    {
        var sources = new[] { "src", "relay" }
            .SelectMany(d => Directory.EnumerateFiles(Path.Combine(RepositoryPaths.Root, d), "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}Devnet{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(File.ReadAllText)
            .Where(t => t.Contains("CrashPoint.Reach(", StringComparison.Ordinal))
            .ToList();
        Assert.All(CrashLabels.All, label => Assert.Contains(sources, t => t.Contains($"\"{label}\"", StringComparison.Ordinal)));
    }

    [Fact]
    public void A_fault_is_survived_only_when_injected_and_every_check_held_and_the_section_only_when_every_planned_fault_was()
    {
        var plan = FaultPlan.Create(1, 40, kills: 0);
        var result = new FaultsResult { Plan = plan };
        foreach (var name in Enumerable.Range(0, plan.Count).Select(i => $"fault {i}"))
        {
            var f = new FaultRecord(name, "relay-a", "SXL_CRASH_AT=x") { Injected = true, ExitStatus = 137 };
            f.Check("held", true, "");
            result.Faults.Add(f);
        }

        result.Checks.Add(new FaultCheck("books", true, ""));
        Assert.True(result.Passed);

        var notInjected = new FaultRecord("x", "issuer", "kill -9 after 1 s");
        notInjected.Check("held", true, "");
        Assert.False(notInjected.Survived);

        result.Faults[0].Check("a check that failed", false, "detail");
        Assert.False(result.Faults[0].Survived);
        Assert.False(result.Passed);
        var json = result.ToJson();
        Assert.Equal(plan.Count, json["injected"]!.GetValue<int>());
        Assert.Equal(plan.Count - 1, json["survived"]!.GetValue<int>());
        Assert.False(json["ok"]!.GetValue<bool>());
        Assert.Equal(plan.Count, json["perFault"]!.AsArray().Count);
        Assert.False(json["perFault"]![0]!["survived"]!.GetValue<bool>());
    }

    [Fact]
    public void A_section_missing_a_planned_fault_does_not_pass()
    {
        var plan = FaultPlan.Create(1, 40, kills: 0);
        var result = new FaultsResult { Plan = plan };
        var f = new FaultRecord("only one", "issuer", "SXL_CRASH_AT=x") { Injected = true };
        f.Check("held", true, "");
        result.Faults.Add(f);
        result.Checks.Add(new FaultCheck("books", true, ""));
        Assert.False(result.Passed);
        Assert.IsType<JsonObject>(result.ToJson());
    }
}
