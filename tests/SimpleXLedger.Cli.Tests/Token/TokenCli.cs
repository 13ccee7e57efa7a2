using SimpleXLedger.Testing;

namespace SimpleXLedger.Cli.Tests.Token;

/// <summary>Runs the real built <c>sxl</c> (and node for the interop harness) as child processes.</summary>
internal static class TokenCli
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    public static Task<Result> SxlAsync(params string[] args) => RunAsync("dotnet", [RepositoryPaths.SxlDll, .. args]);

    public static async Task<Result> RunAsync(string program, IEnumerable<string> args, string? workingDirectory = null)
    {
        await using var child = ChildProcess.Start(program, args, workingDirectory: workingDirectory);
        var exit = await child.WaitForExitAsync(Timeout);
        await child.Exited;
        return new Result(exit, string.Join('\n', child.StandardOutput), string.Join('\n', child.StandardError));
    }

    /// <summary>A fresh temporary directory, deleted with the returned handle.</summary>
    public static TempDirectory TempDir() => new("sxl-cli-token-");
}
