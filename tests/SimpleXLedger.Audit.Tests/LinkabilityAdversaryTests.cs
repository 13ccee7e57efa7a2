using SimpleXLedger.Audit;
using SimpleXLedger.Hosting.Tracing;
using SimpleXLedger.Wallet.Spending;

namespace SimpleXLedger.Audit.Tests;

/// <summary>
/// The adversary on made-up evidence whose answer is known: traces that put each payment right after its card's
/// redemption are linked; independent timing is not; a constant minimum age alone does not hide anything from an
/// adversary who knows it (which is why the wallet adds a random delay on top).
/// </summary>
public sealed class LinkabilityAdversaryTests
{
    private const string RelayA = "sxl://a@127.0.0.1:1";
    private const string RelayB = "sxl://b@127.0.0.1:2";
    private static readonly DateTimeOffset Start = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    [Fact]
    public void Payments_right_after_their_cards_redemption_calls_are_linked_from_the_traces_even_when_the_database_keeps_only_the_day()
    {
        var world = new World(users: 30, seed: 1);
        foreach (var u in world.Users)
        {
            // Careless: each payment fetches its token just before (a redemption call), then pays.
            foreach (var at in new[] { u.First, u.First + TimeSpan.FromMinutes(7) })
            {
                world.Redeem(u, at - TimeSpan.FromMilliseconds(300), tokens: 1);
                world.Pay(u, at);
            }
        }

        var best = world.Attack();
        Assert.Equal(1.0, best["trace timing proximity"]);
        Assert.Equal(1.0, best["trace first payment"]);
        Assert.Equal(1.0, best["trace adjacency"]);
        // Without traces the day-rounded database says nothing about time.
        Assert.True(best["timing proximity"] < 0.5);
    }

    [Fact]
    public void Payments_at_times_unrelated_to_redemptions_are_linked_no_better_than_chance()
    {
        var world = new World(users: 60, seed: 2);
        foreach (var u in world.Users)
        {
            world.Redeem(u, Start + (TimeSpan.FromMinutes(5) * world.Unit()), tokens: 100);
            world.Pay(u, Start + TimeSpan.FromMinutes(5) + (TimeSpan.FromMinutes(5) * world.Unit()));
            world.Pay(u, Start + TimeSpan.FromMinutes(10) + (TimeSpan.FromMinutes(5) * world.Unit()), tokens: 10);
        }

        var (chance, margin) = LinkabilityAdversary.ChanceAndMargin(world.Users.Count);
        Assert.All(world.Attack(), s => Assert.True(s.Value <= chance + margin, $"{s.Key}: {s.Value:P1}"));
    }

    [Fact]
    public void A_constant_minimum_age_is_seen_through_by_an_adversary_who_knows_it()
    {
        var world = new World(users: 40, seed: 3);
        var age = TimeSpan.FromMinutes(2);
        foreach (var u in world.Users)
        {
            // Redemptions every few seconds; each queue paid exactly the minimum age after its card.
            var redeemed = Start + (TimeSpan.FromMinutes(10) * world.Unit());
            world.Redeem(u, redeemed, tokens: 100);
            world.Pay(u, redeemed + age);
        }

        var best = world.Attack(age);
        Assert.True(best["trace first payment after the minimum token age"] >= 0.9, $"{best["trace first payment after the minimum token age"]:P0}");
        Assert.True(best["trace adjacency"] < 0.5);
    }

    [Fact]
    public void The_kth_redemption_row_is_the_kth_successful_redeem_call()
    {
        var rows = new[] { new IssuerRedemption("0x01", 0, 7, 100, "k"), new IssuerRedemption("0x02", 0, 9, 100, "k") };
        var trace = new[]
        {
            Entry(Start, LinkabilityAdversary.IssuerRedeemCall, "OK"),
            Entry(Start.AddSeconds(1), LinkabilityAdversary.IssuerRedeemCall, "Unauthenticated"),
            Entry(Start.AddSeconds(2), LinkabilityAdversary.IssuerRedeemCall, "OK"),
        };
        var ends = LinkabilityAdversary.RedemptionCallEnds(rows, trace);
        Assert.Equal(Start.ToUnixTimeSeconds() + 0.001, ends[7], 6);
        Assert.Equal(Start.ToUnixTimeSeconds() + 2.001, ends[9], 6);
    }

    [Fact]
    public void A_redemption_is_published_by_the_first_anchored_total_of_its_key_that_covers_it()
    {
        var rows = new[]
        {
            new IssuerRedemption("0x01", 0, 1, 100, "aa"), new IssuerRedemption("0x02", 0, 2, 100, "aa"),
            new IssuerRedemption("0x03", 0, 3, 50, "bb"), new IssuerRedemption("0x04", 0, 4, 100, "aa"),
            new IssuerRedemption("0x05", 0, 5, 100, "aa"),
        };
        var chain = new[]
        {
            new ChainIssuance("AA", 100, Start), new ChainIssuance("aa", 300, Start.AddSeconds(5)), new ChainIssuance("bb", 50, Start.AddSeconds(7)),
        };

        var published = LinkabilityAdversary.PublishedAt(rows, chain);

        Assert.Equal(Start, published[1]);
        Assert.Equal(Start.AddSeconds(5), published[2]);
        Assert.Equal(Start.AddSeconds(7), published[3]);
        Assert.Equal(Start.AddSeconds(5), published[4]);
        Assert.False(published.ContainsKey(5)); // 400 issued under aa, 300 anchored: not public yet
    }

