using System.CommandLine;
using SimpleXLedger.Cli.Commands;
using SimpleXLedger.Net;

namespace SimpleXLedger.Cli;

/// <summary>The <c>sxl</c> program: one command group per component, each in its own file under Commands/.</summary>
public static class SxlApp
{
    public static RootCommand Build()
    {
        var root = new RootCommand("SimpleXLedger: anonymous prepaid credit for private message relays.");
        root.Subcommands.Add(TokenCommands.Build());
        root.Subcommands.Add(BenchCommands.Build());
        root.Subcommands.Add(RelayCommands.Build());
        root.Subcommands.Add(TurnCommands.Build());
        root.Subcommands.Add(FilesCommands.Build());
        root.Subcommands.Add(QueueCommands.Build());
        root.Subcommands.Add(VendorCommands.Build());
        root.Subcommands.Add(IssuerCommands.Build());
        root.Subcommands.Add(LedgerCommands.Build());
        root.Subcommands.Add(WalletCommands.Build());
        root.Subcommands.Add(ClearingCommands.Build());
        root.Subcommands.Add(OperatorCommands.Build());
        root.Subcommands.Add(ClaimCommands.Build());
        root.Subcommands.Add(WatchCommands.Build());
        root.Subcommands.Add(DevnetCommands.Build());
        return root;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var root = Build();
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            // Usage errors exit 2 (System.CommandLine's own default is 1, which we keep for "ran and said no").
            foreach (var error in parse.Errors)
            {
                await Console.Error.WriteLineAsync($"error: {error.Message}");
            }

            await Console.Error.WriteLineAsync("Run with --help for usage.");
            return ExitCodes.Usage;
        }

        return await parse.InvokeAsync(new InvocationConfiguration());
    }
}
