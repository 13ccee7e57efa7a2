using System.Globalization;
using Microsoft.Extensions.Logging;
using SimpleXLedger.Relay.Metering;
using SimpleXLedger.Relay.Metering.Tokens;
using SimpleXLedger.Tokens;

namespace SimpleXLedger.Metering.Tokens;

/// <summary>
/// Prepaid credit per queue, paid with Privacy Pass tokens (type 2, the network challenge).
/// Settings: <c>issuerName</c> (the network challenge's issuer name; on a devnet defaults to the
/// issuer URL's authority), <c>tokenKeys</c>, the prices (see <see cref="TokenPrices"/>),
/// <c>riskBudget</c> (tokens that may be credited while the redeemer is down; default 0),
/// <c>outboxRetrySeconds</c> (default 30), <c>spentPruneSeconds</c> (how often spent tokens of keys past their
/// redeem-until time are dropped; default 600).
/// </summary>
public sealed class TokenMeteringPlugin : IMeteringPlugin
{
    public string Id => "tokens";

    public Version Version { get; } = new(1, 0, 0);

    public string Description => "Prepaid per-queue credit paid with Privacy Pass tokens, redeemed network-wide.";

    public IMeteringPolicy Register(MeteringPluginContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var issuerName = context.Setting("issuerName")
            ?? (context.Setting("issuer") is { } issuer ? new Uri(issuer).Authority : null)
            ?? throw new ArgumentException("the tokens plugin needs issuerName (the network challenge's issuer name)");
        var prices = TokenPrices.From(context);
        var riskBudget = Whole(context, "riskBudget", 0);
        var retry = TimeSpan.FromSeconds(Whole(context, "outboxRetrySeconds", 30));
        var pruneEvery = TimeSpan.FromSeconds(Math.Max(1, Whole(context, "spentPruneSeconds", 600)));
        var keys = new TrustedKeys(context);
        var redeemer = context.Services.GetService(typeof(ITokenRedeemer)) as ITokenRedeemer;
        if (redeemer is null)
        {
            context.Logger.LogWarning("no token redeemer (clearing house) configured: tokens are checked against this relay's own spent-set only");
        }

        return new TokenPolicy(TokenChallenge.ForNetwork(issuerName), keys, prices, redeemer, riskBudget, retry, pruneEvery, context.Store, context.Time, context.Logger);
    }

    private static long Whole(MeteringPluginContext context, string key, long fallback)
    {
        if (context.Setting(key) is not { } text)
        {
            return fallback;
        }

        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ArgumentException($"the tokens plugin's '{key}' setting must be a whole non-negative number");
    }
}
