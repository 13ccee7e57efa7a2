using System.Globalization;
using System.Text;

namespace SimpleXLedger.Wallet.Spending;

/// <summary>
/// How the wallet fetches and spends tokens (design: "no counts or timings that fingerprint"). The default
/// (<see cref="Careful"/>) redeems a whole card at once in fixed batches ahead of use, tops queues up in fixed steps,
/// each after a fresh random delay and over a connection of its own, and never pays at the moment a relay asks.
/// <see cref="Careless"/> is the opposite, for experiments that must show an adversary catches it.
/// </summary>
public sealed record SpendingPolicy
{
    /// <summary>The denomination step: tokens per redemption request (cards are multiples of it).</summary>
    public const int DefaultBatch = 100;

    /// <summary>Tokens asked for in one redemption request.</summary>
    public int RedeemBatch { get; init; } = DefaultBatch;

    /// <summary>True: a card is redeemed whole as soon as it is added. False: tokens are fetched only when a payment needs them.</summary>
    public bool PrefetchTokens { get; init; } = true;

    /// <summary>Tokens paid into a queue by one top-up.</summary>
    public int TopUpStep { get; init; } = 10;

    /// <summary>The wait between asking for a top-up and making it.</summary>
    public DelayDistribution TopUpDelay { get; init; } = DelayDistribution.Default;

    /// <summary>A queue whose known credit (relay units, microcredits for the tokens plugin) falls below this gets a top-up scheduled.</summary>
    public long LowCredit { get; init; } = 1_000_000;

    /// <summary>The default minimum token age: an hour, so that buying credit and using it are not moments apart.</summary>
    public static readonly TimeSpan DefaultMinTokenAge = TimeSpan.FromHours(1);

    /// <summary>
    /// Tokens younger than this are not spent (queue creation and top-ups wait), so a payment never follows its
    /// redemption closely in time: an app that makes its first queue the moment a card is redeemed would otherwise be
    /// linked by time (the privacy audit's request traces showed it). A refused payment names a moment to try again
    /// that adds a fresh random delay (<see cref="TopUpDelay"/>), so not even the distance is constant.
    /// </summary>
    public TimeSpan MinTokenAge { get; init; } = DefaultMinTokenAge;

    /// <summary>True (careless): pay at once when a relay asks, and retry. Never in a careful wallet.</summary>
    public bool PayImmediately { get; init; }

    /// <summary>True: every relay operation (each top-up above all) opens its own connection. False: one shared connection per relay.</summary>
    public bool ConnectionPerOperation { get; init; } = true;

    public static SpendingPolicy Careful { get; } = new();

    /// <summary>The control wallet of the privacy audit: fetches one token right before each use, pays at once, shares a connection.</summary>
    public static SpendingPolicy Careless { get; } = new()
    {
        RedeemBatch = 1,
        PrefetchTokens = false,
        TopUpStep = 1,
        TopUpDelay = DelayDistribution.None,
        PayImmediately = true,
        ConnectionPerOperation = false,
        MinTokenAge = TimeSpan.Zero,
    };

    public void Validate()
    {
        if (RedeemBatch is < 1 or > 1000)
        {
            throw new WalletException(WalletError.InvalidInput, "the redemption batch is 1 to 1000 tokens");
        }

        if (TopUpStep is < 1 or > 1000)
        {
            throw new WalletException(WalletError.InvalidInput, "the top-up step is 1 to 1000 tokens");
        }

        if (MinTokenAge < TimeSpan.Zero || MinTokenAge > TimeSpan.FromDays(30))
        {
            throw new WalletException(WalletError.InvalidInput, "the minimum token age is 0 to 30 days");
        }

        if (LowCredit < 0)
        {
            throw new WalletException(WalletError.InvalidInput, "the low-credit threshold is not negative");
        }

        ArgumentNullException.ThrowIfNull(TopUpDelay);
    }

    /// <summary><c>batch=100;prefetch=true;step=10;delay=exp:10m/1h;low=1000000;age=1h;immediate=false;connections=fresh</c>.</summary>
    public string ToText() => string.Create(CultureInfo.InvariantCulture,
        $"batch={RedeemBatch};prefetch={(PrefetchTokens ? "true" : "false")};step={TopUpStep};delay={TopUpDelay.ToText()};low={LowCredit};age={Durations.Format(MinTokenAge)};immediate={(PayImmediately ? "true" : "false")};connections={(ConnectionPerOperation ? "fresh" : "shared")}");

    public static SpendingPolicy Parse(string text) =>
        TryParse(text, out var policy, out var error) ? policy : throw new WalletException(WalletError.InvalidInput, error);

    public static bool TryParse(string? text, out SpendingPolicy policy, out string error)
    {
        policy = Careful;
        error = string.Empty;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        var result = Careful;
        foreach (var part in text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            var (key, value) = eq > 0 ? (part[..eq], part[(eq + 1)..]) : (part, string.Empty);
            switch (key)
            {
                case "batch" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var batch):
                    result = result with { RedeemBatch = batch };
                    break;
                case "prefetch" when bool.TryParse(value, out var prefetch):
                    result = result with { PrefetchTokens = prefetch };
                    break;
                case "step" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var step):
                    result = result with { TopUpStep = step };
                    break;
                case "delay" when DelayDistribution.TryParse(value, out var delay, out _):
                    result = result with { TopUpDelay = delay };
                    break;
                case "low" when long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var low):
                    result = result with { LowCredit = low };
                    break;
                case "age" when Durations.TryParse(value, out var age):
                    result = result with { MinTokenAge = age };
                    break;
                case "immediate" when bool.TryParse(value, out var immediate):
                    result = result with { PayImmediately = immediate };
                    break;
                case "connections" when value is "fresh" or "shared":
                    result = result with { ConnectionPerOperation = value == "fresh" };
                    break;
                default:
                    error = $"'{part}' is not a spending policy setting (batch, prefetch, step, delay, low, age, immediate, connections)";
                    return false;
            }
        }

        try
        {
            result.Validate();
        }
        catch (WalletException e)
        {
            error = e.Message;
            return false;
        }

        policy = result;
        return true;
    }

    public override string ToString() => ToText();

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append(ToText());
        return true;
    }
}
