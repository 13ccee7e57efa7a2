using Mediator;
using Microsoft.EntityFrameworkCore;
using SimpleXLedger.Hosting.Pipeline;
using SimpleXLedger.Issuer.Storage;

namespace SimpleXLedger.Issuer.Issuance;

/// <summary>Undoes a debit whose requests turned out unsignable: credits back to the card, the key's count and the record gone.</summary>
public sealed record RefundDebit(byte[] RequestId) : ICommand<bool>, ITransactional, ILogSummary
{
    public string LogSummary => $"request={Convert.ToHexStringLower(RequestId)}";
}

public sealed class RefundDebitHandler(IssuerDbContext db) : ICommandHandler<RefundDebit, bool>
{
    public async ValueTask<bool> Handle(RefundDebit command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var row = await db.Redemptions.FirstOrDefaultAsync(r => r.RequestId == command.RequestId, cancellationToken);
        if (row is null)
        {
            return false;
        }

        var n = row.Count;
        var hash = row.CardHash;
        await db.Cards.Where(c => c.Hash == hash).ExecuteUpdateAsync(s => s.SetProperty(c => c.Redeemed, c => c.Redeemed - n), cancellationToken);
        await db.TokenKeys.Where(k => k.Id == row.KeyId).ExecuteUpdateAsync(s => s.SetProperty(k => k.Issued, k => k.Issued - n), cancellationToken);
        db.Redemptions.Remove(row);
        return true;
    }
}
