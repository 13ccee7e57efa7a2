using System.Globalization;
using System.Text.Json.Nodes;
using SimpleXLedger.Audit;
using SimpleXLedger.Audit.Faults;
using SimpleXLedger.Audit.Fuzz;
using SimpleXLedger.Devnet.Tests.Support;
using SimpleXLedger.Testing;

namespace SimpleXLedger.Audit.Tests;

/// <summary>
/// The privacy audit's short run, once, as a real process: <c>sxl-audit --exit --json</c> with 40
/// users per population and a 20-second soak of 8 users (the full run has 200 and 120 s of 32; same code path), a fixed
/// seed so a failure replays.
/// </summary>
public sealed class AuditScenarioTests : IDisposable
{
    private const int Users = 40;
    private const ulong Seed = 20261127;

    /// <summary>Fuzz cases in the short run (the full run has 100000; same code path).</summary>
    private const long FuzzCases = 3000;
    private const int SoakSeconds = 20;
    private const int SoakUsers = 8;

    private readonly string _data = Path.Combine(Path.GetTempPath(), "sxl-devnet-audit-" + Guid.NewGuid().ToString("N")[..8]);

    [Fact]
    public async Task The_adversary_links_careless_wallets_but_not_careful_ones_and_nothing_secret_is_shared_or_logged()
    {
        await using var devnet = ChildProcess.Start(
            "dotnet",
            [
                RepositoryPaths.SxlAuditDll, "--exit", "--json", "--data", _data,
                "--seed", Seed.ToString(CultureInfo.InvariantCulture), "--soak-seconds", SoakSeconds.ToString(CultureInfo.InvariantCulture), "--soak-users", SoakUsers.ToString(CultureInfo.InvariantCulture),
            ],
            new Dictionary<string, string?>
            {
                [AuditScenario.UsersVariable] = Users.ToString(CultureInfo.InvariantCulture),
                [FuzzOptions.CasesVariable] = FuzzCases.ToString(CultureInfo.InvariantCulture),
            });

        var status = await devnet.WaitForExitAsync(TimeSpan.FromMinutes(12));
        var stdout = string.Join('\n', devnet.StandardOutput);
        var json = JsonNode.Parse(stdout)?.AsObject() ?? throw new InvalidOperationException($"no JSON on stdout:\n{devnet.AllOutput}");
        Assert.True(status == 0, $"exit status {status}\n{stdout}\n{devnet.AllOutput}");
        Assert.Equal(Seed.ToString(CultureInfo.InvariantCulture), json["seed"]!.GetValue<string>());
        Assert.All(json["steps"]!.AsArray(), s => Assert.True(s!["status"]!.GetValue<string>() == "passed", s.ToJsonString()));

        var adversary = json["adversary"]!;
        var accuracy = adversary["accuracy"]!.GetValue<double>();
        var chance = adversary["chance"]!.GetValue<double>();
        var margin = adversary["margin"]!.GetValue<double>();
        Assert.Equal(Users, adversary["users"]!.GetValue<int>());
        Assert.Equal(1.0 / Users, chance, 9);
        Assert.True(margin > 0);
        Assert.True(accuracy <= chance + margin, adversary.ToJsonString());
        Assert.True(adversary["controlAccuracy"]!.GetValue<double>() >= 0.9, adversary.ToJsonString());

        Assert.Equal(0, json["sharedValues"]!["count"]!.GetValue<int>());
        Assert.Equal(0, json["logLeaks"]!["count"]!.GetValue<int>());
        var faults = json["faults"]!;
        var perFault = faults["perFault"]!.AsArray();
        Assert.True(faults["ok"]!.GetValue<bool>(), faults.ToJsonString());
        Assert.Equal(faults["planned"]!.GetValue<int>(), faults["injected"]!.GetValue<int>());
        Assert.Equal(faults["injected"]!.GetValue<int>(), faults["survived"]!.GetValue<int>());
        Assert.All(CrashLabels.All, label => Assert.Contains(perFault, f => f!["how"]!.GetValue<string>() == $"SXL_CRASH_AT={label}" && f["survived"]!.GetValue<bool>() && f["exitStatus"]!.GetValue<int>() == 137));
        Assert.Contains(perFault, f => f!["service"]!.GetValue<string>() == "chain" && f["survived"]!.GetValue<bool>());
        Assert.Contains(perFault, f => f!["how"]!.GetValue<string>().StartsWith("kill -9", StringComparison.Ordinal) && f["survived"]!.GetValue<bool>() && f["exitStatus"]!.GetValue<int>() == 137);
        Assert.All(faults["checks"]!.AsArray(), c => Assert.True(c!["ok"]!.GetValue<bool>(), c.ToJsonString()));
        AssertSoak(json["soak"]!);
        AssertWire(json["wire"]!);

        AssertFuzz(json["fuzz"]!);
        Assert.Empty(await ProcessTable.WaitAllGoneAsync(ProcessTable.Matching(_data).Select(p => p.Pid), TimeSpan.FromSeconds(10)));
    }

