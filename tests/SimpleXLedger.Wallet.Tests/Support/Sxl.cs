using SimpleXLedger.Testing;

namespace SimpleXLedger.Wallet.Tests.Support;

/// <summary>The real <c>sxl</c> program (<see cref="SxlProcess"/>), with the wallet passphrase in its environment.</summary>
public static class Sxl
{
    public static ChildProcess Start(IEnumerable<string> arguments, IDictionary<string, string?>? environment = null, string? standardInput = null) =>
        SxlProcess.Start(arguments, WithPassphrase(environment), standardInput);

    /// <summary>Runs sxl to the end; returns its exit status and everything it printed.</summary>
    public static async Task<(int Status, string Output, string Stdout)> RunAsync(IEnumerable<string> arguments, IDictionary<string, string?>? environment = null, string? standardInput = null)
    {
        var run = await SxlProcess.RunAsync(arguments, WithPassphrase(environment), standardInput);
        return (run.ExitCode, run.AllOutput, run.Stdout);
    }

    private static Dictionary<string, string?> WithPassphrase(IDictionary<string, string?>? environment)
    {
        var env = new Dictionary<string, string?> { ["SXL_WALLET_PASSPHRASE"] = TestWallets.Passphrase, ["NO_COLOR"] = "1" };
        foreach (var (k, v) in environment ?? new Dictionary<string, string?>())
        {
            env[k] = v;
        }

        return env;
    }
}
