using System.Globalization;
using SimpleXLedger.Audit.Storage;

namespace SimpleXLedger.Audit.Fuzz;

/// <summary>
/// What bad input must never change, read from each service's database (read-only) and its own read calls: the
/// issuer's debits, issued counts and idempotency records; each relay's queues, messages, spent tokens and credit;
/// the clearing house's operators, spent-set, accepted counts and batches. Only values the services' own background
/// work leaves alone are taken (no epoch rows, no outboxes, no balances of queues holding messages).
/// </summary>
internal sealed class StateDigest
{
    /// <summary>Values reported but not required to stay put (work the services do on others' behalf).</summary>
    public const string InfoPrefix = "info.";

    private readonly SortedDictionary<string, long> _values = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, long> Values => _values;

    public long this[string name] => _values.TryGetValue(name, out var v) ? v : 0;

    public void Add(string name, long value) => _values[name] = value;

    /// <summary>The names whose values differ, with before → after.</summary>
    public static IReadOnlyList<string> Differences(StateDigest before, StateDigest after, IReadOnlyDictionary<string, long>? expectedDeltas = null)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        var changes = new List<string>();
        foreach (var name in before._values.Keys.Union(after._values.Keys).Order(StringComparer.Ordinal))
        {
            if (name.StartsWith(InfoPrefix, StringComparison.Ordinal))
            {
                continue;
            }

            var delta = expectedDeltas?.GetValueOrDefault(name) ?? 0;
            if (after[name] - before[name] != delta)
            {
                changes.Add(delta == 0
                    ? $"{name}: {before[name]} → {after[name]}"
                    : $"{name}: {before[name]} → {after[name]} (expected +{delta})");
            }
        }

        return changes;
    }

    public static void ReadIssuer(StateDigest digest, string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(digest);
        foreach (var (name, value) in ServiceStorage.IssuerFigures(dataDirectory))
        {
            digest.Add(name, value);
        }
    }

    /// <summary>The last byte of every key id the issuer holds (a truncated key id outside these names no key).</summary>
    public static HashSet<byte> IssuerTruncatedKeyIds(string dataDirectory) =>
        [.. ServiceStorage.IssuerKeyIds(dataDirectory).Select(id => byte.Parse(id.AsSpan(id.Length - 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture))];

    public static void ReadRelay(StateDigest digest, string name, string dataDirectory, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(digest);
        // The token plugin's spent-set counts entries whose key can still redeem: expired ones may be dropped at any time.
        foreach (var (figure, value) in ServiceStorage.RelayFigures(name, dataDirectory, now.AddMinutes(10).ToUnixTimeSeconds()))
        {
            digest.Add(figure, value);
        }
    }

    /// <summary>The TURN credential service: its spent-set, which only a sold credential may grow.</summary>
    public static void ReadTurn(StateDigest digest, string dataDirectory, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(digest);
        digest.Add("turn.spent", ServiceStorage.TurnSpent(dataDirectory, now.AddMinutes(10).ToUnixTimeSeconds()));
    }

    /// <summary>
    /// The clearing house. Every authenticated batch is recorded with its outcomes, so the batches of the fuzzer's own
    /// operator are expected (each case counts those it caused); batches the relays send for tokens replayed to them
    /// (spent elsewhere: only the clearing house can tell) are reported, and must accept nothing.
    /// </summary>
    public static void ReadClearing(StateDigest digest, string dataDirectory, byte[] fuzzOperator)
    {
        ArgumentNullException.ThrowIfNull(digest);
        var (figures, operatorBatches, otherBatches) = ServiceStorage.ClearingFigures(dataDirectory, fuzzOperator);
        foreach (var (name, value) in figures)
        {
            digest.Add(name, value);
        }

        digest.Add(FuzzOperatorBatches, operatorBatches);
        digest.Add(InfoPrefix + "clearing.batches.relays", otherBatches);
    }

    public const string FuzzOperatorBatches = "clearing.batches.fuzzOperator";

    public override string ToString() => string.Join(", ", _values.Select(kv => $"{kv.Key}={kv.Value}"));
}
