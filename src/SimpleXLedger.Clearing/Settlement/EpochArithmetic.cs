using System.Numerics;
using Nethereum.Util;
using SimpleXLedger.Chain.Merkle;
using SimpleXLedger.Chain.Services;

namespace SimpleXLedger.Clearing.Settlement;

/// <summary>
/// The ledger's fixed money terms, as the contract computes them: the operator rate per token is
/// creditPrice × (10000 − vendorShareBps − feeBps) / 10000 rounded down, and the fee on n accepted tokens is
/// n × creditPrice × feeBps / 10000 rounded down (the contract's own fee bound has the same form).
/// </summary>
public sealed record PayoutTerms(BigInteger CreditPrice, int VendorShareBps, int FeeBps, string FeeRecipient)
{
    public BigInteger OperatorRate => CreditPrice * (10_000 - VendorShareBps - FeeBps) / 10_000;

    public BigInteger FeeFor(BigInteger acceptedTokens) => acceptedTokens * CreditPrice * FeeBps / 10_000;

    public static PayoutTerms From(LedgerInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        return new PayoutTerms(info.CreditPrice, info.VendorShareBps, info.FeeBps, info.FeeRecipient);
    }
}

/// <summary>One payee's accepted tokens in the epoch (the clearing house's payee_epochs row).</summary>
public sealed record PayeeCount(string Payee, long Accepted);

/// <summary>An epoch's payouts: the leaves in published order and the totals the post anchors.</summary>
public sealed record EpochPayouts(ulong Epoch, IReadOnlyList<PayoutLeaf> Leaves, BigInteger Total, BigInteger OperatorTotal, BigInteger Fee, long AcceptedTokens)
{
    /// <summary>keccak256 of the leaves' ABI encodings concatenated in published order (see settlement.proto).</summary>
    public byte[] LeavesHash => EpochArithmetic.LeavesHash(Leaves);
}

/// <summary>
/// Epoch close arithmetic, pure and deterministic: one leaf per payee (accepted × operator rate) plus the fee
/// recipient's (fee on all accepted tokens), everything rounded down so no unit is ever created; an epoch
/// with nothing accepted still gets one leaf (the fee recipient with 0), because the ledger refuses a zero root.
/// Unredeemed value is not touched: it stays unallocated on the ledger.
/// </summary>
public static class EpochArithmetic
{
    public static EpochPayouts Compute(ulong epoch, IEnumerable<PayeeCount> counts, PayoutTerms terms)
    {
        ArgumentNullException.ThrowIfNull(counts);
        ArgumentNullException.ThrowIfNull(terms);
        var rate = terms.OperatorRate;
        var byPayee = new Dictionary<string, BigInteger>(StringComparer.Ordinal);
        long accepted = 0;
        BigInteger operatorTotal = 0;
        foreach (var c in counts)
        {
            if (c.Accepted < 0)
            {
                throw new SettlementInvariantException([$"payee {c.Payee} has a negative count"]);
            }

            if (c.Accepted == 0)
            {
                continue;
            }

            var payee = Normalise(c.Payee);
            var amount = c.Accepted * rate;
            byPayee[payee] = (byPayee.TryGetValue(payee, out var before) ? before : 0) + amount;
            accepted = checked(accepted + c.Accepted);
            operatorTotal += amount;
        }

        var fee = terms.FeeFor(accepted);
        var feeRecipient = Normalise(terms.FeeRecipient);
        if (fee > 0 || byPayee.Count == 0)
        {
            byPayee[feeRecipient] = (byPayee.TryGetValue(feeRecipient, out var before) ? before : 0) + fee;
        }

        var leaves = byPayee
            .OrderBy(p => p.Key.ToLowerInvariant(), StringComparer.Ordinal)
            .Select(p => new PayoutLeaf(epoch, p.Key, p.Value))
            .ToList();
        return new EpochPayouts(epoch, leaves, operatorTotal + fee, operatorTotal, fee, accepted);
    }

    /// <summary>
    /// The design's checks on a computed (or loaded) epoch: each leaf non-negative and of this epoch, one per
    /// payee, the operator total equal to the counts × rate, the fee as the formula, the leaves adding up to the
    /// total. Returns the failed invariants (empty when all hold).
    /// </summary>
    public static IReadOnlyList<string> Check(EpochPayouts payouts, IEnumerable<PayeeCount> counts, PayoutTerms terms)
    {
        ArgumentNullException.ThrowIfNull(payouts);
        ArgumentNullException.ThrowIfNull(counts);
        ArgumentNullException.ThrowIfNull(terms);
        var failed = new List<string>();
        var list = counts.ToList();
        if (list.Any(c => c.Accepted < 0))
        {
            failed.Add("a payee count is negative");
        }

        var accepted = list.Aggregate(BigInteger.Zero, (s, c) => s + c.Accepted);
        if (payouts.OperatorTotal != accepted * terms.OperatorRate)
        {
            failed.Add($"operator total {payouts.OperatorTotal} != accepted {accepted} x rate {terms.OperatorRate}");
        }

        if (payouts.Fee != terms.FeeFor(accepted))
        {
            failed.Add($"fee {payouts.Fee} != the fee formula on {accepted} tokens");
        }

        var sum = payouts.Leaves.Aggregate(BigInteger.Zero, (s, l) => s + l.Amount);
        if (sum != payouts.Total || payouts.Total != payouts.OperatorTotal + payouts.Fee)
        {
            failed.Add($"leaves add up to {sum}, total {payouts.Total}, operator total + fee {payouts.OperatorTotal + payouts.Fee}");
        }

        if (payouts.Leaves.Any(l => l.Amount.Sign < 0 || l.Epoch != payouts.Epoch))
        {
            failed.Add("a leaf is negative or of another epoch");
        }

        if (payouts.Leaves.Select(l => l.Payee.ToLowerInvariant()).Distinct().Count() != payouts.Leaves.Count)
        {
            failed.Add("two leaves for one payee");
        }

        if (payouts.Leaves.Count == 0)
        {
            failed.Add("no leaves (the ledger refuses a zero root)");
        }

        // Nothing created: the operators and the fee never get more than the tokens' price less the vendors' share.
        if (payouts.Total > accepted * terms.CreditPrice * (10_000 - terms.VendorShareBps) / 10_000)
        {
            failed.Add("the epoch pays more than its tokens' value less the vendors' share");
        }

        return failed;
    }

    public static byte[] LeavesHash(IEnumerable<PayoutLeaf> leaves)
    {
        ArgumentNullException.ThrowIfNull(leaves);
        var list = leaves.ToList();
        var buffer = new byte[list.Count * 96];
        for (var i = 0; i < list.Count; i++)
        {
            list[i].AbiEncode().CopyTo(buffer, i * 96);
        }

        return Sha3Keccack.Current.CalculateHash(buffer);
    }

    public static string Normalise(string address) => AddressUtil.Current.ConvertToChecksumAddress(address);
}

/// <summary>An invariant of the design failed at close: nothing was posted. The alarm is in the log.</summary>
public sealed class SettlementInvariantException : Exception
{
    public SettlementInvariantException()
    {
        Failed = [];
    }

    public SettlementInvariantException(IReadOnlyList<string> failed)
        : base("settlement invariant failed: " + string.Join("; ", failed))
    {
        Failed = failed;
    }

    public SettlementInvariantException(string message)
        : base(message)
    {
        Failed = [message];
    }

    public SettlementInvariantException(string message, Exception innerException)
        : base(message, innerException)
    {
        Failed = [message];
    }

    public IReadOnlyList<string> Failed { get; }
}
