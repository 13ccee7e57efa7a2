namespace SimpleXLedger.Testing;

/// <summary>Where things are in the checkout, found from the test assembly's location.</summary>
public static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>The built <c>sxl</c> program (its dll, run with <c>dotnet</c>), from the same configuration as the tests.</summary>
    public static string SxlDll => Path.Combine(Root, "src", "SimpleXLedger.Cli", "bin", Configuration, "net10.0", "sxl.dll");

    /// <summary>The built <c>sxl-audit</c> program (its dll, run with <c>dotnet</c>), from the same configuration as the tests.</summary>
    public static string SxlAuditDll => Path.Combine(Root, "tools", "SimpleXLedger.Audit", "bin", Configuration, "net10.0", "sxl-audit.dll");

    private static string Configuration =>
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SimpleXLedger.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("SimpleXLedger.sln not found above the test assembly");
    }
}
