using System.Numerics;
using SimpleXLedger.Chain.Devnet;
using SimpleXLedger.Chain.Services;

namespace SimpleXLedger.Devnet.Reporting;

/// <summary>One party whose test-dollar balance is followed: a dev account in its role, or the ledger contract itself.</summary>
public sealed record Party(string Name, string Address);

/// <summary>Every party's balance and the ledger's own books at one moment.</summary>
public sealed record BalanceSnapshot(IReadOnlyDictionary<string, BigInteger> Balances, EscrowAccounts Ledger)
{
    /// <summary>Reads every party's balance and the ledger's <c>accounts()</c>.</summary>
    public static async Task<BalanceSnapshot> TakeAsync(LedgerClient ledger, IEnumerable<Party> parties, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        var balances = new Dictionary<string, BigInteger>(StringComparer.Ordinal);
        foreach (var party in parties)
        {
            balances[party.Name] = await ledger.TokenBalanceAsync(party.Address, ct);
        }

        return new BalanceSnapshot(balances, await ledger.GetAccountsAsync(ct));
    }
}

/// <summary>A party's change in test dollars, against what the scenario's own record says it should be.</summary>
public sealed record PartyDelta(string Party, string Address, BigInteger Before, BigInteger After, BigInteger Expected)
{
    public BigInteger Delta => After - Before;

    public bool Ok => Delta == Expected;
}

/// <summary>A named check of the books and whether it held.</summary>
public sealed record ConservationCheck(string Name, bool Ok, string Detail);

/// <summary>
/// Conservation to the last unit: the ledger's books balance (<c>accounts()</c>: escrow received = vendor
/// balances + vendor withdrawals + claims paid + allocated-but-unclaimed + unallocated, and its token balance
/// equals what it holds), no test dollar was created or destroyed among the parties (the deltas sum to zero),
/// and every party moved by exactly what the scenario did (funding, shares, claims, withdrawals).
/// </summary>
public sealed record ConservationResult(EscrowAccounts Ledger, IReadOnlyList<PartyDelta> Parties, IReadOnlyList<ConservationCheck> Checks)
{
    public BigInteger SumOfDeltas => Parties.Aggregate(BigInteger.Zero, (sum, p) => sum + p.Delta);

    public bool Ok => Checks.All(c => c.Ok);

    /// <summary>The parties of a devnet: every dev account by its role, and the ledger contract.</summary>
    public static IReadOnlyList<Party> DevnetParties(string ledger) =>
    [
        new("deployer/governance", DevAccounts.Deployer.Address),
        new("issuer", DevAccounts.Issuer.Address),
        new("clearing house", DevAccounts.ClearingHouse.Address),
        new("fee recipient", DevAccounts.FeeRecipient.Address),
        new("vendor", DevAccounts.Vendor.Address),
        new("operator A", DevAccounts.OperatorA.Address),
        new("operator B", DevAccounts.OperatorB.Address),
        new("user 1", DevAccounts.Users[0].Address),
        new("user 2", DevAccounts.Users[1].Address),
        new("user 3", DevAccounts.Users[2].Address),
        new("ledger (escrow)", ledger),
    ];

    /// <summary>Compares two snapshots with the expected movements (by party name; absent means no movement).</summary>
    public static ConservationResult Compare(
        IReadOnlyList<Party> parties,
        BalanceSnapshot before,
        BalanceSnapshot after,
        IReadOnlyDictionary<string, BigInteger> expected,
        IReadOnlyList<ConservationCheck> ledgerChecks)
    {
        ArgumentNullException.ThrowIfNull(parties);
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        ArgumentNullException.ThrowIfNull(expected);
        var deltas = parties
            .Select(p => new PartyDelta(p.Name, p.Address, before.Balances[p.Name], after.Balances[p.Name], expected.GetValueOrDefault(p.Name)))
            .ToList();
        var a = after.Ledger;
        var checks = new List<ConservationCheck>
        {
            new(
                "ledger books balance",
                a.BooksBalance,
                $"received {D(a.EscrowReceived)} = vendor balances {D(a.VendorBalances)} + vendor withdrawn {D(a.VendorWithdrawn)} + claims paid {D(a.ClaimsPaid)} + allocated unclaimed {D(a.AllocatedUnclaimed)} + unallocated {D(a.Unallocated)}"),
            new(
                "ledger token balance matches",
                a.TokenBalanceMatches,
                $"token balance {D(a.TokenBalance)} = escrow held {D(a.EscrowHeld)} + bonds {D(a.BondsHeld)} + deposits {D(a.DepositsHeld)}"),
        };
        var sum = deltas.Aggregate(BigInteger.Zero, (s, p) => s + p.Delta);
        checks.Add(new("no test dollar created or lost", sum.IsZero, $"the parties' balance changes sum to {D(sum)}"));
        foreach (var p in deltas)
        {
            checks.Add(new($"{p.Party} moved as expected", p.Ok, $"{D(p.Before)} → {D(p.After)}: {Signed(p.Delta)} (expected {Signed(p.Expected)})"));
        }

        checks.AddRange(ledgerChecks);
        return new ConservationResult(a, deltas, checks);
    }

    private static string Signed(BigInteger v) => v.Sign > 0 ? "+" + D(v) : D(v);

    private static string D(BigInteger units) => Money.Dollars(units);
}
