using System.Numerics;
using System.Text.Json.Nodes;
using SimpleXLedger.Chain.Services;
using SimpleXLedger.Devnet.Reporting;
using SimpleXLedger.Devnet.Scenarios;
using Spectre.Console;
using Spectre.Console.Testing;

namespace SimpleXLedger.Devnet.Tests.Reporting;

public class SmokeReportTests
{
    private static readonly Party Vendor = new("vendor", "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65");
    private static readonly Party Operator = new("operator A", "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc");
    private static readonly Party Ledger = new("ledger (escrow)", "0xe7f1725e7734ce288f8367e1bb143e90bb3f0512");

    [Fact]
    public void The_json_holds_every_field_the_devnet_promises_with_amounts_as_decimal_strings()
    {
        var report = Report(StepStatus.Passed, conservationOk: true);

        var json = JsonNode.Parse(report.ToJson().ToJsonString())!.AsObject();

        Assert.True(json["ok"]!.GetValue<bool>());
        var epoch = json["epochs"]![0]!;
        Assert.Equal(3UL, epoch["epoch"]!.GetValue<ulong>());
        Assert.Equal("0x" + new string('a', 64), epoch["root"]!.GetValue<string>());
        Assert.Equal(61_000UL, epoch["anchorGas"]!.GetValue<ulong>());
        var leaf = epoch["leaves"]![0]!;
        Assert.Equal("123456789012345678901234567890", leaf["amount"]!.GetValue<string>());
        Assert.Equal("operator", leaf["kind"]!.GetValue<string>());
        var claim = epoch["claims"]![0]!;
        Assert.Equal(Operator.Address, claim["payee"]!.GetValue<string>());
        Assert.Equal("123456789012345678901234567890", claim["amount"]!.GetValue<string>());
        Assert.Equal(55_000UL, claim["gas"]!.GetValue<ulong>());
        Assert.Equal("600", json["vendors"]![0]!["share"]!.GetValue<string>());
        Assert.Equal("600", json["vendors"]![0]!["withdrawn"]!.GetValue<string>());
        Assert.Equal(300, json["tokens"]!["issued"]!.GetValue<long>());
        Assert.Equal(1, json["tokens"]!["rejectedDoubleSpend"]!.GetValue<long>());
        Assert.Equal(10, json["messages"]!["received"]!.GetValue<long>());
        var conservation = json["conservation"]!;
        Assert.True(conservation["ok"]!.GetValue<bool>());
        Assert.Equal("0", conservation["sumOfDeltas"]!.GetValue<string>());
        Assert.Equal("1000", conservation["escrowReceived"]!.GetValue<string>());
        Assert.Equal(3, conservation["parties"]!.AsArray().Count);
    }

    [Fact]
    public void A_failed_step_or_unbalanced_books_fail_the_report_and_a_left_out_step_only_makes_it_incomplete()
    {
        Assert.False(Report(StepStatus.Failed, conservationOk: true).Passed);
        Assert.False(Report(StepStatus.Passed, conservationOk: false).Passed);
        var leftOut = Report(StepStatus.NotYetAvailable, conservationOk: true);
        Assert.True(leftOut.Passed);
        Assert.False(leftOut.Complete);
        Assert.Equal("notYetAvailable", leftOut.ToJson()["steps"]![0]!["status"]!.GetValue<string>());
    }

    [Fact]
    public void The_summary_names_the_parties_and_shows_amounts_in_dollars()
    {
        var console = new TestConsole { EmitAnsiSequences = false };
        console.Profile.Width = 200;

        Report(StepStatus.Passed, conservationOk: true).Render(console);

        Assert.Contains("operator A", console.Output, StringComparison.Ordinal);
        Assert.Contains("Payouts", console.Output, StringComparison.Ordinal);
        Assert.Contains("0.000600", console.Output, StringComparison.Ordinal);
        Assert.Contains("Everything held.", console.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Dollars_have_six_decimals_and_keep_their_sign()
    {
        Assert.Equal("0.007500", SmokeReport.Dollars(7500));
        Assert.Equal("1,000,000.000000", SmokeReport.Dollars(BigInteger.Parse("1000000000000", System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal("-0.800000", SmokeReport.Dollars(-800_000));
    }

    private static SmokeReport Report(StepStatus status, bool conservationOk)
    {
        var amount = BigInteger.Parse("123456789012345678901234567890", System.Globalization.CultureInfo.InvariantCulture);
        var epoch = new EpochResult(3, "0x" + new string('a', 64), "0x" + new string('b', 64), 61_000, [new LeafResult(Operator.Address, amount, "operator")]);
        epoch.Claims.Add(new ClaimResult(Operator.Address, amount, "0x" + new string('c', 64), 55_000));
        var parties = new[] { Vendor, Operator, Ledger };
        var books = new EscrowAccounts(1000, 0, 600, 0, 0, 400, 0, 0, 400);
        var before = new BalanceSnapshot(new Dictionary<string, BigInteger> { [Vendor.Name] = 5000, [Operator.Name] = 0, [Ledger.Name] = 0 }, books);
        var after = new BalanceSnapshot(new Dictionary<string, BigInteger> { [Vendor.Name] = 4600, [Operator.Name] = 0, [Ledger.Name] = conservationOk ? 400 : 399 }, books);
        var expected = new Dictionary<string, BigInteger> { [Vendor.Name] = -400, [Ledger.Name] = 400 };
        return new SmokeReport
        {
            Steps = [new StepRecord("a step", status, "detail", 1.5)],
            Epochs = [epoch],
            Vendors = [new VendorResult(Vendor.Address, 600, 600)],
            Tokens = new TokenCounts(300, 7, 7, 1),
            Messages = new MessageCounts(10, 10),
            Conservation = ConservationResult.Compare(parties, before, after, expected, []),
            Network = new NetworkDescription("http://127.0.0.1:1", Ledger.Address, "http://127.0.0.1:2", "sxl://x@127.0.0.1:3", ["sxl://y@127.0.0.1:4"], "/tmp/x"),
            Names = parties.ToDictionary(p => p.Address, p => p.Name, StringComparer.OrdinalIgnoreCase),
        };
    }
}
