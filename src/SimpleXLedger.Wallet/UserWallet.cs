using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SimpleXLedger.Net;
using SimpleXLedger.Relay.Client;
using SimpleXLedger.Wallet.Spending;
using SimpleXLedger.Wallet.Storage;

namespace SimpleXLedger.Wallet;

/// <summary>
/// A user's wallet: gift cards, the tokens they became, and the relay queues they pay for, in one encrypted file
/// (<see cref="WalletFile"/>). Everything is loaded and authenticated at open; every change is written (sealed, in one
/// SQLite transaction) before it takes effect in memory, so a crash at any point loses nothing and never pays twice.
/// </summary>
/// <remarks>
/// Thread-safe: operations may run concurrently (a <see cref="TopUpScheduler"/> loop beside user commands); state
/// changes are serialised, network calls are not held under the lock.
/// </remarks>
public sealed partial class UserWallet : IAsyncDisposable, IDisposable
{
    public const int MinPassphraseLength = 8;

    private readonly Lock _gate = new();
    private readonly WalletFile _file;
    private readonly WalletState _state;
    private readonly IRelayConnector _relays;
    private readonly bool _ownsRelays;
    private int _disposed;

    private UserWallet(WalletFile file, WalletState state, WalletOptions options)
    {
        _file = file;
        _state = state;
        Options = options;
        Time = options.Time;
        Random = options.Random;
        Logger = options.Logger ?? NullLogger.Instance;
        Policy = options.Spending ?? (state.Settings.Spending is { } text && SpendingPolicy.TryParse(text, out var stored, out _) ? stored : SpendingPolicy.Careful);
        Policy.Validate();
        if (options.Relays is { } relays)
        {
            _relays = relays;
        }
        else if (Policy.ConnectionPerOperation)
        {
            _relays = FreshRelayConnections.Instance;
        }
        else
        {
            _relays = new SharedRelayConnections();
            _ownsRelays = true;
        }

        TopUps = new TopUpScheduler(this);
    }

    public string Path => _file.Path;

    public KdfParameters Kdf => _file.Kdf;

    public WalletOptions Options { get; }

    /// <summary>The policy in force (the options' override, else the one stored in the file, else careful).</summary>
    public SpendingPolicy Policy { get; }

    public TimeProvider Time { get; }

    public IRandomSource Random { get; }

    public ILogger Logger { get; }

    /// <summary>The wallet's top-ups: scheduled after random delays, run when due.</summary>
    public TopUpScheduler TopUps { get; }

    internal IRelayConnector Relays => _relays;

    /// <summary>Where the CLI reaches the network (remembered between commands).</summary>
    public WalletProfile Profile => Read(s => s.Settings.Profile);

    /// <summary>The issuer name this wallet redeemed under (pinned at first redemption).</summary>
    public string? IssuerName => Read(s => s.Settings.IssuerName);

    /// <summary>Makes a new wallet file. The passphrase is at least <see cref="MinPassphraseLength"/> characters.</summary>
    public static UserWallet Create(string path, string passphrase, KdfParameters? kdf = null, WalletOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(passphrase);
        if (passphrase.Length < MinPassphraseLength)
        {
            throw new WalletException(WalletError.WeakPassphrase, $"a wallet passphrase has at least {MinPassphraseLength} characters");
        }

        options ??= new WalletOptions();
        options.Spending?.Validate();
        var file = WalletFile.Create(path, passphrase, kdf ?? KdfParameters.Strong);
        try
        {
            var settings = WalletState.NewSettings() with { Spending = options.Spending?.ToText() };
            var changes = new WalletChanges();
            changes.Put(settings);
            file.Write(changes.ToFileChanges());
            var state = new WalletState();
            state.Apply(changes);
            return new UserWallet(file, state, options);
        }
        catch
        {
            file.Dispose();
            File.Delete(path);
            throw;
        }
    }

