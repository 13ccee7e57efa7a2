using Mediator;
using Microsoft.EntityFrameworkCore;
using SimpleXLedger.Hosting.Pipeline;
using SimpleXLedger.Issuer.Storage;

namespace SimpleXLedger.Issuer.Maintenance;

/// <summary>Forgets idempotency records whose window has ended (they hold only hashes and counts, but not for longer than needed).</summary>
public sealed record PurgeRedemptions : ICommand<int>, ITransactional;

public sealed class PurgeRedemptionsHandler(IssuerDbContext db, TimeProvider time) : ICommandHandler<PurgeRedemptions, int>
{
    public async ValueTask<int> Handle(PurgeRedemptions command, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        return await db.Redemptions.Where(r => r.ExpiresAt <= now).ExecuteDeleteAsync(cancellationToken);
    }
}
