using SimpleXLedger.Testing;

namespace SimpleXLedger.Wallet.Tests.Support;

/// <summary>The real <c>sxl</c> program as a child process, with the wallet passphrase in its environment.</summary>
public static class Sxl
{
    public static ChildProcess Start(IEnumerable<string> arguments, IDictionary<string, string?>? environment = null, string? standardInput = null)
    {
        var env = new Dictionary<string, string?> { ["SXL_WALLET_PASSPHRASE"] = TestWallets.Passphrase, ["NO_COLOR"] = "1" };
        foreach (var (k, v) in environment ?? new Dictionary<string, string?>())
        {
            env[k] = v;
        }

        return ChildProcess.Start("dotnet", [RepositoryPaths.SxlDll, .. arguments], env, standardInput: standardInput);
    }

    /// <summary>Runs sxl to the end; returns its exit status and everything it printed.</summary>
    public static async Task<(int Status, string Output, string Stdout)> RunAsync(IEnumerable<string> arguments, IDictionary<string, string?>? environment = null, string? standardInput = null)
    {
        await using var process = Start(arguments, environment, standardInput);
        var status = await process.WaitForExitAsync(TimeSpan.FromMinutes(2));
        await process.Exited;
        return (status, process.AllOutput, string.Join('\n', process.StandardOutput));
    }
}
