using System.Globalization;
using Microsoft.Extensions.Logging;
using SimpleXLedger.Chain.Contracts;
using SimpleXLedger.Chain.Merkle;
using SimpleXLedger.Chain.Services;

namespace SimpleXLedger.Clearing.Settlement;

/// <summary>What the answerer did with one DisputeOpened event.</summary>
public sealed record DisputeAnswer(ulong Epoch, string Payee, bool Answered, string? Transaction, string? Problem);

/// <summary>
/// Answers every missing-leaf dispute against this clearing house's epochs with the payee's leaf and proof from
/// the published list, as soon as it sees the DisputeOpened event (well inside the answer window). When it
/// cannot (no leaf, or a leaf below what the receipt proves), it raises an alarm: the dispute will be upheld and
/// the bond pays. Progress (the next block to scan) is kept in <c>settlement/disputes.cursor</c>.
/// </summary>
public sealed class DisputeAnswerer(LeafStore store, LedgerClient ledger, ILogger logger)
{
    private string CursorPath => Path.Combine(store.Directory, "disputes.cursor");

    public async Task<IReadOnlyList<DisputeAnswer>> AnswerOpenDisputesAsync(CancellationToken ct)
    {
        var from = ReadCursor();
        var page = await ledger.GetEventsAsync<DisputeOpenedEvent>(from, ct: ct);
        var answers = new List<DisputeAnswer>();
        foreach (var opened in page.Events)
        {
            answers.Add(await AnswerAsync(opened.Event, ct));
        }

        WriteCursor(page.ScannedTo + 1);
        return answers;
    }

    private async Task<DisputeAnswer> AnswerAsync(DisputeOpenedEvent opened, CancellationToken ct)
    {
        var dispute = await ledger.GetDisputeAsync(opened.Epoch, opened.Payee, ct);
        if (dispute.Status != DisputeStatus.Open || dispute.Round != opened.Round)
        {
            return new DisputeAnswer(opened.Epoch, opened.Payee, false, null, "no longer open");
        }

        var file = LoadRound(opened.Epoch, opened.Round);
        var leaf = file?.PayoutLeaves.FirstOrDefault(l => string.Equals(l.Payee, opened.Payee, StringComparison.OrdinalIgnoreCase));
        if (file is null || leaf is null || leaf.Amount < dispute.Owed)
        {
            var problem = file is null ? "no published list for that round" : leaf is null ? "the payee has no leaf" : $"its leaf pays {leaf.Amount} < {dispute.Owed} owed";
            logger.LogCritical(
                "ALARM dispute of {Payee} in epoch {Epoch} cannot be answered ({Problem}): it will be upheld by {AnswerBy} and paid from the bond",
                opened.Payee,
                opened.Epoch,
                problem,
                dispute.AnswerBy);
            return new DisputeAnswer(opened.Epoch, opened.Payee, false, null, problem);
        }

        var tree = PayoutTree.Build(file.PayoutLeaves);
        try
        {
            var tx = await ledger.AnswerDisputeAsync(opened.Epoch, leaf.Payee, leaf.Amount, tree.ProofOf(leaf.Payee), ct);
            logger.LogInformation("answered the dispute of {Payee} in epoch {Epoch} with its leaf ({Amount}) in block {Block}", leaf.Payee, opened.Epoch, leaf.Amount, tx.BlockNumber);
            return new DisputeAnswer(opened.Epoch, opened.Payee, true, tx.Hash, null);
        }
        catch (LedgerRevertException e)
        {
            logger.LogCritical("ALARM answering the dispute of {Payee} in epoch {Epoch} failed: {Error}", opened.Payee, opened.Epoch, e.ErrorName);
            return new DisputeAnswer(opened.Epoch, opened.Payee, false, null, e.ErrorName);
        }
    }

    private LeafFile? LoadRound(ulong epoch, byte round)
    {
        var current = store.TryLoad(epoch);
        if (current is null || current.Round == round)
        {
            return current;
        }

        var earlier = Path.Combine(store.Directory, $"epoch-{epoch:D6}.r{round}.json");
        return File.Exists(earlier) ? System.Text.Json.JsonSerializer.Deserialize<LeafFile>(File.ReadAllBytes(earlier)) : null;
    }

    private ulong ReadCursor()
        => File.Exists(CursorPath) && ulong.TryParse(File.ReadAllText(CursorPath).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;

    private void WriteCursor(ulong next)
    {
        Directory.CreateDirectory(store.Directory);
        var temporary = CursorPath + ".tmp";
        File.WriteAllText(temporary, next.ToString(CultureInfo.InvariantCulture));
        File.Move(temporary, CursorPath, overwrite: true);
    }
}
