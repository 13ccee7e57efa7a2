using SimpleXLedger.Testing;

namespace SimpleXLedger.Issuer.Tests.EndToEnd;

/// <summary>Runs the real <c>sxl</c> program (<see cref="SxlProcess"/>), in the shape these tests read it.</summary>
internal static class Sxl
{
    public static ChildProcess Start(IEnumerable<string> arguments, IDictionary<string, string?>? environment = null) =>
        SxlProcess.Start(arguments, environment);

    public static async Task<(int ExitCode, IReadOnlyList<string> Stdout, string Stderr)> RunAsync(params string[] arguments)
    {
        var run = await SxlProcess.RunAsync(arguments);
        return (run.ExitCode, run.StdoutLines, run.Stderr);
    }
}
