using System.CommandLine;

namespace SimpleXLedger.Cli.Commands;

/// <summary><c>sxl token …</c>: token keys and offline verification.</summary>
internal static class TokenCommands
{
    public static Command Build()
    {
        var token = new Command("token", "Privacy Pass token keys and offline token verification.");
        return token;
    }
}
