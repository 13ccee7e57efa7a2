using System.Security.Cryptography;
using System.Text;
using Mediator;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Nethereum.Hex.HexConvertors.Extensions;
using Nethereum.Signer;
using SimpleXLedger.Chain.Devnet;
using SimpleXLedger.Clearing.Client;
using SimpleXLedger.Clearing.Epochs;
using SimpleXLedger.Clearing.Maintenance;
using SimpleXLedger.Clearing.Operators;
using SimpleXLedger.Clearing.Receipts;
using SimpleXLedger.Clearing.Redemption;
using SimpleXLedger.Clearing.Registry;
using SimpleXLedger.Clearing.Storage;

namespace SimpleXLedger.Clearing.Tests.Support;

/// <summary>An operator registered in a test: its key, payee and the relay id it redeems as.</summary>
public sealed record TestOperator(OperatorKey Key, string Payee, byte[] RedeemerId) : IDisposable
{
    public TestOperator WithRedeemer(byte[] redeemerId) => this with { RedeemerId = redeemerId };

    public void Dispose() => Key.Dispose();
}

/// <summary>
/// The clearing house's domain in this process (database, registry, Mediator pipeline; no gRPC) over a real
/// SQLite file or PostgreSQL database, for the redemption tests that run on both.
/// </summary>
public sealed class ClearingHarness : IAsyncDisposable
{
    public const string Ledger = "0x5FbDB2315678afecb367f032d93F642f64180aa3";

    private readonly ServiceProvider _services;
    private readonly List<IDisposable> _owned = [];

    private ClearingHarness(ServiceProvider services, ClearingDatabase database, StaticKeyRegistry registry, ManualClock clock)
    {
        _services = services;
        Database = database;
        Registry = registry;
        Clock = clock;
    }

    public ClearingDatabase Database { get; }

    public StaticKeyRegistry Registry { get; }

    public ManualClock Clock { get; }

    public IServiceProvider Services => _services;

    public ClearingIdentity Identity => _services.GetRequiredService<ClearingIdentity>();

    public ClearingMetrics Metrics => _services.GetRequiredService<ClearingMetrics>();

    public ClearingSettings Settings => _services.GetRequiredService<ClearingSettings>();

    /// <summary>Epochs of 100 s from the clock's start; keys A (usable [start − 10, start + 1000)) and B (the same) with large issued totals.</summary>
    public static async Task<ClearingHarness> CreateAsync(ClearingDatabase database, Func<ManualClock, IEnumerable<RegisteredKey>>? keys = null, string? issuerName = TestTokens.IssuerName, Func<IKeyRegistry, IKeyRegistry>? wrapRegistry = null, AnchoringAllowance? allowance = null)
    {
        ArgumentNullException.ThrowIfNull(database);
        var clock = new ManualClock(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
        var now = clock.UnixSeconds;
        var registry = new StaticKeyRegistry(
            keys?.Invoke(clock) ?? [TestTokens.Registered(TestTokens.KeyA, now - 10, now + 1000), TestTokens.Registered(TestTokens.KeyB, now - 10, now + 1000)],
            clock);
        var settings = new ClearingSettings
        {
            DataDirectory = Path.GetTempPath(),
            EpochSeconds = 100,
            Devnet = true,
            IssuerName = issuerName,
            MaxBatch = 1024,
            AnchoringAllowance = allowance ?? AnchoringAllowance.Default,
        };
        settings.Validate();
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        services.AddSingleton<TimeProvider>(clock);
        services.AddClearingCore(settings, database, wrapRegistry?.Invoke(registry) ?? registry, new ClearingIdentity(DevAccounts.ClearingHouse.Key, 31337, Ledger));
        await database.MigrateAsync();
        return new ClearingHarness(services.BuildServiceProvider(), database, registry, clock);
    }

    public async Task<T> SendAsync<T>(ICommand<T> command)
    {
        await using var scope = _services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<IMediator>().Send(command);
    }

    /// <summary>Registers a fresh operator key with the dev account's address as payee, as <c>sxl operator register</c> does.</summary>
    public async Task<TestOperator> RegisterOperatorAsync(DevAccount payee)
    {
        ArgumentNullException.ThrowIfNull(payee);
        var key = OperatorKey.Generate();
        _owned.Add(key);
        var text = ClearingProtocol.RegistrationMessage(Identity.Identity, key.PublicKey, payee.Address);
        var payeeSignature = new EthereumMessageSigner().EncodeUTF8AndSign(text, payee.Key).HexToByteArray();
        var outcome = await SendAsync(new RegisterOperator(key.PublicKey, payee.Address, payeeSignature, key.Sign(Encoding.UTF8.GetBytes(text))));
        Assert.Equal(RegisterStatus.Registered, outcome.Status);
        return new TestOperator(key, outcome.Payee, RandomNumberGenerator.GetBytes(ClearingProtocol.RedeemerIdLength));
    }

    /// <summary>A batch signed by the operator, as a relay sends it.</summary>
    public static RedeemBatch Batch(ClearingIdentity identity, TestOperator op, IReadOnlyList<byte[]> tokens, byte[]? batchId = null)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(op);
        batchId ??= RandomNumberGenerator.GetBytes(ClearingProtocol.BatchIdLength);
        var memory = tokens.Select(t => (ReadOnlyMemory<byte>)t).ToArray();
        var signature = op.Key.Sign(ClearingProtocol.RedeemSigningInput(identity.Identity, batchId, op.RedeemerId, ClearingProtocol.TokensDigest(memory)));
        return new RedeemBatch(batchId, op.Key.PublicKey, op.RedeemerId, memory, signature);
    }

