using SimpleXLedger.Devnet.Processes;

namespace SimpleXLedger.Audit;

/// <summary>
/// Where the <c>sxl</c> program is that every service of the audit's devnet runs as. In this order:
/// <list type="number">
/// <item><c>SXL_PROGRAM</c>: the path of an <c>sxl</c> executable, or of <c>sxl.dll</c> (run with <c>dotnet</c>);</item>
/// <item><c>sxl</c> (or <c>sxl.dll</c>) beside <c>sxl-audit</c> itself (both published into one directory);</item>
/// <item>the checkout's build of it, <c>src/SimpleXLedger.Cli/bin/&lt;configuration&gt;/net10.0/</c>, found above
/// <c>sxl-audit</c>'s own directory (<c>dotnet run --project tools/SimpleXLedger.Audit</c>, the tests; the project
/// references the Cli so it is built first).</item>
/// </list>
/// Under the <c>dotnet</c> host (<c>dotnet sxl-audit.dll</c>) the services run as <c>dotnet sxl.dll</c>, as they do
/// under <c>dotnet sxl.dll devnet</c>.
/// </summary>
public static class SxlLocation
{
    public const string ProgramVariable = "SXL_PROGRAM";

    public static SxlProgram Find()
    {
        if (Environment.GetEnvironmentVariable(ProgramVariable) is { Length: > 0 } given)
        {
            var full = Path.GetFullPath(given);
            return File.Exists(full)
                ? FromFile(full)
                : throw new FileNotFoundException($"{ProgramVariable} names {full}, which does not exist");
        }

        if (InDirectory(AppContext.BaseDirectory) is { } beside)
        {
            return beside;
        }

        foreach (var directory in CheckoutBuilds())
        {
            if (InDirectory(directory) is { } built)
            {
                return built;
            }
        }

        throw new FileNotFoundException($"no sxl program found: build src/SimpleXLedger.Cli, or set {ProgramVariable} to the sxl executable or sxl.dll");
    }

    private static SxlProgram? InDirectory(string directory)
    {
        var dll = Path.Combine(directory, "sxl.dll");
        if (!File.Exists(dll))
        {
            return null;
        }

        var apphost = Path.Combine(directory, OperatingSystem.IsWindows() ? "sxl.exe" : "sxl");
        return UnderDotnet() is null && File.Exists(apphost) ? new SxlProgram(apphost, []) : FromFile(dll);
    }

    private static SxlProgram FromFile(string path) =>
        path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)
            ? SxlProgram.FromDll(UnderDotnet() ?? "dotnet", path)
            : new SxlProgram(path, []);

    /// <summary>The <c>dotnet</c> host running this process, if it is one.</summary>
    private static string? UnderDotnet() =>
        Environment.ProcessPath is { } process && string.Equals(Path.GetFileNameWithoutExtension(process), "dotnet", StringComparison.OrdinalIgnoreCase) ? process : null;

    /// <summary>The Cli's build directories of the checkout above this program: this program's configuration first.</summary>
    private static IEnumerable<string> CheckoutBuilds()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SimpleXLedger.sln")))
        {
            dir = dir.Parent;
        }

        if (dir is null)
        {
            yield break;
        }

        var release = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal);
        foreach (var configuration in release ? new[] { "Release", "Debug" } : ["Debug", "Release"])
        {
            yield return Path.Combine(dir.FullName, "src", "SimpleXLedger.Cli", "bin", configuration, "net10.0");
        }
    }
}
