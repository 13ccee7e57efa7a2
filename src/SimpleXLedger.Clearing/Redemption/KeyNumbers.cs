using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using SimpleXLedger.Clearing.Registry;
using SimpleXLedger.Clearing.Storage;

namespace SimpleXLedger.Clearing.Redemption;

/// <summary>
/// Each token key's short number in the spent-set's primary key, made on first sight (in its own short
/// transaction, so a batch never rolls a key row back) and then cached: the rows never change.
/// </summary>
public sealed class KeyNumbers(ClearingDatabase database)
{
    private readonly ConcurrentDictionary<string, int> _numbers = new(StringComparer.Ordinal);

    public async Task AssignAsync(IEnumerable<Candidate> candidates, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        foreach (var c in candidates)
        {
            c.KeyNo = _numbers.TryGetValue(c.Key.KeyIdHex, out var known) ? known : await ResolveAsync(c.Key, cancellationToken);
        }
    }

    private async Task<int> ResolveAsync(RegisteredKey key, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync(ct);
        var keyId = key.KeyId.ToArray();
        await using (var insert = SpentSetSql.Command(connection, null, SpentSetSql.InsertKey))
        {
            SpentSetSql.Add(insert, "@key_id", keyId);
            SpentSetSql.Add(insert, "@redeem_until", (long)Math.Min(key.RedeemUntil, long.MaxValue));
            await insert.ExecuteNonQueryAsync(ct);
        }

        await using var select = SpentSetSql.Command(connection, null, SpentSetSql.SelectKeyNo);
        SpentSetSql.Add(select, "@key_id", keyId);
        var number = Convert.ToInt32(await select.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
        _numbers[key.KeyIdHex] = number;
        return number;
    }
}