    public Task<RedeemBatchOutcome> RedeemAsync(TestOperator op, IReadOnlyList<byte[]> tokens, byte[]? batchId = null) =>
        SendAsync(Batch(Identity, op, tokens, batchId));

    public async Task MaintainAsync()
    {
        await Services.GetRequiredService<EpochSchedule>().EnsureOpenAsync(Clock.UnixSeconds, CancellationToken.None);
        await SendAsync(new PurgeExpiredKeys(Clock.UnixSeconds));
    }

    // ---- what the database holds -------------------------------------------------------------------

    public async Task<long> SpentRowsAsync()
    {
        await using var db = Database.CreateContext();
        return await db.SpentTokens.LongCountAsync();
    }

    public async Task<long> PayeeAcceptedAsync(string payee, ulong epoch)
    {
        await using var db = Database.CreateContext();
        return await db.PayeeEpochs.Where(p => p.Payee == payee && p.Epoch == (long)epoch).Select(p => p.Accepted).SingleOrDefaultAsync();
    }

    public async Task<long> PayeeAcceptedAllEpochsAsync(string payee)
    {
        await using var db = Database.CreateContext();
        return await db.PayeeEpochs.Where(p => p.Payee == payee).SumAsync(p => p.Accepted);
    }

    public async Task<long> KeyAcceptedAsync(Tokens.TokenPublicKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var id = key.KeyId.ToArray();
        await using var db = Database.CreateContext();
        return await db.TokenKeys.Where(k => k.KeyId == id).Select(k => k.Accepted).SingleOrDefaultAsync();
    }

    public async Task<long> BatchesAsync()
    {
        await using var db = Database.CreateContext();
        return await db.Batches.LongCountAsync();
    }

    /// <summary>Everything that counts, to show that a refused call changed nothing.</summary>
    public async Task<(long Spent, long Batches, long PayeeTotal, long KeyTotal)> StateAsync()
    {
        await using var db = Database.CreateContext();
        return (await db.SpentTokens.LongCountAsync(), await db.Batches.LongCountAsync(), await db.PayeeEpochs.SumAsync(p => p.Accepted), await db.TokenKeys.SumAsync(k => k.Accepted));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var o in _owned)
        {
            o.Dispose();
        }

        await _services.DisposeAsync();
    }
}

/// <summary>A registry the test can take down, as a chain node that stops answering.</summary>
public sealed class SwitchableRegistry(IKeyRegistry inner) : IKeyRegistry
{
    public bool Down { get; set; }

    public bool IsDevelopment => inner.IsDevelopment;

    public ValueTask<RegistrySnapshot> GetSnapshotAsync(CancellationToken cancellationToken) =>
        Down ? throw new RegistryUnavailableException("the test took the chain down") : inner.GetSnapshotAsync(cancellationToken);
}
