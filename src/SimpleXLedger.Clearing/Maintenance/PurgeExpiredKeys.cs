using Mediator;
using Microsoft.EntityFrameworkCore;
using SimpleXLedger.Clearing.Storage;
using SimpleXLedger.Hosting.Pipeline;

namespace SimpleXLedger.Clearing.Maintenance;

/// <summary>
/// Drops the spent-set rows of keys past their redeemUntil (block time): their tokens are refused by the
/// window check from then on, so their nonces are no longer needed. Batches and per-payee counts stay
/// (settlement reads those, not the spent-set).
/// </summary>
public sealed record PurgeExpiredKeys(ulong Now) : ICommand<int>, ITransactional, ILogSummary
{
    public string LogSummary => $"now={Now}";
}

public sealed class PurgeExpiredKeysHandler(ClearingDbContext db) : ICommandHandler<PurgeExpiredKeys, int>
{
    public async ValueTask<int> Handle(PurgeExpiredKeys command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var now = (long)Math.Min(command.Now, long.MaxValue);
        var expired = await db.TokenKeys.Where(k => !k.Purged && k.RedeemUntil <= now).ToListAsync(cancellationToken);
        var dropped = 0;
        foreach (var key in expired)
        {
            dropped += await db.SpentTokens.Where(s => s.KeyNo == key.Id).ExecuteDeleteAsync(cancellationToken);
            key.Purged = true;
        }

        return dropped;
    }
}
