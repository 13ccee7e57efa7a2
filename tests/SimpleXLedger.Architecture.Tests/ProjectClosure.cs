using System.Text.Json;
using SimpleXLedger.Testing;

namespace SimpleXLedger.Architecture.Tests;

/// <summary>
/// What one project pulls in, transitively, as NuGet's restore resolved it: every package and project in its
/// closure, and the shared frameworks (Microsoft.AspNetCore.App) any of them asks for.
/// </summary>
public sealed record ProjectClosure(string Name, IReadOnlySet<string> Projects, IReadOnlySet<string> Packages, IReadOnlySet<string> Frameworks)
{
    public const string AspNetCore = "Microsoft.AspNetCore.App";

    /// <summary>Reads <c>obj/project.assets.json</c> of the project in <paramref name="folder"/> (relative to the repository root).</summary>
    public static ProjectClosure Of(string folder)
    {
        var name = Path.GetFileName(folder);
        var assets = Path.Combine(RepositoryPaths.Root, folder, "obj", "project.assets.json");
        Assert.True(File.Exists(assets), $"{assets} is missing: build the solution first (its restore writes it)");
        using var document = JsonDocument.Parse(File.ReadAllBytes(assets));
        var root = document.RootElement;
        var projects = new HashSet<string>(StringComparer.Ordinal);
        var packages = new HashSet<string>(StringComparer.Ordinal);
        var frameworks = new HashSet<string>(StringComparer.Ordinal);
        foreach (var target in root.GetProperty("targets").EnumerateObject())
        {
            foreach (var library in target.Value.EnumerateObject())
            {
                var id = library.Name[..library.Name.IndexOf('/', StringComparison.Ordinal)];
                var type = library.Value.GetProperty("type").GetString();
                (type == "project" ? projects : packages).Add(id);
                if (library.Value.TryGetProperty("frameworkReferences", out var refs))
                {
                    foreach (var f in refs.EnumerateArray())
                    {
                        frameworks.Add(f.GetString()!);
                    }
                }
            }
        }

        foreach (var framework in root.GetProperty("project").GetProperty("frameworks").EnumerateObject())
        {
            if (framework.Value.TryGetProperty("frameworkReferences", out var refs))
            {
                foreach (var f in refs.EnumerateObject())
                {
                    frameworks.Add(f.Name);
                }
            }
        }

        frameworks.Remove("Microsoft.NETCore.App");
        return new ProjectClosure(name, projects, packages, frameworks);
    }
}
