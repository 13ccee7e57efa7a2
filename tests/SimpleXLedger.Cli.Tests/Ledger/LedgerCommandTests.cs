using System.Text.Json;
using SimpleXLedger.Chain.Devnet;
using SimpleXLedger.Chain.Services;
using SimpleXLedger.Cli.Tests.Support;
using SimpleXLedger.Testing;
using SimpleXLedger.Testing.Chain;

namespace SimpleXLedger.Cli.Tests.Ledger;

/// <summary><c>sxl ledger deploy|show</c> as a real process against the shared Anvil.</summary>
[Collection(AnvilCollection.Name)]
public sealed class LedgerCommandTests(AnvilFixture anvil) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sxl-ledger-cli-").FullName;

    [Fact]
    public async Task Deploy_on_a_devnet_then_show_reports_parameters_and_a_holding_invariant()
    {
        var key = KeyFile(DevAccounts.Users[2], UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var (status, output) = await SxlAsync("ledger", "deploy", "--rpc", anvil.RpcUrl, "--key", key, "--devnet", "--json");
        Assert.True(status == 0, output);
        using var json = JsonDocument.Parse(output.Split('\n').First(l => l.StartsWith('{')));
        var ledger = json.RootElement.GetProperty("ledger").GetString()!;
        Assert.StartsWith("0x", json.RootElement.GetProperty("transaction").GetString(), StringComparison.Ordinal);

        using var connection = await ChainConnection.ConnectAsync(anvil.RpcUrl);
        var client = await LedgerClient.AttachAsync(connection, ledger);
        var info = await client.GetInfoAsync();
        Assert.Equal(DevAccounts.Users[2].Address, info.Governance, ignoreCase: true);
        Assert.Equal(10UL, info.DisputeWindow); // devnet windows: seconds

        (status, output) = await SxlAsync("ledger", "show", "--rpc", anvil.RpcUrl, "--ledger", ledger);
        Assert.True(status == 0, output);
        Assert.Contains("holds", output, StringComparison.Ordinal);
        Assert.Contains("7500", output, StringComparison.Ordinal); // operator rate
    }

    [Fact]
    public async Task A_key_file_others_can_read_a_missing_token_or_a_bad_address_is_a_usage_error()
    {
        var loose = KeyFile(DevAccounts.Users[2], UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        var (status, output) = await SxlAsync("ledger", "deploy", "--rpc", anvil.RpcUrl, "--key", loose, "--devnet");
        Assert.Equal(2, status);
        Assert.Contains("chmod 600", output, StringComparison.Ordinal);
        Assert.DoesNotContain(DevAccounts.Users[2].PrivateKeyHex[2..], output, StringComparison.OrdinalIgnoreCase);

        var key = KeyFile(DevAccounts.Users[1], UnixFileMode.UserRead | UnixFileMode.UserWrite);
        (status, _) = await SxlAsync("ledger", "deploy", "--rpc", anvil.RpcUrl, "--key", key);
        Assert.Equal(2, status);
        (status, _) = await SxlAsync("ledger", "show", "--rpc", anvil.RpcUrl, "--ledger", "0x1234");
        Assert.Equal(2, status);
        (status, output) = await SxlAsync("ledger", "show", "--rpc", anvil.RpcUrl, "--ledger", DevAccounts.Users[1].Address);
        Assert.Equal(1, status);
        Assert.Contains("no contract", output, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string KeyFile(DevAccount account, UnixFileMode mode)
    {
        var path = Path.Combine(_dir, $"{account.Index}-{(int)mode}.key");
        File.WriteAllText(path, account.PrivateKeyHex + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, mode);
        }
        return path;
    }

    private static async Task<(int Status, string Output)> SxlAsync(params string[] args)
    {
        var run = await SxlProcess.RunAsync(args);
        return (run.ExitCode, run.AllOutput);
    }
}
