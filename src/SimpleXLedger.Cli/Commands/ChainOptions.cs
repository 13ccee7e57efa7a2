using System.CommandLine;

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
}
