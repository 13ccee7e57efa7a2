using System.Numerics;
using SimpleXLedger.Chain.Services;
using SimpleXLedger.Devnet.Reporting;

namespace SimpleXLedger.Devnet.Tests.Reporting;

public class ConservationTests
{
    private static readonly Party A = new("vendor", "0x01");
    private static readonly Party B = new("ledger (escrow)", "0x02");
    private static readonly Party C = new("operator A", "0x03");

    // Books that balance: received 1000 = vendor 200 + withdrawn 0 + claims 300 + allocated 100 + unallocated 400; token 700 = held 700.
    private static readonly EscrowAccounts Balanced = new(1000, 200, 0, 300, 100, 400, 0, 0, 700);

    [Fact]
    public void Movements_that_match_the_record_and_sum_to_zero_hold()
    {
        var result = Compare(vendor: -1000, ledger: 700, op: 300, Balanced);

        Assert.True(result.Ok, string.Join("; ", result.Checks.Where(c => !c.Ok).Select(c => c.Detail)));
        Assert.Equal(BigInteger.Zero, result.SumOfDeltas);
    }

    [Fact]
    public void One_unit_lost_anywhere_is_found()
    {
        var result = Compare(vendor: -1000, ledger: 700, op: 299, Balanced);

        Assert.False(result.Ok);
        Assert.Contains(result.Checks, c => c is { Name: "no test dollar created or lost", Ok: false });
        Assert.Contains(result.Checks, c => c is { Name: "operator A moved as expected", Ok: false });
    }

    [Fact]
    public void Unbalanced_ledger_books_fail_even_when_every_party_moved_as_expected()
    {
        var result = Compare(vendor: -1000, ledger: 700, op: 300, Balanced with { ClaimsPaid = 301 });

        Assert.False(result.Ok);
        Assert.Contains(result.Checks, c => c is { Name: "ledger books balance", Ok: false });
    }

    private static ConservationResult Compare(BigInteger vendor, BigInteger ledger, BigInteger op, EscrowAccounts books)
    {
        var before = new BalanceSnapshot(new Dictionary<string, BigInteger> { [A.Name] = 5000, [B.Name] = 0, [C.Name] = 0 }, books);
        var after = new BalanceSnapshot(new Dictionary<string, BigInteger> { [A.Name] = 5000 + vendor, [B.Name] = ledger, [C.Name] = op }, books);
        var expected = new Dictionary<string, BigInteger> { [A.Name] = -1000, [B.Name] = 700, [C.Name] = 300 };
        return ConservationResult.Compare([A, B, C], before, after, expected, []);
    }
}
