namespace SimpleXLedger.Issuer.Tests;

/// <summary>A clock the test moves by hand.</summary>
public sealed class ManualTime(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public static ManualTime AtUnix(long seconds) => new(DateTimeOffset.FromUnixTimeSeconds(seconds));

    public long UnixNow => _now.ToUnixTimeSeconds();

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
