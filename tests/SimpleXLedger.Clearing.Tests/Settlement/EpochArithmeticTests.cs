using System.Numerics;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using SimpleXLedger.Chain.Merkle;
using SimpleXLedger.Clearing.Settlement;

namespace SimpleXLedger.Clearing.Tests.Settlement;

/// <summary>The close arithmetic over random redemptions, prices and shares: the invariants always hold, nothing is created or lost.</summary>
public sealed class EpochArithmeticTests
{
    private const string FeeRecipient = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";

    private static string Payee(int i) => "0x" + (0x1000 + (i % 64)).ToString("x40", System.Globalization.CultureInfo.InvariantCulture);

    private static PayoutTerms Terms(int price, ushort vendor, ushort fee)
    {
        var v = vendor % 10_001;
        return new PayoutTerms(price, v, fee % (10_001 - v), FeeRecipient);
    }

    private static List<PayeeCount> Counts(NonNegativeInt[] counts) =>
        counts.Select((c, i) => new PayeeCount(Payee(i), c.Get)).ToList();

    [Property(MaxTest = 300)]
    public Property Every_close_satisfies_the_invariants_and_pays_exactly_the_counts_times_the_rate_and_the_rounded_down_fee(NonNegativeInt[] counts, PositiveInt price, ushort vendor, ushort fee)
    {
        var terms = Terms(price.Get, vendor, fee);
        var list = Counts(counts);
        var payouts = EpochArithmetic.Compute(7, list, terms);
        var accepted = list.Aggregate(BigInteger.Zero, (s, c) => s + c.Accepted);
        var byPayee = list.GroupBy(c => c.Payee.ToLowerInvariant()).ToDictionary(g => g.Key, g => g.Aggregate(BigInteger.Zero, (s, c) => s + c.Accepted));
        var leafOf = payouts.Leaves.ToDictionary(l => l.Payee.ToLowerInvariant(), l => l.Amount);
        var operatorLeavesRight = byPayee.Where(p => p.Value > 0).All(p => leafOf[p.Key] == p.Value * terms.OperatorRate);
        return (EpochArithmetic.Check(payouts, list, terms).Count == 0
                && payouts.OperatorTotal == accepted * terms.OperatorRate
                && payouts.Fee == accepted * price.Get * terms.FeeBps / 10_000
                && payouts.Total == payouts.Leaves.Aggregate(BigInteger.Zero, (s, l) => s + l.Amount)
                && payouts.Leaves.All(l => l.Amount.Sign >= 0 && l.Epoch == 7)
                && operatorLeavesRight
                && payouts.Total <= accepted * price.Get // never more than the tokens were bought for
                && payouts.Leaves.Count >= 1
                && payouts.Leaves.Count <= byPayee.Count(p => p.Value > 0) + 1)
            .Label($"rate {terms.OperatorRate}, total {payouts.Total}");
    }

    [Property(MaxTest = 200)]
    public Property Epoch_after_epoch_the_posted_totals_stay_within_the_contracts_cumulative_bounds(NonNegativeInt[][] epochs, PositiveInt price, ushort vendor, ushort fee)
    {
        var terms = Terms(price.Get, vendor, fee);
        BigInteger operatorPosted = 0, feePosted = 0, issued = 0;
        var ok = true;
        foreach (var (counts, i) in epochs.Select((c, i) => (c, i)))
        {
            var payouts = EpochArithmetic.Compute((ulong)i + 1, Counts(counts), terms);
            issued += payouts.AcceptedTokens; // accepted never exceeds issued; equality is the tightest case
            operatorPosted += payouts.OperatorTotal;
            feePosted += payouts.Total - payouts.OperatorTotal;
            ok &= operatorPosted <= terms.OperatorRate * issued && feePosted <= issued * price.Get * terms.FeeBps / 10_000;
        }

        return ok.ToProperty();
    }

    [Property(MaxTest = 200)]
    public Property The_leaves_root_and_hash_do_not_depend_on_the_order_of_the_counts(NonNegativeInt[] counts, PositiveInt price)
    {
        var terms = Terms(price.Get, 2000, 500);
        var a = EpochArithmetic.Compute(3, Counts(counts), terms);
        var b = EpochArithmetic.Compute(3, Counts(counts).AsEnumerable().Reverse(), terms);
        return (PayoutTree.Build(a.Leaves).Root.AsSpan().SequenceEqual(PayoutTree.Build(b.Leaves).Root) && a.LeavesHash.AsSpan().SequenceEqual(b.LeavesHash)).ToProperty();
    }

    [Property(MaxTest = 200)]
    public Property A_leaf_changed_by_one_unit_fails_the_checks_and_the_leaf_file(NonNegativeInt[] counts, PositiveInt price, PositiveInt which, bool up)
    {
        var terms = Terms(price.Get, 2000, 500);
        var list = Counts(counts);
        var payouts = EpochArithmetic.Compute(3, list, terms);
        var i = which.Get % payouts.Leaves.Count;
        var leaf = payouts.Leaves[i];
        if (!up && leaf.Amount.IsZero)
        {
            return true.ToProperty(); // nothing to take away from a zero leaf
        }

        var changed = payouts.Leaves.Select((l, j) => j == i ? l with { Amount = l.Amount + (up ? 1 : -1) } : l).ToList();
        var tampered = payouts with { Leaves = changed };
        var file = LeafFile.From(payouts, PayoutTree.Build(payouts.Leaves), 1, terms.OperatorRate);
        var tamperedFile = file with { Leaves = changed.Select(l => new LeafEntry(l.Payee, l.Amount.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToList() };
        return (EpochArithmetic.Check(tampered, list, terms).Count > 0 && file.IsConsistent() && !tamperedFile.IsConsistent()).ToProperty();
    }

    [Fact]
    public void An_empty_epoch_gets_one_leaf_paying_the_fee_recipient_nothing()
    {
        var payouts = EpochArithmetic.Compute(1, [new PayeeCount(Payee(1), 0)], Terms(10_000, 2000, 500));
        var leaf = Assert.Single(payouts.Leaves);
        Assert.Equal((FeeRecipient, BigInteger.Zero), (leaf.Payee, leaf.Amount));
        Assert.Equal(BigInteger.Zero, payouts.Total);
    }

    [Fact]
    public void Devnet_terms_give_the_contracts_rate_and_fee()
    {
        // creditPrice 10 000, vendor 20 %, fee 5 %: rate 7 500 per token; 3 tokens → fee 1 500.
        var payouts = EpochArithmetic.Compute(1, [new PayeeCount(Payee(1), 2), new PayeeCount(Payee(2), 1)], Terms(10_000, 2000, 500));
        Assert.Equal(new BigInteger(7_500), Terms(10_000, 2000, 500).OperatorRate);
        Assert.Equal([new BigInteger(15_000), new BigInteger(7_500), new BigInteger(1_500)], payouts.Leaves.OrderByDescending(l => l.Amount).Select(l => l.Amount));
        Assert.Equal((new BigInteger(24_000), new BigInteger(22_500)), (payouts.Total, payouts.OperatorTotal));
    }

    [Fact]
    public void A_negative_count_is_refused_with_a_typed_error()
    {
        Assert.Throws<SettlementInvariantException>(() => EpochArithmetic.Compute(1, [new PayeeCount(Payee(1), -1)], Terms(10_000, 2000, 500)));
    }
}
