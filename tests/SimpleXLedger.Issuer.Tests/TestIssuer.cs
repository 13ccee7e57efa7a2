using Mediator;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SimpleXLedger.Cards;
using SimpleXLedger.Issuer.Cards;
using SimpleXLedger.Issuer.Keys;
using SimpleXLedger.Issuer.Ledger;
using SimpleXLedger.Issuer.Storage;
using SimpleXLedger.Tokens;

namespace SimpleXLedger.Issuer.Tests;

/// <summary>
/// The issuer's domain (real SQLite file in a temporary data directory, real Mediator pipeline, real OpenSSL signing)
/// without a network listener. Seeded with a shared RSA key so no test waits for key generation.
/// </summary>
public sealed class TestIssuer : IAsyncDisposable
{
    public const string IssuerName = "issuer.test";

    private readonly ServiceProvider _provider;

    private TestIssuer(string directory, ServiceProvider provider, ManualTime time, ILedgerView ledger, TokenPublicKey? key)
    {
        Directory = directory;
        _provider = provider;
        Time = time;
        Ledger = ledger;
        Key = key;
    }

    public string Directory { get; }

    public ManualTime Time { get; }

    public ILedgerView Ledger { get; }

    /// <summary>The seeded issuing key (null when created without one).</summary>
    public TokenPublicKey? Key { get; }

    public IServiceProvider Services => _provider;

    public IssuerSettings Settings => _provider.GetRequiredService<IssuerSettings>();

    public static async Task<TestIssuer> StartAsync(
        Func<ManualTime, ILedgerView>? ledger = null,
        Func<IssuerSettings, IssuerSettings>? configure = null,
        bool seedKey = true,
        int sharedKey = 0,
        ILedgerWriter? writer = null,
        ManualTime? time = null)
    {
        time ??= ManualTime.AtUnix(1_800_000_000);
        var directory = System.IO.Directory.CreateTempSubdirectory("sxl-issuer-test-").FullName;
        var settings = new IssuerSettings { DataDirectory = Path.Combine(directory, "data"), Devnet = true, Windows = KeyWindowPolicy.Devnet, Name = IssuerName };
        settings = configure?.Invoke(settings) ?? settings;
        var view = ledger?.Invoke(time) ?? new DevelopmentLedger(time);
        await DataDirectory.OpenAsync(settings, view.IsDevelopment ? IssuerMode.Development : IssuerMode.Ledger, null);

        var services = new ServiceCollection();
        services.AddLogging(l => l.SetMinimumLevel(LogLevel.Warning));
        services.AddSingleton<TimeProvider>(time);
        services.AddIssuerCore(settings, view, writer ?? view as ILedgerWriter);
        var provider = services.BuildServiceProvider();

        TokenPublicKey? publicKey = null;
        if (seedKey)
        {
            using var key = SharedKeys.Get(sharedKey);
            publicKey = key.PublicKey;
            var keyId = "0x" + key.PublicKey.KeyIdHex;
            provider.GetRequiredService<KeyFiles>().Save(keyId, key);
            await using var scope = provider.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<IssuerDbContext>();
            var now = await view.LatestBlockTimeAsync(default);
            db.TokenKeys.Add(new TokenKeyRow
            {
                Id = keyId,
                Spki = key.PublicKey.ExportSpki(),
                UsableFrom = now - 10,
                IssueUntil = now - 10 + (long)settings.Windows.IssueWindow.TotalSeconds,
                RedeemUntil = now - 10 + (long)(settings.Windows.IssueWindow + settings.Windows.RedeemWindow).TotalSeconds,
                Anchoring = view.IsDevelopment ? KeyAnchoring.Local : KeyAnchoring.Anchored,
                CreatedAt = now,
            });
            await db.SaveChangesAsync();
        }

        return new TestIssuer(directory, provider, time, view, publicKey);
    }

    public async Task<TResponse> Send<TResponse>(ICommand<TResponse> command)
    {
        await using var scope = _provider.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<IMediator>().Send(command);
    }

    public async Task<TResponse> Send<TResponse>(IQuery<TResponse> query)
    {
        await using var scope = _provider.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<IMediator>().Send(query);
    }

    public async Task<T> Db<T>(Func<IssuerDbContext, Task<T>> read)
    {
        await using var scope = _provider.CreateAsyncScope();
        return await read(scope.ServiceProvider.GetRequiredService<IssuerDbContext>());
    }

    /// <summary>Makes cards and imports them; returns their codes.</summary>
    public async Task<IReadOnlyList<CardCode>> CreateCardsAsync(ulong credits, int count = 1, string vendor = "vendor-1")
    {
        var (codes, batch) = CardMint.Generate(vendor, credits, count, 1);
        await Send(new ImportCards(batch, BatchOrigin.Created));
        return codes;
    }

    public async Task<CardRow> CardAsync(CardCode code)
    {
        var hash = code.ComputeHash().ToArray();
        return await Db(db => db.Cards.AsNoTracking().SingleAsync(c => c.Hash == hash));
    }

    /// <summary>Blinded requests for the seeded key, as a wallet makes them (the states finalize the responses).</summary>
    public IReadOnlyList<TokenRequestState> NewRequests(int count)
    {
        var key = Key ?? throw new InvalidOperationException("no seeded key");
        var challenge = TokenChallenge.ForNetwork(IssuerName);
        return [.. Enumerable.Range(0, count).Select(_ => TokenClient.CreateRequest(key, challenge))];
    }

    public async ValueTask DisposeAsync()
    {
        await _provider.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A temporary directory left behind is harmless.
        }
    }
}
