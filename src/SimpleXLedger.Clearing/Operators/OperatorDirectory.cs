using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using SimpleXLedger.Clearing.Storage;

namespace SimpleXLedger.Clearing.Operators;

/// <summary>A registered operator as the hot path needs it.</summary>
public sealed record OperatorInfo(long Id, byte[] PublicKey, string Payee);

/// <summary>Registered operators by key, cached once found (a registration never changes).</summary>
public sealed class OperatorDirectory(ClearingDatabase database)
{
    private readonly ConcurrentDictionary<string, OperatorInfo> _known = new(StringComparer.Ordinal);

    public async ValueTask<OperatorInfo?> FindAsync(byte[] publicKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        var hex = Convert.ToHexString(publicKey);
        if (_known.TryGetValue(hex, out var known))
        {
            return known;
        }

        await using var db = database.CreateContext();
        var row = await db.Operators.AsNoTracking().SingleOrDefaultAsync(o => o.PublicKey == publicKey, cancellationToken);
        if (row is null)
        {
            return null;
        }

        var info = new OperatorInfo(row.Id, row.PublicKey, row.Payee);
        _known[hex] = info;
        return info;
    }
}
