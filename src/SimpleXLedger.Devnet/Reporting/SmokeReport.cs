using System.Globalization;
using System.Numerics;
using System.Text.Json.Nodes;
using SimpleXLedger.Devnet.Scenarios;
using Spectre.Console;

namespace SimpleXLedger.Devnet.Reporting;

/// <summary>One leaf of an epoch's payout tree: one per payee; an operator's earnings or the fee.</summary>
public sealed record LeafResult(string Payee, BigInteger Amount, string Kind);

/// <summary>A claim of a leaf on-chain.</summary>
public sealed record ClaimResult(string Payee, BigInteger Amount, string Tx, ulong Gas);

/// <summary>A settlement epoch as closed and anchored, with its claims.</summary>
public sealed record EpochResult(ulong Epoch, string Root, string AnchorTx, ulong AnchorGas, IReadOnlyList<LeafResult> Leaves)
{
    public List<ClaimResult> Claims { get; } = [];
}

/// <summary>A vendor's share of what it sold (credited at funding) and what it withdrew.</summary>
public sealed record VendorResult(string Vendor, BigInteger Share, BigInteger Withdrawn);

/// <summary>Tokens through the network: issued by the issuer, spent at relays, redeemed at the clearing house, and the one tried twice.</summary>
public sealed record TokenCounts(long Issued, long Spent, long Redeemed, long RejectedDoubleSpend);

public sealed record MessageCounts(long Sent, long Received);

/// <summary>
/// TURN in the smoke run: whether coturn ran (and if not, how to install it), the credential service and coturn's URL,
/// the tokens paid, the seconds they bought and when the credential expires. Never the credential itself.
/// </summary>
public sealed record TurnResult(bool Available, string? Missing, string? Service, string? Coturn, int TokensPaid, long PaidSeconds, DateTimeOffset? Expires)
{
    /// <summary>Set when turnutils_uclient allocated a relay with the bought credentials (and coturn refused a forged one).</summary>
    public bool Allocated => Available && Expires is not null;
}

/// <summary>Where the network ran (for the summary and the JSON).</summary>
public sealed record NetworkDescription(string Rpc, string Ledger, string Issuer, string Clearing, IReadOnlyList<string> Relays, string DataDirectory);

/// <summary>The smoke scenario's findings: its steps, the epochs and payouts, vendors, counts and conservation.</summary>
public sealed class SmokeReport : ScenarioReport
{
    public required IReadOnlyList<StepRecord> Steps { get; init; }

    public required IReadOnlyList<EpochResult> Epochs { get; init; }

    public required IReadOnlyList<VendorResult> Vendors { get; init; }

    public required TokenCounts Tokens { get; init; }

    public required MessageCounts Messages { get; init; }

    /// <summary>Null when the run stopped before the books could be compared.</summary>
    public ConservationResult? Conservation { get; init; }

    public required NetworkDescription Network { get; init; }

    /// <summary>What an operator earns per token (to show leaves as token counts); zero when unknown.</summary>
    public BigInteger OperatorRate { get; init; }

    /// <summary>TURN in this run; null when its step did not get to run.</summary>
    public TurnResult? Turn { get; init; }

