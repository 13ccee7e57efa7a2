namespace SimpleXLedger.Testing;

/// <summary>Where things are in the checkout, found from the test assembly's location.</summary>
public static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>The built <c>sxl</c> program (its dll, run with <c>dotnet</c>), from the same configuration as the tests.</summary>
    public static string SxlDll
    {
        get
        {
            var config = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
            return Path.Combine(Root, "src", "SimpleXLedger.Cli", "bin", config, "net10.0", "sxl.dll");
        }
    }

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
