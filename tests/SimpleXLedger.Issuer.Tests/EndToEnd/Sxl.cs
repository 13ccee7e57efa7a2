using SimpleXLedger.Testing;

namespace SimpleXLedger.Issuer.Tests.EndToEnd;

/// <summary>Runs the real <c>sxl</c> program.</summary>
internal static class Sxl
{
    public static ChildProcess Start(IEnumerable<string> arguments, IDictionary<string, string?>? environment = null) =>
        ChildProcess.Start("dotnet", [RepositoryPaths.SxlDll, .. arguments], environment);

    public static async Task<(int ExitCode, IReadOnlyList<string> Stdout, string Stderr)> RunAsync(params string[] arguments)
    {
        await using var process = Start(arguments);
        var exit = await process.WaitForExitAsync(TimeSpan.FromMinutes(2));
        // Let the output readers drain.
        await process.Exited;
        return (exit, [.. process.StandardOutput], string.Join('\n', process.StandardError));
    }
}
