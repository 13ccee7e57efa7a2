using System.Globalization;
using System.Numerics;
using System.Text.Json.Nodes;
using SimpleXLedger.Devnet.Tests.Support;
using SimpleXLedger.Testing;

namespace SimpleXLedger.Devnet.Tests.EndToEnd;

/// <summary>
/// The slow end-to-end test, run once: <c>sxl devnet --scenario smoke --exit --json</c> as a real child process
/// (Anvil, clearing house, issuer and two relays as its own children), its one JSON object checked field by field.
/// </summary>
[Collection(DevnetProcessesCollection.Name)]
public sealed class SmokeScenarioTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "sxl-devnet-smoke-" + Guid.NewGuid().ToString("N")[..8]);

    [Fact]
    public async Task The_smoke_scenario_settles_everything_to_the_last_unit_and_leaves_no_process_behind()
    {
        await using var devnet = ChildProcess.Start("dotnet", [RepositoryPaths.SxlDll, "devnet", "--scenario", "smoke", "--exit", "--json", "--data", _data]);

        var status = await devnet.WaitForExitAsync(TimeSpan.FromMinutes(6));

        // stdout is the JSON object and nothing else.
        var stdout = string.Join('\n', devnet.StandardOutput);
        var json = JsonNode.Parse(stdout)?.AsObject() ?? throw new InvalidOperationException($"no JSON on stdout:\n{devnet.AllOutput}");
        Assert.True(status == 0, $"exit status {status}\n{devnet.AllOutput}");
        Assert.True(json["ok"]!.GetValue<bool>(), stdout);

        Assert.True(json["complete"]!.GetValue<bool>(), stdout);
        Assert.All(json["steps"]!.AsArray(), step => Assert.True(step!["status"]!.GetValue<string>() == "passed", $"step '{step["name"]}': {step["status"]} ({step["detail"]})"));

        // Tokens: two wallets of 100; each paid a queue (1) and one top-up step (2).
        var tokens = json["tokens"]!;
        Assert.True(tokens["issued"]!.GetValue<long>() >= 200, tokens.ToJsonString());
        Assert.True(tokens["spent"]!.GetValue<long>() >= 6, tokens.ToJsonString());
        Assert.True(tokens["spent"]!.GetValue<long>() <= tokens["issued"]!.GetValue<long>(), tokens.ToJsonString());
        // Every token a relay accepted was redeemed exactly once network-wide; the copy tried at the second relay was refused.
        Assert.Equal(tokens["spent"]!.GetValue<long>(), tokens["redeemed"]!.GetValue<long>());
        Assert.Equal(1, tokens["rejectedDoubleSpend"]!.GetValue<long>());
        Assert.Equal(10, json["messages"]!["sent"]!.GetValue<long>());
        Assert.Equal(10, json["messages"]!["received"]!.GetValue<long>());

        var vendor = Assert.Single(json["vendors"]!.AsArray())!;
        Assert.True(Amount(vendor["share"]) > 0);
        Assert.Equal(Amount(vendor["share"]), Amount(vendor["withdrawn"]));

        AssertTurn(json);
        AssertEpochs(json);
        AssertConservation(json["conservation"]!);

        // No process of this devnet outlives it: every service had the data directory on its command line.
        Assert.Empty(await ProcessTable.WaitAllGoneAsync(ProcessTable.Matching(_data).Select(p => p.Pid), TimeSpan.FromSeconds(10)));
    }

    /// <summary>
    /// With coturn installed (the test command installs it) the devnet runs it and `sxl turn serve`: one token bought
    /// TURN credentials that coturn's own client allocated a relay with, and the epoch paid that token to operator A.
    /// Without coturn the report says how to install it and the books still balance.
    /// </summary>
    private static void AssertTurn(JsonObject json)
    {
        var turn = json["turn"]!.AsObject();
        var installed = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').Any(d => File.Exists(Path.Combine(d, "turnserver")));
        Assert.Equal(installed, turn["available"]!.GetValue<bool>());
        if (!installed)
        {
            Assert.Contains("apt-get install coturn", turn["missing"]!.GetValue<string>(), StringComparison.Ordinal);
            return;
        }

        Assert.True(turn["allocated"]!.GetValue<bool>(), turn.ToJsonString());
        Assert.Equal(1, turn["tokensPaid"]!.GetValue<int>());
        Assert.Equal(3600, turn["paidSeconds"]!.GetValue<long>());
        Assert.StartsWith("sxl://", turn["service"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.StartsWith("turn:127.0.0.1:", turn["coturn"]!.GetValue<string>(), StringComparison.Ordinal);
        // Never the credential: only what it cost and when it expires.
        Assert.Null(turn["username"]);
        Assert.Null(turn["credential"]);
        var check = json["conservation"]!["checks"]!.AsArray().Single(c => c!["name"]!.GetValue<string>() == "the TURN token paid to the TURN operator in the epoch")!;
        Assert.True(check["ok"]!.GetValue<bool>(), check.ToJsonString());
    }

    private static void AssertEpochs(JsonObject json)
    {
        var epochs = json["epochs"]!.AsArray();
        Assert.NotEmpty(epochs);
        var operatorTokens = BigInteger.Zero;
        foreach (var epoch in epochs)
        {
            Assert.Matches("^0x[0-9a-f]{64}$", epoch!["root"]!.GetValue<string>());
            Assert.Matches("^0x[0-9a-f]{64}$", epoch["anchorTx"]!.GetValue<string>());
            Assert.True(epoch["anchorGas"]!.GetValue<ulong>() > 0);
            var leaves = epoch["leaves"]!.AsArray().Select(l => l!).ToList();
            Assert.NotEmpty(leaves);
            // One leaf per payee.
            Assert.Equal(leaves.Count, leaves.Select(l => l["payee"]!.GetValue<string>().ToLowerInvariant()).Distinct().Count());
            Assert.All(leaves, l => Assert.Contains(l["kind"]!.GetValue<string>(), new[] { "operator", "fee" }));
            Assert.Contains(leaves, l => l["kind"]!.GetValue<string>() == "fee");
            operatorTokens += leaves.Where(l => l["kind"]!.GetValue<string>() == "operator").Aggregate(BigInteger.Zero, (sum, l) => sum + Amount(l["amount"]));
            // Every non-zero leaf was claimed, by the claim of its own payee.
            Assert.Equal(leaves.Count(l => Amount(l["amount"]) > 0), epoch["claims"]!.AsArray().Count);
            foreach (var claim in epoch["claims"]!.AsArray())
            {
                var leaf = leaves.Single(l => string.Equals(l["payee"]!.GetValue<string>(), claim!["payee"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase));
                Assert.Equal(Amount(leaf["amount"]), Amount(claim!["amount"]));
                Assert.Matches("^0x[0-9a-f]{64}$", claim["tx"]!.GetValue<string>());
                Assert.True(claim["gas"]!.GetValue<ulong>() > 0);
            }
        }

        // The operators were paid the devnet's operator rate (7,500 units) for each token redeemed, to the unit.
        Assert.Equal(new BigInteger(7_500) * json["tokens"]!["redeemed"]!.GetValue<long>(), operatorTokens);
    }

    private static void AssertConservation(JsonNode conservation)
    {
        Assert.True(conservation["ok"]!.GetValue<bool>(), conservation.ToJsonString());
        Assert.True(conservation["booksBalance"]!.GetValue<bool>());
        Assert.True(conservation["tokenBalanceMatches"]!.GetValue<bool>());
        Assert.Equal(BigInteger.Zero, Amount(conservation["sumOfDeltas"]));
        // The ledger's own terms, recomputed here: received = vendor balances + withdrawn + claims + allocated + unallocated.
        Assert.Equal(
            Amount(conservation["escrowReceived"]),
            Amount(conservation["vendorBalances"]) + Amount(conservation["vendorWithdrawn"]) + Amount(conservation["claimsPaid"])
                + Amount(conservation["allocatedUnclaimed"]) + Amount(conservation["unallocated"]));
        var parties = conservation["parties"]!.AsArray();
        Assert.True(parties.Count >= 10);
        Assert.All(parties, p => Assert.Equal(Amount(p!["expectedDelta"]), Amount(p["after"]) - Amount(p["before"])));
        Assert.Equal(BigInteger.Zero, parties.Aggregate(BigInteger.Zero, (sum, p) => sum + Amount(p!["delta"])));
    }

    private static BigInteger Amount(JsonNode? node) => BigInteger.Parse(node!.GetValue<string>(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

    public void Dispose()
    {
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }
}