    /// <summary>Opens a wallet: a wrong passphrase or an altered file is a typed error and nothing is written.</summary>
    public static UserWallet Open(string path, string passphrase, WalletOptions? options = null)
    {
        if (string.IsNullOrEmpty(passphrase))
        {
            throw new WalletException(WalletError.WrongPassphrase, "no passphrase given");
        }

        var (file, records) = WalletFile.Open(path, passphrase);
        try
        {
            return new UserWallet(file, WalletState.Load(records), options ?? new WalletOptions());
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Argon2id takes a while: these run it on the thread pool.</summary>
    public static Task<UserWallet> CreateAsync(string path, string passphrase, KdfParameters? kdf = null, WalletOptions? options = null) =>
        Task.Run(() => Create(path, passphrase, kdf, options));

    public static Task<UserWallet> OpenAsync(string path, string passphrase, WalletOptions? options = null) =>
        Task.Run(() => Open(path, passphrase, options));

    /// <summary>Stores the policy in the file (used when the options do not override it, from the next open on).</summary>
    public void SavePolicy(SpendingPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        policy.Validate();
        Mutate((s, c) => c.Put(s.Settings with { Spending = policy.ToText() }));
    }

    public void SaveProfile(WalletProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        Mutate((s, c) => c.Put(s.Settings with { Profile = profile }));
    }

    public WalletBalance GetBalance() => Read(s =>
    {
        var cards = s.Cards.Values
            .OrderBy(c => c.AddedAt)
            .Select(c => new CardSummary(c.Hash[..Math.Min(12, c.Hash.Length)], c.State, c.Credits, c.Redeemed, c.Remaining, c.Code is not null))
            .ToList();
        return new WalletBalance(
            cards,
            s.Tokens.Values.Count(t => t.ReservedFor is null),
            s.Tokens.Values.Count(t => t.ReservedFor is not null),
            s.Settings.TokensRedeemed,
            s.Settings.TokensSpent,
            s.Settings.TokensLost,
            s.Settings.TokensWithdrawn,
            s.Settings.TokensDropped,
            s.Batches.Count,
            QueueViews(s),
            s.TopUps.Count);
    });

    /// <summary>The wallet's queues, in creation order.</summary>
    public IReadOnlyList<WalletQueue> Queues => Read(QueueViews);

    /// <summary>Tokens available now (not reserved, not past their key's redeem-until).</summary>
    public int AvailableTokens => Read(s => AvailableTokenRecords(s).Count());

    /// <summary>
    /// Takes tokens out of the wallet, for their owner to spend by hand (e.g. <c>sxl queue topup --token</c>) or give
    /// away. They leave the wallet at once (counted as withdrawn) and are never offered again. Secret: whoever holds
    /// one can spend it.
    /// </summary>
    public IReadOnlyList<SimpleXLedger.Tokens.Token> WithdrawTokens(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        return Mutate((s, c) =>
        {
            var taken = AvailableTokenRecords(s).Take(count).ToList();
            if (taken.Count < count)
            {
                throw new WalletException(WalletError.InsufficientTokens, $"only {taken.Count} tokens are available");
            }

            foreach (var t in taken)
            {
                c.Delete<TokenRecord>(t.Id);
                c.MarkSpent(WalletState.SpentMark(t));
            }

            c.Put(s.Settings with { TokensWithdrawn = s.Settings.TokensWithdrawn + taken.Count });
            return (IReadOnlyList<SimpleXLedger.Tokens.Token>)[.. taken.Select(t => SimpleXLedger.Tokens.Token.Parse(t.Token))];
        });
    }

    internal T Read<T>(Func<WalletState, T> read)
    {
        lock (_gate)
        {
            return read(_state);
        }
    }

    /// <summary>Decides changes under the lock, writes them (one transaction), then applies them in memory.</summary>
    internal T Mutate<T>(Func<WalletState, WalletChanges, T> decide)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed != 0, this);
            var changes = new WalletChanges();
            var result = decide(_state, changes);
            _file.Write(changes.ToFileChanges());
            _state.Apply(changes);
            return result;
        }
    }

    internal void Mutate(Action<WalletState, WalletChanges> decide) => Mutate((s, c) =>
    {
        decide(s, c);
        return 0;
    });

    internal long NowSeconds => Time.GetUtcNow().ToUnixTimeSeconds();

    /// <summary>Unreserved, unexpired tokens, oldest key window first; <paramref name="forSpending"/> also leaves out tokens younger than the policy's minimum age.</summary>
    internal IEnumerable<TokenRecord> AvailableTokenRecords(WalletState s, bool forSpending = false)
    {
        var now = NowSeconds;
        var youngest = forSpending ? now - (long)Policy.MinTokenAge.TotalSeconds : long.MaxValue;
        return s.Tokens.Values
            .Where(t => t.ReservedFor is null && t.RefusedShowings == 0 && (t.RedeemUntil == 0 || t.RedeemUntil > now) && t.AddedAt <= youngest)
            .OrderBy(t => t.RedeemUntil == 0 ? long.MaxValue : t.RedeemUntil)
            .ThenBy(t => t.AddedAt)
            .ThenBy(t => t.Id, StringComparer.Ordinal);
    }

    private List<WalletQueue> QueueViews(WalletState s) => [.. s.Queues.Values
        .OrderBy(q => q.CreatedAt).ThenBy(q => q.Name, StringComparer.Ordinal)
        .Select(q => new WalletQueue(
            q.Name,
            q.Relay,
            q.State,
            q.Balance,
            q.BalanceUnit,
            q.BalanceAt == 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds(q.BalanceAt),
            LinkOf(q),
            s.TopUps.Values.Where(t => t.QueueId == q.Id).Select(t => (DateTimeOffset?)DateTimeOffset.FromUnixTimeMilliseconds(t.DueAt)).FirstOrDefault()))];

    internal static SenderLink? LinkOf(QueueRecord q) =>
        q.SenderId is { } senderId && PinnedAddress.TryParse(q.Relay, out var relay, out _) ? new SenderLink(relay, senderId, q.SenderKey) : null;

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_ownsRelays && _relays is IAsyncDisposable relays)
        {
            await relays.DisposeAsync();
        }

        lock (_gate)
        {
            _file.Dispose();
        }
    }
}
