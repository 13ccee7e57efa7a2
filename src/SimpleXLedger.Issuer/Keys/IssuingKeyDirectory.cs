using Microsoft.EntityFrameworkCore;
using SimpleXLedger.Issuer.Ledger;
using SimpleXLedger.Issuer.Storage;

namespace SimpleXLedger.Issuer.Keys;

/// <summary>The key that issues now, for the directory (RFC 9578) and gRPC: looked up at most once a second.</summary>
public sealed class IssuingKeyDirectory(IDbContextFactory<IssuerDbContext> dbs, ILedgerView ledger, TimeProvider time)
{
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private (long At, TokenKeyRow? Key)? _cached;

    public async Task<TokenKeyRow?> CurrentAsync(CancellationToken cancellationToken)
    {
        var wall = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (_cached is { } cached && wall - cached.At is >= 0 and < 1000)
        {
            return cached.Key;
        }

        await _refresh.WaitAsync(cancellationToken);
        try
        {
            var now = await ledger.LatestBlockTimeAsync(cancellationToken);
            await using var db = await dbs.CreateDbContextAsync(cancellationToken);
            var keys = await db.TokenKeys.AsNoTracking().Where(k => k.IssueUntil > now).ToListAsync(cancellationToken);
            var key = KeySchedule.IssuingAt(keys, now, ledger.IsDevelopment);
            _cached = (wall, key);
            return key;
        }
        finally
        {
            _refresh.Release();
        }
    }

    /// <summary>Forget the cached answer (after a rotation).</summary>
    public void Invalidate() => _cached = null;
}
