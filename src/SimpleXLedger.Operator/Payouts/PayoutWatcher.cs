using System.Globalization;
using System.Numerics;
using Microsoft.Extensions.Logging;
using SimpleXLedger.Chain.Contracts;
using SimpleXLedger.Chain.Merkle;
using SimpleXLedger.Chain.Receipts;
using SimpleXLedger.Chain.Services;
using SimpleXLedger.Clearing.Client;
using EpochLeaves = SimpleXLedger.Protos.Settlement.EpochLeaves;

namespace SimpleXLedger.Operator.Payouts;

/// <summary>Where an operator stands in one epoch.</summary>
public enum EarningState
{
    NotPosted,
    WindowOpen,
    Claimable,
    Claimed,
    DisputedMissing,
    ProvenUnderpaid,
    DisputeUpheld,
    DisputeAnswered,
    Frozen,
    Underpaid,
    Missing,
    ListInvalid,

    /// <summary>The receipts count no token accepted in the epoch (batches that accepted nothing): no leaf is owed.</summary>
    NothingOwed,
}

/// <summary>One epoch from the operator's side: its receipts, what they prove is owed, the leaf, and what was done.</summary>
public sealed record EpochEarnings(
    ulong Epoch,
    int Receipts,
    ulong AcceptedInEpoch,
    BigInteger Owed,
    BigInteger? Leaf,
    EarningState State,
    DisputeStatus Dispute,
    string? Action);

/// <summary>
/// The operator's side of settlement: for every epoch it holds receipts for, checks the posted epoch against its
/// best receipt (the highest acceptedInEpoch), fetches the published leaf list and verifies it rebuilds the
/// anchored root and leaves hash, then, when acting: disputes by itself while the window is open (underpaid:
/// with the leaf and proof, which freezes the epoch at once and pays from the bond; missing, or a list that does
/// not match the anchor: with the receipt and the deposit, which the clearing house must answer), settles its
/// unanswered dispute after the answer window, and claims its leaf once the window closed with no dispute open.
/// Disputes are sent by the payee's own key: the <see cref="LedgerClient"/> must be connected with it. A reader that
/// never acts (the dashboard) names the <paramref name="payee"/> instead and needs no key.
/// </summary>
public sealed class PayoutWatcher(LedgerClient ledger, SettlementClient? settlement, string receiptsPath, ILogger logger, string? payee = null)
{
    private readonly Dictionary<(ulong Epoch, byte Round), byte[]> _anchoredHashes = [];
    private EventCursor<EpochPostedEvent>? _posted;
    private BigInteger? _rate;

    public string Payee => payee ?? ledger.Connection.Address;

    /// <summary>The payee's ETH balance for gas, in wei (disputes and claims are paid from it).</summary>
    public async Task<BigInteger> GasBalanceAsync(CancellationToken ct)
    {
        var connection = ledger.Connection;
        return (await connection.ReadAsync(() => connection.Web3.Eth.GetBalance.SendRequestAsync(Payee, Nethereum.RPC.Eth.DTOs.BlockParameter.CreateLatest()), ct)).Value;
    }

    /// <summary>Checks every epoch with receipts; when <paramref name="act"/>, disputes, settles and claims as due.</summary>
    public async Task<IReadOnlyList<EpochEarnings>> CheckAsync(bool act, CancellationToken ct, ulong? onlyEpoch = null)
    {
        var payee = Payee;
        var receipts = ReceiptLog.ReadAll(receiptsPath)
            .Where(r => string.Equals(r.Payee, payee, StringComparison.OrdinalIgnoreCase)
                && string.Equals(r.Ledger, ledger.Ledger, StringComparison.OrdinalIgnoreCase)
                && (onlyEpoch is null || r.Epoch == onlyEpoch))
            .GroupBy(r => r.Epoch)
            .OrderBy(g => g.Key)
            .ToList();
        _rate ??= await ledger.OperatorRateAsync(ct);
        var results = new List<EpochEarnings>();
        foreach (var group in receipts)
        {
            try
            {
                results.Add(await CheckEpochAsync(group.Key, group.Count(), group.MaxBy(r => r.AcceptedInEpoch)!, act, ct));
            }
            catch (LedgerRevertException e)
            {
                logger.LogWarning("epoch {Epoch}: the ledger refused: {Error}", group.Key, e.ErrorName);
                results.Add(new EpochEarnings(group.Key, group.Count(), 0, 0, null, EarningState.NotPosted, DisputeStatus.None, $"refused: {e.ErrorName}"));
            }
        }

        return results;
    }

