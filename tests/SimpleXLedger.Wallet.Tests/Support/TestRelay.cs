using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using SimpleXLedger.Net;
using SimpleXLedger.Relay;
using SimpleXLedger.Relay.Client;
using SimpleXLedger.Relay.Hosting;
using SimpleXLedger.Testing;
using SimpleXLedger.Tokens;

namespace SimpleXLedger.Wallet.Tests.Support;

/// <summary>
/// A real relay in this process with the shipped tokens plugin (loaded from sxl's plugins directory), trusting the
/// test issuer's key: one credit pays for a queue, a credit pays for <see cref="MessagesPerCredit"/> messages.
/// </summary>
public sealed class TestRelay : IAsyncDisposable
{
    public const int MessagesPerCredit = 2;
    public const long MicrosPerCredit = 1_000_000;

    private readonly RelayServer _server;
    private readonly string _directory;

    private TestRelay(RelayServer server, string directory)
    {
        _server = server;
        _directory = directory;
    }

    public PinnedAddress Address => _server.Address;

    /// <summary>Starts the relay; with <paramref name="redeemer"/>, tokens are redeemed there (as at a clearing house) before they credit.</summary>
    public static async Task<TestRelay> StartAsync(TokenPublicKey issuerKey, SimpleXLedger.Relay.Metering.Tokens.ITokenRedeemer? redeemer = null)
    {
        var directory = Directory.CreateTempSubdirectory("sxl-wallet-relay-").FullName;
        var options = new RelayOptions
        {
            DataDirectory = directory,
            Listen = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0),
            Metering = "tokens",
            PluginsDirectory = Path.Combine(Path.GetDirectoryName(RepositoryPaths.SxlDll)!, "plugins"),
            MeteringSettings = new Dictionary<string, string>
            {
                ["issuerName"] = TestIssuer.Name,
                ["tokenKeys"] = issuerKey.ToBase64Url(),
                ["creditsPerQueue"] = "1",
                ["messagesPerCredit"] = MessagesPerCredit.ToString(CultureInfo.InvariantCulture),
            },
        };
        Action<IServiceCollection>? services = redeemer is null ? null : s => s.AddSingleton(redeemer);
        var server = await RelayServer.StartAsync(options, services, loggers: NullLoggerFactory.Instance);
        return new TestRelay(server, directory);
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Harmless.
        }
    }
}
