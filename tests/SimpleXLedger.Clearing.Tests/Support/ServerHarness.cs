using System.Net;
using Nethereum.Hex.HexConvertors.Extensions;
using Nethereum.Signer;
using SimpleXLedger.Chain.Devnet;
using SimpleXLedger.Clearing.Client;
using SimpleXLedger.Clearing.Hosting;
using SimpleXLedger.Clearing.Receipts;
using SimpleXLedger.Clearing.Registry;
using SimpleXLedger.Clearing.Storage;
using SimpleXLedger.Net;

namespace SimpleXLedger.Clearing.Tests.Support;

/// <summary>A real clearing house in this process: SQLite file, gRPC over TLS on a loopback port.</summary>
public sealed class ServerHarness : IAsyncDisposable
{
    private ServerHarness(string directory, ClearingServer server)
    {
        Directory = directory;
        Server = server;
    }

    public string Directory { get; }

    public ClearingServer Server { get; }

    public PinnedAddress Address => Server.Address;

    public static async Task<ServerHarness> StartAsync(IKeyRegistry? registry = null, ClearingIdentity? identity = null, ClearingDatabase? database = null, SimpleXLedger.Hosting.Startup.ServiceObservability? observability = null)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("sxl-clearing-host-").FullName;
        var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        registry ??= new StaticKeyRegistry([TestTokens.Registered(TestTokens.KeyA, now - 60, now + 3600), TestTokens.Registered(TestTokens.KeyB, now - 60, now + 3600)]);
        var server = await ClearingServer.StartAsync(
            new ClearingSettings { DataDirectory = directory, Devnet = true, EpochSeconds = 3600, IssuerName = TestTokens.IssuerName },
            new ClearingEndpoint { Grpc = new IPEndPoint(IPAddress.Loopback, 0), Observability = observability ?? SimpleXLedger.Hosting.Startup.ServiceObservability.None },
            database ?? ClearingDatabase.Sqlite(Path.Combine(directory, ClearingDatabase.SqliteFileName)),
            registry,
            identity ?? new ClearingIdentity(DevAccounts.ClearingHouse.Key, 31337, ClearingHarness.Ledger));
        return new ServerHarness(directory, server);
    }

    /// <summary>Registers a new operator key (payee: the dev account) over gRPC, as <c>sxl operator register</c> does.</summary>
    public async Task<OperatorKey> RegisterAsync(DevAccount payee)
    {
        ArgumentNullException.ThrowIfNull(payee);
        var key = OperatorKey.Generate();
        using var client = await ClearingClient.ConnectAsync(Address);
        var signature = new EthereumMessageSigner().EncodeUTF8AndSign(client.RegistrationMessage(key, payee.Address), payee.Key).HexToByteArray();
        var registered = await client.RegisterOperatorAsync(key, payee.Address, signature);
        Assert.False(registered.Replayed);
        return key;
    }

    public ClearingTokenRedeemer Redeemer(OperatorKey key, byte[]? redeemerId = null, TimeSpan? window = null, TimeSpan? retryFor = null, string? receiptLog = null) =>
        new(
            new ClearingRedeemerOptions
            {
                Address = Address,
                BatchWindow = window ?? TimeSpan.FromMilliseconds(5),
                RetryFor = retryFor ?? TimeSpan.FromSeconds(10),
                ReceiptLogPath = receiptLog,
            },
            key,
            redeemerId ?? System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
