using Microsoft.Extensions.Time.Testing;
using SimpleXLedger.Wallet.Issuance;
using SimpleXLedger.Wallet.Spending;
using SimpleXLedger.Wallet.Storage;

namespace SimpleXLedger.Wallet.Tests.Support;

/// <summary>One issuer and one relay for a whole test collection (RSA keygen and hosts are started once).</summary>
public sealed class NetworkFixture : IAsyncLifetime
{
    public TestIssuer Issuer { get; private set; } = null!;

    public TestRelay Relay { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Issuer = await TestIssuer.StartAsync();
        Relay = await TestRelay.StartAsync(Issuer.Key);
    }

    public async Task DisposeAsync()
    {
        await Relay.DisposeAsync();
        await Issuer.DisposeAsync();
    }

    /// <summary>A session on the test issuer; development trust (no chain here: the Anvil tests check the registry).</summary>
    public IssuerSession IssuerSession() => new(Issuer.Endpoint, DirectoryTrust.Development);
}

[CollectionDefinition(Name)]
public sealed class NetworkCollection : ICollectionFixture<NetworkFixture>
{
    public const string Name = "network";
}

/// <summary>Temporary directory for wallet files, removed at dispose.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("sxl-wallet-test-").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A killed child may still hold a file for a moment.
        }
    }
}

public static class TestWallets
{
    public const string Passphrase = "correct horse battery staple";

    /// <summary>A clock the test moves; starts at the real time (token windows come from real clocks).</summary>
    public static FakeTimeProvider Clock() => new(DateTimeOffset.UtcNow);

    public static UserWallet Create(string path, WalletOptions? options = null) =>
        UserWallet.Create(path, Passphrase, KdfParameters.WeakForTests, options);

    /// <summary>
    /// Careful defaults with a seeded delay source: uniform 1–5 minutes, steps of <paramref name="step"/>, and no minimum
    /// token age (these tests spend right after redeeming; the age has its own tests).
    /// </summary>
    public static WalletOptions Careful(FakeTimeProvider clock, int step = 10, long lowCredit = 1_000_000, IRelayConnector? relays = null, ulong seed = 7) => new()
    {
        Time = clock,
        Random = new SeededRandomSource(seed),
        Relays = relays,
        Spending = SpendingPolicy.Careful with
        {
            TopUpStep = step,
            TopUpDelay = DelayDistribution.Uniform(TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5)),
            LowCredit = lowCredit,
            MinTokenAge = TimeSpan.Zero,
        },
    };
}
