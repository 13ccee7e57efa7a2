using System.CommandLine;
using System.Globalization;
using System.Numerics;

namespace SimpleXLedger.Cli.Commands;

/// <summary>
/// The one confirmation-depth option every chain-reading command shares (<c>--confirmations</c>); its value goes to
/// <see cref="SimpleXLedger.Chain.Services.ChainConnection.WithConfirmations"/>, the one place readers take it from.
/// </summary>
internal static class ChainOptions
{
    public const string ConfirmationsError = "--confirmations must be at least 1";

    public static Option<int> Confirmations() => new("--confirmations")
    {
        Description = "Blocks an event needs (its own included) before it is acted on. A reorganisation deeper than this is detected (a warning and sxl_chain_reorgs_total) and read again. Default 1: the latest block; on a public chain, 12 or more.",
        DefaultValueFactory = _ => 1,
    };

    public const string GasAlarmError = "--gas-alarm-wei must be a whole number of wei";

    /// <summary><c>--gas-alarm-wei</c> of a service with a role account (0.01 ETH by default).</summary>
    public static Option<string> GasAlarm(string account) => new("--gas-alarm-wei")
    {
        Description = $"Alarm (a warning and sxl_<role>_gas_balance_low) when {account}'s ETH balance for gas is below this many wei (checked at start and every minute).",
        DefaultValueFactory = _ => "10000000000000000",
    };

    /// <summary>The parsed <c>--gas-alarm-wei</c>, or null when it is not a whole number.</summary>
    public static BigInteger? GasAlarmWei(string? text) =>
        BigInteger.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var wei) ? wei : null;

    /// <summary>How often a serving role checks its gas balance.</summary>
    public static readonly TimeSpan GasCheckInterval = TimeSpan.FromMinutes(1);
}
