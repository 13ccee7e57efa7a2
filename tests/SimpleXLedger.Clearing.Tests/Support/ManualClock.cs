namespace SimpleXLedger.Clearing.Tests.Support;

/// <summary>A clock the test moves (the registry's "latest block time" in development mode).</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public ulong UnixSeconds => (ulong)GetUtcNow().ToUnixTimeSeconds();

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}
