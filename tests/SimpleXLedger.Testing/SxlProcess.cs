namespace SimpleXLedger.Testing;

/// <summary>
/// The real, built <c>sxl</c> program as a child process: the one way every test runs it (started and left running,
/// or run to its end with everything it printed).
/// </summary>
public static class SxlProcess
{
    /// <summary>How long a command run to its end may take before the test fails.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(2);

    /// <summary>What a finished run printed: its exit status, standard output line by line, standard error.</summary>
    public sealed record Result(int ExitCode, IReadOnlyList<string> StdoutLines, string Stderr, string AllOutput)
    {
        public string Stdout => string.Join('\n', StdoutLines);
    }

    /// <summary>Starts <c>sxl</c> with <paramref name="arguments"/>; the caller disposes it (which kills it if still running).</summary>
    public static ChildProcess Start(IEnumerable<string> arguments, IDictionary<string, string?>? environment = null, string? standardInput = null, string? workingDirectory = null) =>
        ChildProcess.Start("dotnet", [RepositoryPaths.SxlDll, .. arguments], environment, workingDirectory, standardInput);

    /// <summary>Runs <c>sxl</c> to its end and returns what it printed, once its output has drained.</summary>
    public static Task<Result> RunAsync(params string[] arguments) => RunAsync(arguments, environment: null);

    /// <inheritdoc cref="RunAsync(string[])"/>
    public static async Task<Result> RunAsync(IEnumerable<string> arguments, IDictionary<string, string?>? environment, string? standardInput = null, TimeSpan? timeout = null)
    {
        await using var process = Start(arguments, environment, standardInput);
        var exit = await process.WaitForExitAsync(timeout ?? DefaultTimeout);
        await process.Exited;
        return new Result(exit, [.. process.StandardOutput], string.Join('\n', process.StandardError), process.AllOutput);
    }
}
