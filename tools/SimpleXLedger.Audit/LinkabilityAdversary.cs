using SimpleXLedger.Audit.Storage;
using SimpleXLedger.Hosting.Tracing;

namespace SimpleXLedger.Audit;

/// <summary>A card's redemption as the issuer stored it: its hash, the time (seconds), the row's position.</summary>
public sealed record IssuerRedemption(string CardHash, long CreatedAt, long RowOrder, int Count, string KeyId);

/// <summary>A payment as a relay operator sees it on the wire: when, which relay, which queue (an opaque label), how many tokens.</summary>
public sealed record RelayPayment(DateTimeOffset At, string Relay, string Queue, int Tokens);

/// <summary>An issued total the issuer anchored on-chain (IssuedAnchored), with its block's time: public to everyone.</summary>
public sealed record ChainIssuance(string KeyId, ulong Cumulative, DateTimeOffset At);

/// <summary>One way of linking cards to queues, and how well it did.</summary>
public sealed record StrategyResult(string Name, int Correct, int Total)
{
    public double Accuracy => Total == 0 ? 0 : (double)Correct / Total;
}

/// <summary>
/// The linkability adversary: with the issuer's database (card hash, time, count, key id, row order), every relay's
/// payments (time, relay, queue, tokens) and the services' request traces (every call's time to the millisecond, its
/// sizes and status), it links each redeemed card to one queue by several strategies — rank order of first redemption
/// against first payment, timing proximity (greedy maximum-weight assignment on the time gap from each card's
/// redemptions to the queue's payments), counts, and from the traces: the same proximity on the exact times of the
/// issuer's Redeem calls and the relays' paying calls, the closeness of each queue's first payment (its creation) to
/// the redemption before it, and adjacency (which redemption call came last before each paying call); and from the
/// chain's IssuedAnchored events: when each card's tokens became public as issued — and is credited with its best one.
/// </summary>
public static class LinkabilityAdversary
{
    /// <summary>The issuer's calls that debit a card: gRPC Redeem and RFC 9578 HTTP issuance.</summary>
    public const string IssuerRedeemCall = "/sxl.issuer.v1.Issuer/Redeem";

    public const string IssuerHttpRedeemCall = "POST /token-request";

    /// <summary>The relay's one-command call (create, top-up, send, …).</summary>
    public const string RelayExecuteCall = "/sxl.relay.v1.Relay/Execute";

    /// <summary>
    /// An RFC 9577 type 2 token's size (type, nonce, challenge digest, key id, authenticator): a relay call at least
    /// this big carries a payment (or a message body). The adversary knows the protocol, so it can tell them apart.
    /// </summary>
    public const int TokenBytes = 2 + 32 + 32 + 32 + 256;

    /// <summary>Reads every redemption row from the issuer's SQLite file (read only), in row order.</summary>
    public static IReadOnlyList<IssuerRedemption> ReadIssuer(string issuerDb)
    {
        return [.. ServiceStorage.IssuerRedemptions(issuerDb).Select(r => new IssuerRedemption("0x" + Convert.ToHexStringLower(r.CardHash), r.CreatedAt, r.RowId, r.Count, r.KeyId))];
    }

    /// <summary>
    /// Links cards to queues. <paramref name="cards"/> are the card hashes to link (those of one population); the result
    /// maps card hash → queue label, per strategy.
    /// </summary>
    public static IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Link(IReadOnlyList<IssuerRedemption> redemptions, IReadOnlyList<RelayPayment> payments, IReadOnlySet<string> cards, ServiceTraces? traces = null, TimeSpan minTokenAge = default, Func<DateTimeOffset, DateTimeOffset>? clock = null, IReadOnlyList<ChainIssuance>? chain = null)
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
        if (traces is not null)
        {
            AddTraceStrategies(result, redemptions, byCard, byQueue, traces, minTokenAge.TotalSeconds, clock ?? (t => t));
        }

        if (chain is { Count: > 0 })
        {
            AddChainStrategy(result, redemptions, byCard, byQueue, chain, clock ?? (t => t));
        }

