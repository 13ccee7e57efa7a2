using System.Globalization;

namespace SimpleXLedger.Wallet.Spending;

/// <summary>
/// How long a top-up waits after it is asked for, drawn afresh for each top-up, so the moment a queue is paid says
/// nothing about the moment it ran low, was created, or another queue was paid. Text forms (for options and the
/// wallet file): <c>0</c>, <c>fixed:30s</c>, <c>uniform:10s-5m</c>, <c>exp:10m</c> or <c>exp:10m/1h</c> (mean, cap).
/// </summary>
public abstract record DelayDistribution
{
    /// <summary>No delay at all: only for careless control wallets in experiments.</summary>
    public static DelayDistribution None { get; } = new FixedDelay(TimeSpan.Zero);

    /// <summary>The default: exponential with a 10-minute mean, capped at an hour.</summary>
    public static DelayDistribution Default { get; } = new ExponentialDelay(TimeSpan.FromMinutes(10), TimeSpan.FromHours(1));

    public static DelayDistribution Fixed(TimeSpan delay) => new FixedDelay(delay);

    public static DelayDistribution Uniform(TimeSpan min, TimeSpan max) => new UniformDelay(min, max);

    public static DelayDistribution Exponential(TimeSpan mean, TimeSpan max) => new ExponentialDelay(mean, max);

    public abstract TimeSpan Next(IRandomSource random);

    public abstract string ToText();

    public static DelayDistribution Parse(string text) =>
        TryParse(text, out var d, out var error) ? d : throw new WalletException(WalletError.InvalidInput, error);

    public static bool TryParse(string? text, out DelayDistribution distribution, out string error)
    {
        distribution = None;
        error = "a delay is 0, fixed:<duration>, uniform:<min>-<max> or exp:<mean>[/<max>] (durations like 500ms, 30s, 10m, 2h)";
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        text = text.Trim();
        if (text == "0")
        {
            return true;
        }

        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            return false;
        }

        var kind = text[..colon];
        var rest = text[(colon + 1)..];
        switch (kind)
        {
            case "fixed" when Durations.TryParse(rest, out var fixedDelay):
                distribution = new FixedDelay(fixedDelay);
                return true;
            case "uniform":
                var dash = rest.IndexOf('-', StringComparison.Ordinal);
                if (dash > 0 && Durations.TryParse(rest[..dash], out var min) && Durations.TryParse(rest[(dash + 1)..], out var max) && min <= max)
                {
                    distribution = new UniformDelay(min, max);
                    return true;
                }

                return false;
            case "exp":
                var slash = rest.IndexOf('/', StringComparison.Ordinal);
                var meanText = slash < 0 ? rest : rest[..slash];
                if (!Durations.TryParse(meanText, out var mean) || mean <= TimeSpan.Zero)
                {
                    return false;
                }

                var cap = mean * 6;
                if (slash >= 0 && (!Durations.TryParse(rest[(slash + 1)..], out cap) || cap < mean))
                {
                    return false;
                }

                distribution = new ExponentialDelay(mean, cap);
                return true;
            default:
                return false;
        }
    }
}

public sealed record FixedDelay(TimeSpan Delay) : DelayDistribution
{
    public override TimeSpan Next(IRandomSource random) => Delay;

    public override string ToText() => Delay == TimeSpan.Zero ? "0" : "fixed:" + Durations.Format(Delay);
}

/// <summary>Uniform between two durations (millisecond resolution).</summary>
public sealed record UniformDelay(TimeSpan Min, TimeSpan Max) : DelayDistribution
{
    public override TimeSpan Next(IRandomSource random) => Min + TimeSpan.FromMilliseconds(Math.Floor(random.NextUnit() * (Max - Min).TotalMilliseconds));

    public override string ToText() => $"uniform:{Durations.Format(Min)}-{Durations.Format(Max)}";
}

/// <summary>Exponential (memoryless: waiting longer tells nothing about when it ends), capped.</summary>
public sealed record ExponentialDelay(TimeSpan Mean, TimeSpan Max) : DelayDistribution
{
    public override TimeSpan Next(IRandomSource random)
    {
        var sample = -Math.Log(1.0 - random.NextUnit()) * Mean.TotalMilliseconds;
        return TimeSpan.FromMilliseconds(Math.Floor(Math.Min(sample, Max.TotalMilliseconds)));
    }

    public override string ToText() => $"exp:{Durations.Format(Mean)}/{Durations.Format(Max)}";
}

/// <summary>Durations as people write them: 250ms, 30s, 10m, 2h, 1d (a bare number is seconds).</summary>
public static class Durations
{
    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        text = text.Trim();
        var (number, unit) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], "ms")
            : char.IsDigit(text[^1]) ? (text, "s")
            : (text[..^1], text[^1..]);
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value < 0 || double.IsInfinity(value))
        {
            return false;
        }

        double? ms = unit switch
        {
            "ms" => value,
            "s" => value * 1000,
            "m" => value * 60_000,
            "h" => value * 3_600_000,
            "d" => value * 86_400_000,
            _ => null,
        };
        if (ms is not { } milliseconds || milliseconds > TimeSpan.FromDays(365).TotalMilliseconds)
        {
            return false;
        }

        duration = TimeSpan.FromMilliseconds(milliseconds);
        return true;
    }

    public static string Format(TimeSpan duration)
    {
        var ms = (long)duration.TotalMilliseconds;
        return ms % 3_600_000 == 0 && ms > 0 ? $"{ms / 3_600_000}h"
            : ms % 60_000 == 0 && ms > 0 ? $"{ms / 60_000}m"
            : ms % 1000 == 0 ? $"{ms / 1000}s"
            : $"{ms}ms";
    }
}
