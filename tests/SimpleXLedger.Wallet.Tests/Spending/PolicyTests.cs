using SimpleXLedger.Wallet.Spending;

namespace SimpleXLedger.Wallet.Tests.Spending;

/// <summary>Delay distributions, the spending policy's text form, and the replayable random source.</summary>
public sealed class PolicyTests
{
    [Theory]
    [InlineData("0")]
    [InlineData("fixed:30s")]
    [InlineData("uniform:10s-5m")]
    [InlineData("exp:10m/1h")]
    [InlineData("uniform:250ms-2s")]
    public void Delays_round_trip_through_their_text(string text)
    {
        var d = DelayDistribution.Parse(text);
        Assert.Equal(text, d.ToText());
        Assert.Equal(d, DelayDistribution.Parse(d.ToText()));
    }

    [Theory]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("uniform:5m-10s")]
    [InlineData("exp:0s")]
    [InlineData("exp:10m/1m")]
    [InlineData("fixed:-3s")]
    [InlineData("fixed:400d")]
    public void Malformed_delays_are_refused(string text) =>
        Assert.Equal(WalletError.InvalidInput, Assert.Throws<WalletException>(() => DelayDistribution.Parse(text)).Error);

    [Fact]
    public void Uniform_delays_stay_in_their_range_and_cover_it()
    {
        var random = new SeededRandomSource(1);
        var d = DelayDistribution.Uniform(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(20));
        var samples = Enumerable.Range(0, 2000).Select(_ => d.Next(random)).ToList();
        Assert.All(samples, s => Assert.InRange(s, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(20)));
        Assert.True(samples.Min() < TimeSpan.FromSeconds(10.2));
        Assert.True(samples.Max() > TimeSpan.FromSeconds(19.8));
    }

    [Fact]
    public void Exponential_delays_have_their_mean_and_respect_their_cap()
    {
        var random = new SeededRandomSource(2);
        var d = DelayDistribution.Exponential(TimeSpan.FromMinutes(10), TimeSpan.FromHours(1));
        var samples = Enumerable.Range(0, 20_000).Select(_ => d.Next(random).TotalMinutes).ToList();
        Assert.All(samples, s => Assert.InRange(s, 0, 60));
        // Mean of an exponential capped at 6 means: 10 × (1 − e^−6) ≈ 9.975 minutes; 20,000 samples put it within ±0.3.
        Assert.InRange(samples.Average(), 9.6, 10.4);
    }

    [Fact]
    public void A_seeded_source_replays_and_the_crypto_source_does_not_repeat()
    {
        var a = new SeededRandomSource(42);
        var b = new SeededRandomSource(42);
        var c = new SeededRandomSource(43);
        var first = Enumerable.Range(0, 10).Select(_ => a.NextUInt64()).ToList();
        Assert.Equal(first, Enumerable.Range(0, 10).Select(_ => b.NextUInt64()));
        Assert.NotEqual(first, Enumerable.Range(0, 10).Select(_ => c.NextUInt64()));
        var crypto = Enumerable.Range(0, 100).Select(_ => CryptoRandomSource.Instance.NextUInt64()).ToHashSet();
        Assert.Equal(100, crypto.Count);
    }

    [Fact]
    public void Policies_round_trip_through_their_text_and_refuse_nonsense()
    {
        foreach (var policy in new[] { SpendingPolicy.Careful, SpendingPolicy.Careless, SpendingPolicy.Careful with { TopUpStep = 25, TopUpDelay = DelayDistribution.Uniform(TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(9)) } })
        {
            Assert.Equal(policy, SpendingPolicy.Parse(policy.ToText()));
        }

        Assert.Equal(SpendingPolicy.Careful, SpendingPolicy.Parse(string.Empty));
        Assert.False(SpendingPolicy.TryParse("step=0", out _, out _));
        Assert.False(SpendingPolicy.TryParse("step=10;colour=blue", out _, out var error));
        Assert.Contains("colour", error, StringComparison.Ordinal);
        Assert.False(SpendingPolicy.TryParse("delay=whenever", out _, out _));
    }

    [Fact]
    public void The_careful_default_waits_an_hour_before_spending_new_tokens_and_the_careless_control_does_not()
    {
        Assert.Equal(TimeSpan.FromHours(1), SpendingPolicy.Careful.MinTokenAge);
        Assert.Equal(TimeSpan.FromHours(1), new SpendingPolicy().MinTokenAge);
        Assert.Contains("age=1h", SpendingPolicy.Careful.ToText(), StringComparison.Ordinal);
        Assert.Equal(TimeSpan.Zero, SpendingPolicy.Careless.MinTokenAge);

        // A wallet made before the default changed keeps what it stored; one that chooses 0 gets 0.
        Assert.Equal(TimeSpan.Zero, SpendingPolicy.Parse("batch=100;prefetch=true;step=10;delay=exp:10m/1h;low=1000000;age=0s;immediate=false;connections=fresh").MinTokenAge);
        Assert.Equal(TimeSpan.FromHours(1), SpendingPolicy.Parse("step=20").MinTokenAge);
    }
}
