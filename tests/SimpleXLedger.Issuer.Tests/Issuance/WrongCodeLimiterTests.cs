using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using SimpleXLedger.Issuer.Issuance;

namespace SimpleXLedger.Issuer.Tests.Issuance;

public class WrongCodeLimiterTests
{
    private static WrongCodeLimiter Limiter(ManualTime time, int perClient = 3, int global = 10) =>
        new(new IssuerSettings { DataDirectory = "unused", WrongCodesPerClientPerMinute = perClient, WrongCodesGlobalPerMinute = global }, time, NullLogger<WrongCodeLimiter>.Instance);

    [Fact]
    public void A_client_is_held_off_after_its_wrong_codes_and_others_are_not()
    {
        var time = ManualTime.AtUnix(60_000);
        var limiter = Limiter(time);
        var guesser = IPAddress.Parse("192.0.2.7");
        var other = IPAddress.Parse("192.0.2.8");

        for (var i = 0; i < 3; i++)
        {
            Assert.True(limiter.MayTry(guesser));
            limiter.RecordWrong(guesser);
        }

        Assert.False(limiter.MayTry(guesser));
        Assert.False(limiter.MayTry(IPAddress.Parse("::ffff:192.0.2.7"))); // the same client over IPv6-mapped
        Assert.True(limiter.MayTry(other));

        // The count slides over two minutes, then the client may try again.
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.False(limiter.MayTry(guesser));
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(limiter.MayTry(guesser));
    }

    [Fact]
    public void Everybody_together_is_held_off_at_the_global_limit()
    {
        var time = ManualTime.AtUnix(60_000);
        var limiter = Limiter(time, perClient: 100, global: 10);
        for (var i = 0; i < 10; i++)
        {
            limiter.RecordWrong(IPAddress.Parse($"198.51.100.{i}"));
        }

        Assert.False(limiter.MayTry(IPAddress.Parse("203.0.113.1")));
    }

    [Fact]
    public void The_client_table_is_bounded()
    {
        var limiter = Limiter(ManualTime.AtUnix(60_000), perClient: 5, global: int.MaxValue);
        for (var i = 0; i < 12_000; i++)
        {
            limiter.RecordWrong(new IPAddress(BitConverter.GetBytes(i)));
        }

        Assert.Equal(10_000, limiter.TrackedClients);
    }
}
