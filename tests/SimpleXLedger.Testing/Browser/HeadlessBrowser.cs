using PuppeteerSharp;

namespace SimpleXLedger.Testing.Browser;

/// <summary>
/// A real headless chromium (Debian's <c>chromium</c> package: build/test.sh installs it where missing; no browser is
/// downloaded) driven through PuppeteerSharp, and where its screenshots go (<c>TestResults/screenshots</c>).
/// </summary>
public static class HeadlessBrowser
{
    /// <summary>The browser: <c>SXL_CHROMIUM</c> when set, else the first of chromium, chromium-browser on the PATH.</summary>
    public static string Executable()
    {
        if (Environment.GetEnvironmentVariable("SXL_CHROMIUM") is { Length: > 0 } chosen)
        {
            return chosen;
        }

        var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        foreach (var name in new[] { "chromium", "chromium-browser" })
        {
            foreach (var dir in path)
            {
                var candidate = Path.Combine(dir, name);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        throw new InvalidOperationException("no chromium on the PATH: install Debian's package (apt-get install chromium; build/test.sh does) or set SXL_CHROMIUM");
    }

    /// <summary>Launches it headless; as root chromium refuses to start without <c>--no-sandbox</c>.</summary>
    public static Task<IBrowser> LaunchAsync() => Puppeteer.LaunchAsync(new LaunchOptions
    {
        ExecutablePath = Executable(),
        Headless = true,
        Browser = SupportedBrowser.Chromium,
        Args = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
        Timeout = 60_000,
    });

    /// <summary>Where a test keeps its screenshot: <c>TestResults/screenshots/&lt;name&gt;.png</c> under the repository.</summary>
    public static string ScreenshotPath(string name)
    {
        var directory = Path.Combine(RepositoryPaths.Root, "TestResults", "screenshots");
        Directory.CreateDirectory(directory);
        return Path.Combine(directory, name + ".png");
    }

    /// <summary>The visible text of the first element matching <paramref name="selector"/> (what a person reads), or null.</summary>
    public static Task<string?> TextAsync(IPage page, string selector)
    {
        ArgumentNullException.ThrowIfNull(page);
        return page.EvaluateFunctionAsync<string?>("s => { const e = document.querySelector(s); return e ? e.innerText.trim() : null; }", selector);
    }

    /// <summary>The visible texts of every element matching <paramref name="selector"/>.</summary>
    public static Task<string[]> TextsAsync(IPage page, string selector)
    {
        ArgumentNullException.ThrowIfNull(page);
        return page.EvaluateFunctionAsync<string[]>("s => Array.from(document.querySelectorAll(s)).map(e => e.innerText.trim())", selector);
    }
}
