using SimpleXLedger.Chain.Devnet;
using SimpleXLedger.Devnet.Processes;

namespace SimpleXLedger.Devnet.Network;

/// <summary>
/// Finds Anvil (<c>SXL_ANVIL</c>, PATH, or the npm package in the checkout's <c>contracts/node_modules</c>) and,
/// when it is nowhere, installs it there with <c>npm ci</c> — so <c>sxl devnet</c> also works from a published
/// build run inside a fresh checkout.
/// </summary>
public static class AnvilInstaller
{
    public static async Task<string> EnsureAsync(IDevnetProgress progress, string logDirectory, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(progress);
        if (AnvilNode.Find() is { } found)
        {
            return found;
        }

        var contracts = AnvilNode.FindContractsDirectory()
            ?? throw new DevnetException("anvil was not found (SXL_ANVIL, PATH) and there is no checkout's contracts/ above this directory or the program to install it into: run inside the SimpleXLedger checkout, put Foundry's anvil on PATH, or set SXL_ANVIL");

        progress.Doing($"installing Anvil: npm ci in {contracts}");
        // The same lock the Chain project's build takes, so a build and a devnet never half-write node_modules together.
        var command = "if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.package-lock.json; fi";
        IEnumerable<string> arguments = File.Exists("/usr/bin/flock") || File.Exists("/bin/flock")
            ? ["flock", ".npm-install.lock", "sh", "-c", command]
            : ["sh", "-c", command];
        await using var npm = ChildProcess.Start("npm-ci", "/usr/bin/env", arguments, Path.Combine(logDirectory, "npm-ci.log"), workingDirectory: contracts);
        var reporter = Task.Run(async () =>
        {
            try
            {
                await foreach (var line in npm.StandardOutputLinesAsync(ct))
                {
                    if (!string.IsNullOrWhiteSpace(line))
                    {
                        progress.Detail(line.Trim());
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // Stopping.
            }
        }, CancellationToken.None);
        int status;
        try
        {
            status = await npm.WaitForExitAsync(TimeSpan.FromMinutes(10), ct);
        }
        catch (ChildProcessException e)
        {
            throw new DevnetException($"npm ci did not finish: {e.Message}", e);
        }

        await reporter;
        if (status != 0)
        {
            throw new DevnetException($"npm ci in {contracts} failed with status {status} (is Node.js installed, and the npm registry reachable?):\n{npm.RecentOutput}");
        }

        progress.Done("Anvil installed in contracts/node_modules");
        return AnvilNode.Find() ?? throw new DevnetException($"npm ci finished but anvil is still not in {contracts}/node_modules/@foundry-rs");
    }
}
