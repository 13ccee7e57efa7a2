using SimpleXLedger.Net;
using SimpleXLedger.Relay.Client;
using SimpleXLedger.Testing;

namespace SimpleXLedger.Clearing.Tests.Support;

/// <summary><c>sxl relay serve --metering tokens --clearing … --operator-key …</c> as a real process.</summary>
public sealed class RelayProcess : IAsyncDisposable
{
    private RelayProcess(ChildProcess process, string dataDirectory, PinnedAddress address)
    {
        Process = process;
        DataDirectory = dataDirectory;
        Address = address;
    }

    public ChildProcess Process { get; }

    public string DataDirectory { get; }

    public PinnedAddress Address { get; }

    public string ReceiptLogPath => Path.Combine(DataDirectory, Client.ReceiptLog.DefaultFileName);

    public static async Task<RelayProcess> StartAsync(string dataDirectory, string clearing, string operatorKeyFile, params string[] settings)
    {
        var arguments = new List<string>
        {
            RepositoryPaths.SxlDll, "relay", "serve", "--data", dataDirectory, "--listen", "127.0.0.1:0",
            "--metering", "tokens",
            "--metering-setting", $"issuerName={TestTokens.IssuerName}",
            "--metering-setting", $"tokenKeys={TestTokens.KeyA.PublicKey.ToBase64Url()}",
            "--clearing", clearing, "--operator-key", operatorKeyFile,
        };
        foreach (var s in settings)
        {
            arguments.Add("--metering-setting");
            arguments.Add(s);
        }

        var process = ChildProcess.Start("dotnet", arguments);
        var line = await process.WaitForLineAsync(l => l.StartsWith("sxl://", StringComparison.Ordinal), TimeSpan.FromSeconds(180));
        return new RelayProcess(process, dataDirectory, PinnedAddress.Parse(line));
    }

    public async ValueTask DisposeAsync() => await Process.DisposeAsync();
}