        return result;
    }

    /// <summary>
    /// The chain's IssuedAnchored events say when each run of tokens under a key became public as issued: a card's
    /// redemption (its place in the issuer's row order, counted in tokens per key) is published by the first anchored
    /// total that covers it. A card whose tokens are published just before a queue starts being paid is linked to it.
    /// </summary>
    private static void AddChainStrategy(
        Dictionary<string, IReadOnlyDictionary<string, string>> result,
        IReadOnlyList<IssuerRedemption> redemptions,
        Dictionary<string, List<IssuerRedemption>> byCard,
        Dictionary<string, List<RelayPayment>> byQueue,
        IReadOnlyList<ChainIssuance> chain,
        Func<DateTimeOffset, DateTimeOffset> clock)
    {
        var published = PublishedAt(redemptions, chain);
        var cardTimes = byCard.ToDictionary(
            c => c.Key,
            c => c.Value.Where(r => published.ContainsKey(r.RowOrder)).Select(r => Seconds(clock(published[r.RowOrder]))).Order().ToList(),
            StringComparer.Ordinal);
        var queueTimes = byQueue.ToDictionary(q => q.Key, q => q.Value.Select(p => Seconds(clock(p.At))).Order().ToList(), StringComparer.Ordinal);
        result["chain issuance anchoring"] = Greedy(cardTimes, queueTimes, (pubs, pays) =>
        {
            if (pubs.Count == 0 || pays.Count == 0)
            {
                return 0;
            }

            // The queue's first payment against the card's latest publication before it (a block time has whole seconds).
            var gap = double.PositiveInfinity;
            foreach (var t in pubs)
            {
                if (t <= pays[0] + 1)
                {
                    gap = Math.Min(gap, pays[0] - t);
                }
            }

            return 1.0 / (1.0 + Math.Max(0, gap));
        });
    }

    /// <summary>Row order → the time the chain published that redemption's tokens as issued (absent: not anchored yet).</summary>
    internal static Dictionary<long, DateTimeOffset> PublishedAt(IReadOnlyList<IssuerRedemption> redemptions, IReadOnlyList<ChainIssuance> chain)
    {
        var published = new Dictionary<long, DateTimeOffset>();
        var anchors = chain.GroupBy(c => c.KeyId, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.OrderBy(c => c.At).ThenBy(c => c.Cumulative).ToList(), StringComparer.OrdinalIgnoreCase);
        foreach (var key in redemptions.GroupBy(r => r.KeyId, StringComparer.OrdinalIgnoreCase))
        {
            if (!anchors.TryGetValue(key.Key, out var totals))
            {
                continue;
            }

            ulong issued = 0;
            var next = 0;
            foreach (var r in key.OrderBy(r => r.RowOrder))
            {
                issued += (ulong)r.Count;
                while (next < totals.Count && totals[next].Cumulative < issued)
                {
                    next++;
                }

                if (next == totals.Count)
                {
                    break;
                }

                published[r.RowOrder] = totals[next].At;
            }
        }

        return published;
    }

    /// <summary>
    /// The traces give every redemption and every payment its exact time: the issuer's database may keep only the
    /// day, but its row order is the order of its successful Redeem calls, so the k-th row is the k-th such call; a
    /// payment is the relay's last paying call (a request of at least a token's size) at or before it was seen. Both
    /// joins are made on the times as recorded; <paramref name="clock"/> then puts them on the users' own clock
    /// (the audit's accelerated run, see <see cref="SimulatedTimeline"/>) before they are compared.
    /// </summary>
    private static void AddTraceStrategies(
        Dictionary<string, IReadOnlyDictionary<string, string>> result,
        IReadOnlyList<IssuerRedemption> redemptions,
        Dictionary<string, List<IssuerRedemption>> byCard,
        Dictionary<string, List<RelayPayment>> byQueue,
        ServiceTraces traces,
        double minAge,
        Func<DateTimeOffset, DateTimeOffset> clock)
    {
        double OnClock(double seconds) => Seconds(clock(DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(seconds * 1000))));
        var callEnds = RedemptionCallEnds(redemptions, traces.Issuer);
        var cardTimes = byCard.ToDictionary(
            c => c.Key,
            c => c.Value.Select(r => callEnds.TryGetValue(r.RowOrder, out var end) ? OnClock(end) : r.CreatedAt).Order().ToList(),
            StringComparer.Ordinal);
        var payingCalls = traces.Relays.ToDictionary(
            r => r.Key,
            r => r.Value.Where(e => e.Call == RelayExecuteCall && e.Status == "OK" && e.RequestBytes >= TokenBytes).Select(e => Seconds(e.At)).Order().ToArray(),
            StringComparer.Ordinal);
        var queueTimes = byQueue.ToDictionary(
            q => q.Key,
            q => q.Value.Select(p => OnClock(PaidAt(p, payingCalls))).Order().ToList(),
            StringComparer.Ordinal);

        // Timing on exact times: every payment's closeness to the card's latest redemption call before it.
        result["trace timing proximity"] = Greedy(cardTimes, queueTimes, (reds, pays) =>
        {
            double score = 0;
            foreach (var at in pays)
            {
                var before = double.PositiveInfinity;
                foreach (var r in reds)
                {
                    if (r <= at + 0.001)
                    {
                        before = Math.Min(before, at - r);
                    }
                }

                score += 1.0 / (1.0 + Math.Max(0, before));
            }

            return score;
        });

        // First payment: a queue's first payment is its creation, the user's own act, not delayed by the wallet's
        // top-up timer: how close did it come after the card's latest redemption call?
        // A wallet that keeps a minimum token age pays no sooner than that after redeeming: measured from there (to
        // within a second: the wallet counts a token's age in whole seconds).
        double FirstGap(List<double> reds, List<double> pays, double shift)
        {
            var first = pays[0] - shift;
            var slack = shift > 0 ? 1.0 : 0.001;
            var gap = double.PositiveInfinity;
            foreach (var r in reds)
            {
                if (r <= first + slack)
                {
                    gap = Math.Min(gap, first - r);
                }
            }

            return 1.0 / (1.0 + Math.Max(0, gap));
        }

        result["trace first payment"] = Greedy(cardTimes, queueTimes, (reds, pays) => FirstGap(reds, pays, 0));
        if (minAge > 0)
        {
            result["trace first payment after the minimum token age"] = Greedy(cardTimes, queueTimes, (reds, pays) => FirstGap(reds, pays, minAge));
        }

        // Adjacency: the redemption call that came last before each paying call gets that queue's vote (ties broken
        // by the first payment's closeness).
        var timeline = cardTimes.SelectMany(c => c.Value.Select(t => (At: t, Card: c.Key))).OrderBy(x => x.At).ToArray();
        var votes = new Dictionary<(string Card, string Queue), int>();
        foreach (var (queue, times) in queueTimes)
        {
            foreach (var at in times)
            {
                var i = LastAtOrBefore(timeline, at);
                if (i >= 0)
                {
                    var key = (timeline[i].Card, queue);
                    votes[key] = votes.GetValueOrDefault(key) + 1;
                }
            }
        }

        result["trace adjacency"] = Greedy(cardTimes, queueTimes, (reds, pays) => FirstGap(reds, pays, 0) / 2, (card, queue) => votes.GetValueOrDefault((card, queue)));
    }

    /// <summary>
    /// Row order → the end of the successful Redeem call that wrote the row (k-th row, k-th call), in seconds. Calls
    /// are taken in the trace's own order: a line is written as its call ends, just after the call's row was committed.
    /// </summary>
    internal static Dictionary<long, double> RedemptionCallEnds(IReadOnlyList<IssuerRedemption> redemptions, IReadOnlyList<RequestTraceEntry> issuerTrace)
    {
        var calls = issuerTrace
            .Where(e => (e.Call == IssuerRedeemCall && e.Status == "OK") || (e.Call == IssuerHttpRedeemCall && e.Status == "200"))
            .Select(e => Seconds(e.At) + (e.DurationMicros / 1e6))
            .ToArray();
        var rows = redemptions.OrderBy(r => r.RowOrder).ToArray();
        var ends = new Dictionary<long, double>();
        for (var k = 0; k < Math.Min(rows.Length, calls.Length); k++)
        {
            ends[rows[k].RowOrder] = calls[k];
        }

        return ends;
    }

    private static double PaidAt(RelayPayment payment, Dictionary<string, double[]> payingCalls)
    {
        var seen = Seconds(payment.At);
        if (payingCalls.TryGetValue(payment.Relay, out var calls))
        {
            var i = Array.BinarySearch(calls, seen + 0.050);
            i = i >= 0 ? i : ~i - 1;
            if (i >= 0)
            {
                return calls[i];
            }
        }

        return seen;
    }

    private static int LastAtOrBefore((double At, string Card)[] timeline, double at)
    {
        int lo = 0, hi = timeline.Length - 1, found = -1;
        while (lo <= hi)
        {
            var mid = (lo + hi) / 2;
            if (timeline[mid].At <= at)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return found;
    }

    private static double Seconds(DateTimeOffset at) => at.ToUnixTimeMilliseconds() / 1000.0;

    /// <summary>How many links are right, given the truth (card hash → queue key "relay/queue").</summary>
    public static IReadOnlyList<StrategyResult> Score(IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> links, IReadOnlyDictionary<string, string> truth) =>
        [.. links.Select(l => new StrategyResult(l.Key, truth.Count(t => l.Value.TryGetValue(t.Key, out var q) && q == t.Value), truth.Count))];

    private static Dictionary<string, string> Zip(IEnumerable<string> cards, IEnumerable<string> queues) =>
        cards.Zip(queues).ToDictionary(p => p.First, p => p.Second, StringComparer.Ordinal);

    private static Dictionary<string, string> Greedy<TCard, TQueue>(
        Dictionary<string, TCard> byCard,
        Dictionary<string, TQueue> byQueue,
        Func<TCard, TQueue, double> weight,
        Func<string, string, double>? extra = null)
    {
        var pairs = new List<(double W, string Card, string Queue)>(byCard.Count * byQueue.Count);
        foreach (var c in byCard)
        {
            foreach (var q in byQueue)
            {
                pairs.Add(((extra?.Invoke(c.Key, q.Key) ?? 0) + weight(c.Value, q.Value), c.Key, q.Key));
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