    private async Task<EpochEarnings> CheckEpochAsync(ulong epoch, int count, StoredReceipt best, bool act, CancellationToken ct)
    {
        var owed = best.AcceptedInEpoch * _rate!.Value;
        var payee = Payee;
        EpochEarnings Result(BigInteger? leaf, EarningState state, DisputeStatus dispute, string? action = null)
            => new(epoch, count, best.AcceptedInEpoch, owed, leaf, state, dispute, action);

        var onChain = await ledger.GetEpochAsync(epoch, ct);
        var dispute = await ledger.GetDisputeAsync(epoch, payee, ct);
        var now = await ledger.ActiveTimeAsync(ct);
        if (!onChain.Posted)
        {
            return Result(null, EarningState.NotPosted, dispute.Status);
        }

        if (dispute.Status == DisputeStatus.Open)
        {
            if (act && now > dispute.AnswerBy)
            {
                var settled = await ledger.SettleDisputeAsync(epoch, payee, ct);
                logger.LogWarning("epoch {Epoch}: the clearing house did not answer; dispute settled in block {Block}, the bond pays", epoch, settled.BlockNumber);
                return Result(null, EarningState.DisputeUpheld, DisputeStatus.Upheld, "settled unanswered dispute");
            }

            return Result(null, EarningState.DisputedMissing, dispute.Status);
        }

        if (onChain.Frozen)
        {
            return Result(null, EarningState.Frozen, dispute.Status);
        }

        var claimed = await ledger.IsClaimedAsync(epoch, payee, ct);
        var list = settlement is null ? null : await settlement.GetEpochAsync(epoch, ct);
        var verified = list is not null && await VerifyAsync(list, onChain, ct);
        var tree = verified ? PayoutTree.Build(ToLeaves(list!)) : null;
        BigInteger? leaf = tree is not null && tree.HasLeaf(payee) ? tree.LeafOf(payee).Amount : null;
        if (claimed)
        {
            return Result(leaf, EarningState.Claimed, dispute.Status);
        }

        if (owed == 0 && leaf is null)
        {
            // A receipt for a batch that accepted nothing: there is no leaf to find, and the ledger refuses such a dispute.
            return Result(null, EarningState.NothingOwed, dispute.Status);
        }

        var disputedThisRound = dispute.Status != DisputeStatus.None && dispute.Round == onChain.Round;
        if (now < onChain.WindowClosesAt)
        {
            var signed = new SignedReceipt(new Receipt(best.Payee, best.Epoch, best.AcceptedInEpoch, best.BatchIdBytes), best.SignatureBytes);
            if (tree is not null && leaf is { } amount && amount < owed)
            {
                if (act && !disputedThisRound)
                {
                    var tx = await ledger.DisputeUnderpaidAsync(signed, amount, tree.ProofOf(payee), ct);
                    logger.LogWarning("epoch {Epoch}: underpaid ({Leaf} < {Owed} owed); proven in block {Block}, the bond pays", epoch, amount, owed, tx.BlockNumber);
                    return Result(leaf, EarningState.ProvenUnderpaid, DisputeStatus.Proven, "disputed underpaid");
                }

                return Result(leaf, EarningState.Underpaid, dispute.Status);
            }

            if (leaf is null && (list is not null || settlement is null || verified is false))
            {
                var state = list is not null && !verified ? EarningState.ListInvalid : EarningState.Missing;
                if (act && !disputedThisRound && list is not null)
                {
                    var tx = await ledger.DisputeMissingAsync(signed, ct);
                    logger.LogWarning("epoch {Epoch}: {State}; disputed with the receipt in block {Block}", epoch, state, tx.BlockNumber);
                    return Result(null, EarningState.DisputedMissing, DisputeStatus.Open, "disputed missing");
                }

                return Result(null, state, dispute.Status);
            }

            return Result(leaf, dispute.Status == DisputeStatus.Answered && disputedThisRound ? EarningState.DisputeAnswered : EarningState.WindowOpen, dispute.Status);
        }

        if (tree is null || leaf is null || onChain.OpenDisputes != 0)
        {
            return Result(leaf, leaf is null ? EarningState.Missing : EarningState.Claimable, dispute.Status);
        }

        if (act)
        {
            var tx = await ledger.ClaimAsync(epoch, payee, leaf.Value, tree.ProofOf(payee), ct);
            logger.LogInformation("epoch {Epoch}: claimed {Amount}{Block}", epoch, leaf.Value, tx is null ? " (already claimed)" : $" in block {tx.BlockNumber}");
            return Result(leaf, EarningState.Claimed, dispute.Status, tx is null ? "already claimed" : "claimed");
        }

        return Result(leaf, EarningState.Claimable, dispute.Status);
    }

    /// <summary>The list rebuilds the anchored root, and its hash is the one anchored in the EpochPosted event of this round.</summary>
    private async Task<bool> VerifyAsync(EpochLeaves list, EpochRecord onChain, CancellationToken ct)
    {
        if (list.Round != onChain.Round)
        {
            return false;
        }

        var leaves = ToLeaves(list);
        if (leaves.Count == 0 || leaves.Any(l => l.Epoch != onChain.Epoch))
        {
            return false;
        }

        var tree = PayoutTree.Build(leaves);
        var hash = Nethereum.Util.Sha3Keccack.Current.CalculateHash(leaves.SelectMany(l => l.AbiEncode()).ToArray());
        var anchored = await AnchoredHashAsync(onChain.Epoch, onChain.Round, ct);
        var ok = tree.Root.AsSpan().SequenceEqual(onChain.Root) && anchored is not null && hash.AsSpan().SequenceEqual(anchored);
        if (!ok)
        {
            logger.LogWarning("epoch {Epoch}: the published leaf list does not match the anchored root and leaves hash", onChain.Epoch);
        }

        return ok;
    }

    private async Task<byte[]?> AnchoredHashAsync(ulong epoch, byte round, CancellationToken ct)
    {
        if (!_anchoredHashes.TryGetValue((epoch, round), out var hash))
        {
            _posted ??= new EventCursor<EpochPostedEvent>(ledger.Connection, ledger.Ledger);
            var batch = await _posted.NextAsync(ct);
            if (batch.StartedOver)
            {
                // A reorg deeper than the confirmation depth: what was read from the old chain no longer holds.
                _anchoredHashes.Clear();
            }

            foreach (var e in batch.Events)
            {
                _anchoredHashes[(e.Event.Epoch, e.Event.Round)] = e.Event.LeavesHash;
            }

            _anchoredHashes.TryGetValue((epoch, round), out hash);
        }

        return hash;
    }

    private static List<PayoutLeaf> ToLeaves(EpochLeaves list)
        => list.Leaves.Select(l => new PayoutLeaf(list.Epoch, l.Payee, BigInteger.Parse(l.Amount, NumberStyles.None, CultureInfo.InvariantCulture))).ToList();
}
