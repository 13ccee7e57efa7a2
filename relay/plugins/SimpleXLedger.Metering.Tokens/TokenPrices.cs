using System.Globalization;
using SimpleXLedger.Relay.Metering;

namespace SimpleXLedger.Metering.Tokens;

/// <summary>
/// Prices in credits (one token = one credit), kept as microcredits. Settings: <c>creditsPerQueue</c>
/// (default 1), <c>messagesPerCredit</c> (default 100), <c>creditsPerMbDay</c> (default 1; MB = 10^6 bytes).
/// </summary>
internal sealed record TokenPrices(long QueueMicros, long MessageMicros, long MbDayMicros)
{
    public const long MicrosPerCredit = 1_000_000;

    public static TokenPrices From(MeteringPluginContext context)
    {
        var perQueue = Credits(context, "creditsPerQueue", 1m);
        var messagesPerCredit = Credits(context, "messagesPerCredit", 100m);
        var perMbDay = Credits(context, "creditsPerMbDay", 1m);
        if (perQueue > 1m)
        {
            throw new ArgumentException("creditsPerQueue must be at most 1: one token has to pay for a queue");
        }

        if (messagesPerCredit <= 0m)
        {
            throw new ArgumentException("messagesPerCredit must be positive");
        }

        return new TokenPrices(
            (long)Math.Ceiling(perQueue * MicrosPerCredit),
            (long)Math.Ceiling(MicrosPerCredit / messagesPerCredit),
            (long)Math.Ceiling(perMbDay * MicrosPerCredit));
    }

    /// <summary>Storage charge for bytes held over a duration, rounded down (never overcharges).</summary>
    public long Storage(long bytes, TimeSpan duration)
    {
        var charge = (Int128)bytes * (Int128)(long)duration.TotalSeconds * MbDayMicros / ((Int128)1_000_000 * 86_400);
        return charge > long.MaxValue ? long.MaxValue : (long)charge;
    }

    private static decimal Credits(MeteringPluginContext context, string key, decimal fallback)
    {
        if (context.Setting(key) is not { } text)
        {
            return fallback;
        }

        if (!decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out var value) || value < 0)
        {
            throw new ArgumentException($"the tokens plugin's '{key}' setting must be a non-negative number");
        }

        return value;
    }
}