    [Fact]
    public void Tokens_anchored_on_chain_just_before_a_queue_is_first_paid_link_that_queue_to_the_card()
    {
        var world = new World(users: 30, seed: 4);
        var at = Start;
        foreach (var u in world.Users.OrderBy(u => u.First))
        {
            // Careless and alone on the network: redeem, the issuer anchors its total, the queue is paid at once.
            at += TimeSpan.FromMinutes(3);
            world.Redeem(u, at, tokens: 100);
            world.Anchor(at + TimeSpan.FromSeconds(20));
            world.Pay(u, at + TimeSpan.FromSeconds(30));
        }

        Assert.Equal(1.0, world.Attack()["chain issuance anchoring"]);
    }

    private static RequestTraceEntry Entry(DateTimeOffset at, string call, string status, long requestBytes = 100) =>
        new(at, 1000, RequestKind.Grpc, call, 1, requestBytes, 1, 100, status);

    /// <summary>A made-up network: users with a card and a queue, the issuer's rows and trace, the relays' payments and traces.</summary>
    private sealed class World
    {
        private readonly SeededRandomSource _random;
        private readonly List<(IssuerRedemption Row, RequestTraceEntry Call)> _redemptions = [];
        private readonly List<RelayPayment> _payments = [];
        private readonly Dictionary<string, List<RequestTraceEntry>> _relayTraces = new(StringComparer.Ordinal) { [RelayA] = [], [RelayB] = [] };
        private readonly List<ChainIssuance> _chain = [];

        public World(int users, ulong seed)
        {
            _random = new SeededRandomSource(seed);
            for (var i = 0; i < users; i++)
            {
                Users.Add(new User($"0x{i:x4}{Unit():F6}", i % 2 == 0 ? RelayA : RelayB, $"q{i}", Start + (TimeSpan.FromMinutes(10) * Unit())));
            }
        }

        public List<User> Users { get; } = [];

        public double Unit() => _random.NextUnit();

        public void Redeem(User user, DateTimeOffset at, int tokens)
        {
            // The database keeps the day only; the row order is the order of the calls (kept sorted below).
            _redemptions.Add((new IssuerRedemption(user.Card, at.ToUnixTimeSeconds() - (at.ToUnixTimeSeconds() % 86_400), 0, tokens, "k"), Entry(at, LinkabilityAdversary.IssuerRedeemCall, "OK", 64 + (256 * tokens))));
        }

        /// <summary>The issuer anchors everything it issued so far (key "k") in a block at <paramref name="at"/>.</summary>
        public void Anchor(DateTimeOffset at) =>
            _chain.Add(new ChainIssuance("k", (ulong)_redemptions.Where(r => r.Call.At <= at).Sum(r => r.Row.Count), DateTimeOffset.FromUnixTimeSeconds(at.ToUnixTimeSeconds())));

        public void Pay(User user, DateTimeOffset at, int tokens = 1)
        {
            for (var t = 0; t < tokens; t++)
            {
                _relayTraces[user.Relay].Add(Entry(at + TimeSpan.FromMilliseconds(t), LinkabilityAdversary.RelayExecuteCall, "OK", LinkabilityAdversary.TokenBytes + 40));
            }

            _payments.Add(new RelayPayment(at + TimeSpan.FromMilliseconds(tokens + 5), user.Relay, user.Queue, tokens));
        }

        /// <summary>Each strategy's accuracy.</summary>
        public Dictionary<string, double> Attack(TimeSpan minTokenAge = default)
        {
            var ordered = _redemptions.OrderBy(r => r.Call.At).Select((r, k) => (Row: r.Row with { RowOrder = k + 1 }, r.Call)).ToList();
            var traces = new ServiceTraces([.. ordered.Select(r => r.Call)], _relayTraces.ToDictionary(r => r.Key, r => (IReadOnlyList<RequestTraceEntry>)r.Value.OrderBy(e => e.At).ToList()), []);
            var truth = Users.ToDictionary(u => u.Card, u => u.Relay + "/" + u.Queue, StringComparer.Ordinal);
            var links = LinkabilityAdversary.Link([.. ordered.Select(r => r.Row)], _payments, truth.Keys.ToHashSet(StringComparer.Ordinal), traces, minTokenAge, chain: _chain);
            return LinkabilityAdversary.Score(links, truth).ToDictionary(s => s.Name, s => s.Accuracy, StringComparer.Ordinal);
        }
    }

    private sealed record User(string Card, string Relay, string Queue, DateTimeOffset First);
}
