using System.CommandLine;
using SimpleXLedger.Benchmarks;

namespace SimpleXLedger.Cli.Commands;

/// <summary><c>sxl bench …</c>: the components' benchmarks (src/SimpleXLedger.Benchmarks), each printing its own same-run baseline.</summary>
internal static class BenchCommands
{
    public static Command Build()
    {
        var bench = new Command("bench", "Benchmarks; each measures its baseline in the same run.");
        bench.Subcommands.Add(RelayBench.Build());
        bench.Subcommands.Add(IssuanceBench.Build());
        bench.Subcommands.Add(ClearingBench.Build());
        bench.Subcommands.Add(SettlementBench.Build());
        bench.Subcommands.Add(EpochBench.Build());
        bench.Subcommands.Add(WatchBench.Build());
        bench.Subcommands.Add(TokensBench.Build());
        bench.Subcommands.Add(TurnBench.Build());
        bench.Subcommands.Add(FilesBench.Build());
        return bench;
    }
}
