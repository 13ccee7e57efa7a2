using Microsoft.Data.Sqlite;

namespace SimpleXLedger.Devnet.Audit;

/// <summary>A card's redemption as the issuer stored it: its hash, the time (seconds), the row's position.</summary>
public sealed record IssuerRedemption(string CardHash, long CreatedAt, long RowOrder, int Count, string KeyId);

/// <summary>A payment as a relay operator sees it on the wire: when, which relay, which queue (an opaque label), how many tokens.</summary>
public sealed record RelayPayment(DateTimeOffset At, string Relay, string Queue, int Tokens);

/// <summary>One way of linking cards to queues, and how well it did.</summary>
public sealed record StrategyResult(string Name, int Correct, int Total)
{
    public double Accuracy => Total == 0 ? 0 : (double)Correct / Total;
}

/// <summary>
/// The linkability adversary: with the issuer's database (card hash, time, count, key id, row order) and every relay's
/// payments (time, relay, queue, tokens), it links each redeemed card to one queue by several strategies — rank order
/// of first redemption against first payment, timing proximity (greedy maximum-weight assignment on the time gap from
/// each card's redemptions to the queue's payments), and counts — and is credited with its best one.
/// </summary>
public static class LinkabilityAdversary
{
    /// <summary>Reads every redemption row from the issuer's SQLite file (read only), in row order.</summary>
    public static IReadOnlyList<IssuerRedemption> ReadIssuer(string issuerDb)
    {
        var rows = new List<IssuerRedemption>();
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = issuerDb, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT CardHash, CreatedAt, rowid, Count, KeyId FROM redemptions ORDER BY rowid";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            rows.Add(new IssuerRedemption("0x" + Convert.ToHexStringLower((byte[])reader[0]), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt32(3), reader.GetString(4)));
        }

        return rows;
    }

    /// <summary>
    /// Links cards to queues. <paramref name="cards"/> are the card hashes to link (those of one population); the result
    /// maps card hash → queue label, per strategy.
    /// </summary>
    public static IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Link(IReadOnlyList<IssuerRedemption> redemptions, IReadOnlyList<RelayPayment> payments, IReadOnlySet<string> cards)
    {
        ArgumentNullException.ThrowIfNull(redemptions);
        ArgumentNullException.ThrowIfNull(payments);
        ArgumentNullException.ThrowIfNull(cards);
        var byCard = redemptions.Where(r => cards.Contains(r.CardHash)).GroupBy(r => r.CardHash).ToDictionary(g => g.Key, g => g.OrderBy(r => r.RowOrder).ToList(), StringComparer.Ordinal);
        var byQueue = payments.GroupBy(p => p.Relay + "/" + p.Queue).ToDictionary(g => g.Key, g => g.OrderBy(p => p.At).ToList(), StringComparer.Ordinal);

        var result = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal)
        {
            // Order: the k-th card first redeemed pays for the k-th queue first paid.
            ["rank order"] = Zip(
                byCard.OrderBy(c => c.Value[0].CreatedAt).ThenBy(c => c.Value[0].RowOrder).Select(c => c.Key),
                byQueue.OrderBy(q => q.Value[0].At).Select(q => q.Key)),

            // Order from the last: the card last redeemed pays for the queue last paid.
            ["rank order, last event"] = Zip(
                byCard.OrderBy(c => c.Value[^1].CreatedAt).ThenBy(c => c.Value[^1].RowOrder).Select(c => c.Key),
                byQueue.OrderBy(q => q.Value[^1].At).Select(q => q.Key)),

            // Timing: greedy maximum-weight assignment, weight = closeness of every payment to the card's latest redemption before it.
            ["timing proximity"] = Greedy(byCard, byQueue, (reds, pays) =>
            {
                double score = 0;
                foreach (var p in pays)
                {
                    var at = p.At.ToUnixTimeMilliseconds() / 1000.0;
                    var before = reds.Where(r => r.CreatedAt <= at + 1).Select(r => at - r.CreatedAt).DefaultIfEmpty(double.PositiveInfinity).Min();
                    score += 1.0 / (1.0 + Math.Max(0, before));
                }

                return score;
            }),

            // Counts: tokens redeemed against tokens paid, then redemption-row count against payment count.
            ["counts"] = Greedy(byCard, byQueue, (reds, pays) =>
                -Math.Abs(reds.Sum(r => r.Count) - pays.Sum(p => p.Tokens)) - Math.Abs(reds.Count - pays.Count) / 1000.0),
        };
        return result;
    }

    /// <summary>How many links are right, given the truth (card hash → queue key "relay/queue").</summary>
    public static IReadOnlyList<StrategyResult> Score(IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> links, IReadOnlyDictionary<string, string> truth) =>
        [.. links.Select(l => new StrategyResult(l.Key, truth.Count(t => l.Value.TryGetValue(t.Key, out var q) && q == t.Value), truth.Count))];

    private static Dictionary<string, string> Zip(IEnumerable<string> cards, IEnumerable<string> queues) =>
        cards.Zip(queues).ToDictionary(p => p.First, p => p.Second, StringComparer.Ordinal);

    private static Dictionary<string, string> Greedy(
        Dictionary<string, List<IssuerRedemption>> byCard,
        Dictionary<string, List<RelayPayment>> byQueue,
        Func<List<IssuerRedemption>, List<RelayPayment>, double> weight)
    {
        var pairs = new List<(double W, string Card, string Queue)>(byCard.Count * byQueue.Count);
        foreach (var c in byCard)
        {
            foreach (var q in byQueue)
            {
                pairs.Add((weight(c.Value, q.Value), c.Key, q.Key));
            }
        }

        // Ties broken by name, which carries no information (card hashes and queue labels are random).
        pairs.Sort((a, b) => b.W != a.W ? b.W.CompareTo(a.W) : string.CompareOrdinal(a.Card + a.Queue, b.Card + b.Queue));
        var links = new Dictionary<string, string>(StringComparer.Ordinal);
        var taken = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (_, card, queue) in pairs)
        {
            if (!links.ContainsKey(card) && !taken.Contains(queue))
            {
                links[card] = queue;
                taken.Add(queue);
            }
        }

        return links;
    }

    /// <summary>Chance accuracy of a one-to-one assignment of n items (1/n), and the 99.9% two-sided binomial margin over n trials.</summary>
    public static (double Chance, double Margin) ChanceAndMargin(int n)
    {
        if (n <= 0)
        {
            return (0, 0);
        }

        var p = 1.0 / n;
        return (p, 3.2905 * Math.Sqrt(p * (1 - p) / n));
    }
}