    /// <summary>Names of dev addresses (for the summary); unknown addresses print as themselves.</summary>
    public IReadOnlyDictionary<string, string> Names { get; init; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Every step that ran passed or was left out for a missing piece; conservation held.</summary>
    public override bool Passed => !Steps.Any(s => s.Status is StepStatus.Failed) && Conservation is { Ok: true };

    /// <summary>Every step ran and passed (none left out).</summary>
    public bool Complete => Steps.All(s => s.Status == StepStatus.Passed);

    public override JsonObject ToJson()
    {
        var json = new JsonObject
        {
            ["scenario"] = "smoke",
            ["ok"] = Passed,
            ["complete"] = Complete,
            ["steps"] = new JsonArray([.. Steps.Select(s => (JsonNode)new JsonObject
            {
                ["name"] = s.Name,
                ["status"] = JsonNamingStatus(s.Status),
                ["detail"] = s.Detail,
                ["seconds"] = Math.Round(s.Seconds, 3),
            })]),
            ["epochs"] = new JsonArray([.. Epochs.Select(e => (JsonNode)new JsonObject
            {
                ["epoch"] = e.Epoch,
                ["root"] = e.Root,
                ["anchorTx"] = e.AnchorTx,
                ["anchorGas"] = e.AnchorGas,
                ["leaves"] = new JsonArray([.. e.Leaves.Select(l => (JsonNode)new JsonObject
                {
                    ["payee"] = l.Payee,
                    ["amount"] = l.Amount.ToString(CultureInfo.InvariantCulture),
                    ["kind"] = l.Kind,
                })]),
                ["claims"] = new JsonArray([.. e.Claims.Select(c => (JsonNode)new JsonObject
                {
                    ["payee"] = c.Payee,
                    ["amount"] = c.Amount.ToString(CultureInfo.InvariantCulture),
                    ["tx"] = c.Tx,
                    ["gas"] = c.Gas,
                })]),
            })]),
            ["vendors"] = new JsonArray([.. Vendors.Select(v => (JsonNode)new JsonObject
            {
                ["vendor"] = v.Vendor,
                ["share"] = v.Share.ToString(CultureInfo.InvariantCulture),
                ["withdrawn"] = v.Withdrawn.ToString(CultureInfo.InvariantCulture),
            })]),
            ["tokens"] = new JsonObject
            {
                ["issued"] = Tokens.Issued,
                ["spent"] = Tokens.Spent,
                ["redeemed"] = Tokens.Redeemed,
                ["rejectedDoubleSpend"] = Tokens.RejectedDoubleSpend,
            },
            ["messages"] = new JsonObject { ["sent"] = Messages.Sent, ["received"] = Messages.Received },
            ["turn"] = Turn is not { } turn ? null : new JsonObject
            {
                ["available"] = turn.Available,
                ["missing"] = turn.Missing,
                ["service"] = turn.Service,
                ["coturn"] = turn.Coturn,
                ["tokensPaid"] = turn.TokensPaid,
                ["paidSeconds"] = turn.PaidSeconds,
                ["expires"] = turn.Expires?.ToString("u", CultureInfo.InvariantCulture),
                ["allocated"] = turn.Allocated,
            },
            ["conservation"] = ConservationJson(),
            ["network"] = new JsonObject
            {
                ["rpc"] = Network.Rpc,
                ["ledger"] = Network.Ledger,
                ["issuer"] = Network.Issuer,
                ["clearing"] = Network.Clearing,
                ["relays"] = new JsonArray([.. Network.Relays.Select(r => (JsonNode)r)]),
                ["dataDirectory"] = Network.DataDirectory,
            },
        };
        return json;
    }

    public override void Render(IAnsiConsole console)
    {
        ArgumentNullException.ThrowIfNull(console);
        console.Write(new Rule("[bold]SimpleXLedger devnet — smoke scenario[/]").LeftJustified());
        var paid = Epochs.Any(e => e.Claims.Count > 0);
        console.MarkupLine("A vendor funded gift cards; two users turned them into tokens nobody can trace back to the cards and used two relays with them"
            + (paid ? "; the relay operators were paid from escrow for the tokens they took, and the vendor took its share." : "."));
        console.WriteLine();

        var steps = new Table().Border(TableBorder.Rounded).AddColumns(Column(""), Column("step"), Column("what happened"), Column("s").RightAligned());
        foreach (var s in Steps)
        {
            steps.AddRow(Icon(s.Status), Markup.Escape(s.Name), Markup.Escape(s.Detail), s.Seconds.ToString("0.0", CultureInfo.InvariantCulture));
        }

        console.Write(steps);

        if (Epochs.Count > 0)
        {
            var payouts = new Table().Border(TableBorder.Rounded).Title("[bold]Payouts[/] (test dollars, 6 decimals)")
                .AddColumns(Column("epoch"), Column("payee"), Column("kind"), Column("tokens").RightAligned(), Column("amount").RightAligned(), Column("claimed in"), Column("gas").RightAligned());
            foreach (var e in Epochs)
            {
                foreach (var leaf in e.Leaves)
                {
                    var claim = e.Claims.FirstOrDefault(c => string.Equals(c.Payee, leaf.Payee, StringComparison.OrdinalIgnoreCase));
                    payouts.AddRow(
                        e.Epoch.ToString(CultureInfo.InvariantCulture),
                        Markup.Escape(NameOf(leaf.Payee)),
                        leaf.Kind,
                        leaf.Kind == "operator" && !OperatorRate.IsZero ? (leaf.Amount / OperatorRate).ToString(CultureInfo.InvariantCulture) : "",
                        Dollars(leaf.Amount),
                        claim is null ? "[yellow]unclaimed[/]" : Markup.Escape(Short(claim.Tx)),
                        claim?.Gas.ToString("N0", CultureInfo.InvariantCulture) ?? "");
                }

                payouts.AddRow($"[grey]{e.Epoch}[/]", "[grey]root[/]", "", "", "", $"[grey]{Markup.Escape(Short(e.Root))} anchored in {Markup.Escape(Short(e.AnchorTx))}[/]", $"[grey]{e.AnchorGas:N0}[/]");
            }

            console.Write(payouts);
        }

        if (Vendors.Count > 0)
        {
            var vendors = new Table().Border(TableBorder.Rounded).Title("[bold]Vendors[/]").AddColumns(Column("vendor"), Column("share").RightAligned(), Column("withdrawn").RightAligned());
            foreach (var v in Vendors)
            {
                vendors.AddRow(Markup.Escape(NameOf(v.Vendor)), Dollars(v.Share), Dollars(v.Withdrawn));
            }

            console.Write(vendors);
        }

        console.MarkupLine($"Tokens: [bold]{Tokens.Issued}[/] issued, [bold]{Tokens.Spent}[/] spent at relays, [bold]{Tokens.Redeemed}[/] redeemed at the clearing house, [bold]{Tokens.RejectedDoubleSpend}[/] refused as a double spend (the rest stay in the wallets for later: tokens are fetched ahead of use).");
        console.MarkupLine($"Messages: [bold]{Messages.Sent}[/] sent, [bold]{Messages.Received}[/] received.");
        if (Turn is { Available: false } noTurn)
        {
            console.MarkupLine($"TURN: [yellow]not run[/]: {Markup.Escape(noTurn.Missing ?? "coturn is not installed")}");
        }
        else if (Turn is { } turn)
        {
            console.MarkupLine($"TURN: [bold]{turn.TokensPaid}[/] token bought {turn.PaidSeconds / 60} min of TURN at {Markup.Escape(turn.Coturn ?? "")}; turnutils_uclient allocated a relay: {(turn.Allocated ? "[green]yes[/]" : "[red]no[/]")}.");
        }

        if (Conservation is { } c)
        {
            console.MarkupLine("Every test dollar is accounted for: the ledger's own books, and each party's balance before and after against what the scenario did.");
            var books = new Table().Border(TableBorder.Rounded).Title("[bold]Conservation[/] (to the last unit)").AddColumns("", "check", "detail");
            foreach (var check in c.Checks)
            {
                books.AddRow(check.Ok ? "[green]✓[/]" : "[red]✗[/]", Markup.Escape(check.Name), Markup.Escape(check.Detail));
            }

            console.Write(books);
        }

        var left = Steps.Where(s => s.Status == StepStatus.NotYetAvailable).Select(s => s.Name).ToList();
        console.MarkupLine(Passed
            ? Complete ? "[green bold]Everything held.[/]" : $"[yellow bold]Everything that ran held[/]; left out until their pieces land: {Markup.Escape(string.Join(", ", left))}."
            : "[red bold]Something did not hold[/]: see the ✗ lines above.");
    }

    private JsonNode ConservationJson()
    {
        if (Conservation is not { } c)
        {
            return new JsonObject { ["ok"] = false, ["detail"] = "not computed: the scenario stopped before the final balances" };
        }

        var l = c.Ledger;
        return new JsonObject
        {
            ["ok"] = c.Ok,
            ["escrowReceived"] = l.EscrowReceived.ToString(CultureInfo.InvariantCulture),
            ["vendorBalances"] = l.VendorBalances.ToString(CultureInfo.InvariantCulture),
            ["vendorWithdrawn"] = l.VendorWithdrawn.ToString(CultureInfo.InvariantCulture),
            ["claimsPaid"] = l.ClaimsPaid.ToString(CultureInfo.InvariantCulture),
            ["allocatedUnclaimed"] = l.AllocatedUnclaimed.ToString(CultureInfo.InvariantCulture),
            ["unallocated"] = l.Unallocated.ToString(CultureInfo.InvariantCulture),
            ["bondsHeld"] = l.BondsHeld.ToString(CultureInfo.InvariantCulture),
            ["depositsHeld"] = l.DepositsHeld.ToString(CultureInfo.InvariantCulture),
            ["tokenBalance"] = l.TokenBalance.ToString(CultureInfo.InvariantCulture),
            ["booksBalance"] = l.BooksBalance,
            ["tokenBalanceMatches"] = l.TokenBalanceMatches,
            ["sumOfDeltas"] = c.SumOfDeltas.ToString(CultureInfo.InvariantCulture),
            ["parties"] = new JsonArray([.. c.Parties.Select(p => (JsonNode)new JsonObject
            {
                ["party"] = p.Party,
                ["address"] = p.Address,
                ["before"] = p.Before.ToString(CultureInfo.InvariantCulture),
                ["after"] = p.After.ToString(CultureInfo.InvariantCulture),
                ["delta"] = p.Delta.ToString(CultureInfo.InvariantCulture),
                ["expectedDelta"] = p.Expected.ToString(CultureInfo.InvariantCulture),
                ["ok"] = p.Ok,
            })]),
            ["checks"] = new JsonArray([.. c.Checks.Select(k => (JsonNode)new JsonObject { ["name"] = k.Name, ["ok"] = k.Ok, ["detail"] = k.Detail })]),
        };
    }

    private static TableColumn Column(string header) => new(header);

    private static string JsonNamingStatus(StepStatus status) => status switch
    {
        StepStatus.Passed => "passed",
        StepStatus.Failed => "failed",
        StepStatus.NotYetAvailable => "notYetAvailable",
        _ => "skipped",
    };

    private static string Icon(StepStatus status) => status switch
    {
        StepStatus.Passed => "[green]✓[/]",
        StepStatus.Failed => "[red]✗[/]",
        StepStatus.NotYetAvailable => "[yellow]…[/]",
        _ => "[grey]-[/]",
    };

    private string NameOf(string address) => Names.TryGetValue(address, out var name) ? $"{name} ({Short(address)})" : address;

    private static string Short(string hex) => hex.Length > 14 ? hex[..10] + "…" + hex[^4..] : hex;

    /// <summary>Test dollars have 6 decimals: 7500 units print as 0.007500.</summary>
    internal static string Dollars(BigInteger units) => Money.Dollars(units);
}
