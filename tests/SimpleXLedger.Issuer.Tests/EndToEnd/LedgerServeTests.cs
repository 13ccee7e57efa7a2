using SimpleXLedger.Chain.Accounts;
using SimpleXLedger.Chain.Devnet;
using SimpleXLedger.Chain.Services;
using SimpleXLedger.Testing;

namespace SimpleXLedger.Issuer.Tests.EndToEnd;

public sealed class LedgerServeTests : IDisposable
{
    private readonly DirectoryInfo _root = System.IO.Directory.CreateTempSubdirectory("sxl-issuer-ledger-");

    public void Dispose() => _root.Delete(recursive: true);

    [Fact]
    public async Task Serve_with_a_ledger_anchors_its_first_key_and_binds_the_data_directory_to_that_ledger()
    {
        await using var chain = await DevnetChain.StartAsync();
        var keyFile = Path.Combine(_root.FullName, "issuer.key");
        EthereumKeyFile.Write(keyFile, DevAccounts.Issuer.Key);
        var data = Path.Combine(_root.FullName, "data");
        string[] serve = ["issuer", "serve", "--data", data, "--name", "issuer.test", "--http", $"127.0.0.1:{FreePort.Next()}", "--grpc", $"127.0.0.1:{FreePort.Next()}",
            "--devnet", "--rpc", chain.RpcUrl, "--ledger", chain.Deployment.Ledger, "--key", keyFile];

        await using (var issuer = Sxl.Start(serve))
        {
            var ready = await issuer.WaitForLineAsync(l => l.StartsWith("issuer ready", StringComparison.Ordinal), TimeSpan.FromSeconds(90));
            Assert.Contains("mode=ledger", ready, StringComparison.Ordinal);
        }

        using var reader = await ChainConnection.ConnectAsync(chain.RpcUrl);
        var ledger = await LedgerClient.AttachAsync(reader, chain.Deployment.Ledger);
        var key = Assert.Single(await ledger.GetKeysAsync());
        Assert.True(key.UsableFrom > key.AnchoredAt);
        Assert.True(File.Exists(Path.Combine(data, "keys", Convert.ToHexStringLower(key.KeyId) + ".pem")));

        // The data directory now belongs to this ledger: development mode (no ledger) is refused on it.
        var devOnLedgerDir = await Sxl.RunAsync("issuer", "serve", "--data", data, "--name", "issuer.test", "--http", $"127.0.0.1:{FreePort.Next()}", "--grpc", $"127.0.0.1:{FreePort.Next()}", "--devnet");
        Assert.Equal(1, devOnLedgerDir.ExitCode);
        Assert.Contains("bound to a ledger", devOnLedgerDir.Stderr, StringComparison.Ordinal);
    }
}
