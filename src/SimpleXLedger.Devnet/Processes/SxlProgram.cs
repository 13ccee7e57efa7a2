using System.Reflection;

namespace SimpleXLedger.Devnet.Processes;

/// <summary>
/// How to start the <c>sxl</c> program itself as a child: its apphost directly, or <c>dotnet sxl.dll</c>
/// when this process runs under the <c>dotnet</c> host (a test, <c>dotnet sxl.dll devnet</c>).
/// Every service of the devnet is this same program, so what the devnet runs is what operators run.
/// </summary>
public sealed record SxlProgram(string FileName, IReadOnlyList<string> LeadingArguments)
{
    /// <summary>The program this process is: <see cref="Environment.ProcessPath"/>, plus the entry dll under <c>dotnet</c>.</summary>
    public static SxlProgram Current()
    {
        var process = Environment.ProcessPath ?? throw new InvalidOperationException("the path of this program is unknown");
        if (!IsDotnetHost(process))
        {
            return new SxlProgram(process, []);
        }

        var entry = Assembly.GetEntryAssembly()?.Location;
        return string.IsNullOrEmpty(entry)
            ? throw new InvalidOperationException("running under dotnet, but the entry assembly's path is unknown")
            : new SxlProgram(process, [entry]);
    }

    /// <summary><c>dotnet &lt;dll&gt;</c>, for tests that start the built <c>sxl.dll</c>.</summary>
    public static SxlProgram FromDll(string dotnet, string dll) => new(dotnet, [dll]);

    /// <summary>The full argument list for one command.</summary>
    public IReadOnlyList<string> Arguments(IEnumerable<string> command) => [.. LeadingArguments, .. command];

    /// <summary>How a person would type it (for the "try this" guide).</summary>
    public string Display => string.Join(' ', new[] { FileName }.Concat(LeadingArguments).Select(Quote));

    private static bool IsDotnetHost(string path)
    {
        var name = Path.GetFileNameWithoutExtension(path);
        return string.Equals(name, "dotnet", StringComparison.OrdinalIgnoreCase);
    }

    public static string Quote(string argument) =>
        argument.Length > 0 && argument.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:=@,+%".Contains(c, StringComparison.Ordinal))
            ? argument
            : "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