    /// <summary>
    /// The proxies in front of every service saw the wallets' handshakes: none offered TLS resumption, and the careful
    /// wallets made a connection for every relay operation they promised one for.
    /// </summary>
    private static void AssertWire(JsonNode wire)
    {
        Assert.True(wire["ok"]!.GetValue<bool>(), wire.ToJsonString());
        Assert.Equal(0, wire["preSharedKeys"]!.GetValue<int>());
        Assert.Equal(0, wire["sessionTickets"]!.GetValue<int>());
        Assert.Equal(0, wire["freshReused"]!.GetValue<int>());
        Assert.True(wire["freshPromised"]!.GetValue<int>() > 0, wire.ToJsonString());
        var services = wire["services"]!.AsArray();
        foreach (var population in new[] { "careful", "control" })
        {
            foreach (var service in new[] { "relay-a", "relay-b", "issuer-grpc", "issuer-http", "clearing" })
            {
                Assert.Contains(services, s => s!["population"]!.GetValue<string>() == population && s["service"]!.GetValue<string>() == service);
            }
        }

        Assert.True(services.Where(s => s!["service"]!.GetValue<string>().StartsWith("relay-", StringComparison.Ordinal)).Sum(s => s!["clientHellos"]!.GetValue<int>()) > 0, wire.ToJsonString());
    }

    /// <summary>The soak ran with its users at both relays, lost no message, and its memory samples stayed within the bound.</summary>
    private static void AssertSoak(JsonNode soak)
    {
        Assert.Equal(SoakUsers, soak["users"]!.GetValue<int>());
        Assert.Equal(2, soak["relays"]!.GetValue<int>());
        Assert.InRange(soak["durationSeconds"]!.GetValue<double>(), SoakSeconds, SoakSeconds * 4);
        Assert.Equal(0, soak["failures"]!.GetValue<int>());
        Assert.True(soak["throughput"]!.GetValue<double>() > 0, soak.ToJsonString());
        Assert.InRange(soak["p50Ms"]!.GetValue<double>(), 0.001, soak["p99Ms"]!.GetValue<double>());
        var sent = soak["messages"]!["sent"]!.GetValue<long>();
        Assert.True(sent > 0);
        Assert.Equal(sent, soak["messages"]!["received"]!.GetValue<long>());
        var memory = soak["memory"]!;
        Assert.True(memory["bounded"]!.GetValue<bool>(), memory.ToJsonString());
        foreach (var service in new[] { "issuer", "clearing", "relay-a", "relay-b" })
        {
            // Resident memory of a .NET service process: tens of MiB at least, not a wrapper's.
            Assert.True(memory["start"]![service]!.GetValue<double>() > 20, memory.ToJsonString());
            Assert.True(memory["end"]![service]!.GetValue<double>() > 20, memory.ToJsonString());
        }

        Assert.True(memory["samples"]!.AsArray().Count >= 10, memory.ToJsonString());
    }

    /// <summary>The fuzz section: every endpoint of every service had cases; no crash, no untyped answer, no state change.</summary>
    private static void AssertFuzz(JsonNode fuzz)
    {
        Assert.True(fuzz["ok"]!.GetValue<bool>(), fuzz.ToJsonString());
        Assert.Equal(FuzzCases, fuzz["cases"]!.GetValue<long>());
        foreach (var figure in new[] { "crashes", "untypedErrors", "hangs", "leaks", "stateChanges", "logLeaks" })
        {
            Assert.True(fuzz[figure]!.GetValue<int>() == 0, $"{figure}: {fuzz.ToJsonString()}");
        }

        var endpoints = fuzz["perEndpoint"]!.AsObject();
        string[] expected =
        [
            "issuer.grpc/Redeem", "issuer.grpc/GetCard", "issuer.grpc/GetDirectory", "issuer.http/token-request", "issuer.http/other",
            "relay.grpc/Hello", "relay.grpc/Execute", "relay.grpc/Subscribe", "relay.grpc/Session",
            "clearing.grpc/Redeem", "clearing.grpc/RegisterOperator", "clearing.grpc/GetInfo", "settlement.grpc/GetEpoch",
            "raw.grpc/issuer", "raw.grpc/clearing", "raw.grpc/relay-a", "raw.grpc/relay-b",
        ];
        Assert.All(expected, e => Assert.True(endpoints.ContainsKey(e) && endpoints[e]!["refused"]!.GetValue<int>() > 0, $"{e}: {fuzz.ToJsonString()}"));

        // The TURN credential endpoint (the devnet runs coturn when it is installed, as the test command makes sure):
        // every bad token refused with a type, no credential granted.
        if ((Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').Any(d => File.Exists(Path.Combine(d, "turnserver"))))
        {
            var buy = endpoints["turn.grpc/Buy"]!;
            Assert.True(buy["refused"]!.GetValue<int>() > 0 && buy["accepted"]!.GetValue<int>() == 0 && buy["untyped"]!.GetValue<int>() == 0, buy.ToJsonString());
            var answers = buy["answers"]!.AsObject();
            Assert.Contains(answers, a => a.Key.Contains("TokenSpent", StringComparison.Ordinal));
            Assert.Contains(answers, a => a.Key.Contains("TokenRefused", StringComparison.Ordinal));
            Assert.True(endpoints.ContainsKey("turn.grpc/Info"), fuzz.ToJsonString());
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }
}
