using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using SimpleXLedger.Relay.Metering;
using SimpleXLedger.Relay.Metering.Tokens;
using SimpleXLedger.Tokens;

namespace SimpleXLedger.Metering.Tokens;

/// <summary>
/// The token keys this relay accepts, with their windows, from (in order of preference) the host's
/// <see cref="ITokenKeySource"/> (the ledger's registry), the issuer's directory on a devnet, or the
/// <c>tokenKeys</c> setting (<c>spki[:notBefore:redeemUntil]</c>, unix seconds, comma separated).
/// With a source, every token is judged at the source's time (the latest block time): the source is asked each
/// time (it caches its readings briefly itself). While it cannot be read, the last reading is used, its time
/// moved on by the relay's clock. The time never goes back: a later reading older than one seen is ignored.
/// Keys once seen are remembered: the issuer's directory lists only its current key.
/// </summary>
internal sealed class TrustedKeys : IDisposable
{
    private static readonly TimeSpan RefreshAtMostEvery = TimeSpan.FromSeconds(5);
    private readonly ConcurrentDictionary<string, (TokenPublicKey Key, DateTimeOffset NotBefore, DateTimeOffset RedeemUntil)> _keys = new(StringComparer.Ordinal);
    private readonly ITokenKeySource? _source;
    private readonly Uri? _directory;
    private readonly HttpClient? _http;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _refreshGate = new(1, 1);
    private readonly Lock _sourceGate = new();
    private DateTimeOffset _lastRefresh = DateTimeOffset.MinValue;
    private DateTimeOffset _lastSourceFailure = DateTimeOffset.MinValue;
    private SourceTime? _sourceTime;

    public TrustedKeys(MeteringPluginContext context)
    {
        _time = context.Time;
        _logger = context.Logger;
        _source = context.Services.GetService(typeof(ITokenKeySource)) as ITokenKeySource;
        var devnet = string.Equals(context.Setting("devnet"), "true", StringComparison.OrdinalIgnoreCase);
        if (_source is null && devnet && context.Setting("issuer") is { } issuer)
        {
            var uri = new Uri(issuer, UriKind.Absolute);
            _directory = uri.AbsolutePath.EndsWith(IssuerDirectory.WellKnownPath, StringComparison.Ordinal) ? uri : new Uri(uri, IssuerDirectory.WellKnownPath);
            _http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        }

        foreach (var entry in (context.Setting("tokenKeys") ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = entry.Split(':');
            if (!TokenPublicKey.TryFromBase64Url(parts[0], out var key, out _))
            {
                throw new ArgumentException("a tokenKeys entry is not a token key (base64url SPKI)");
            }

            var notBefore = parts.Length > 1 ? DateTimeOffset.FromUnixTimeSeconds(long.Parse(parts[1], CultureInfo.InvariantCulture)) : DateTimeOffset.MinValue;
            var redeemUntil = parts.Length > 2 ? DateTimeOffset.FromUnixTimeSeconds(long.Parse(parts[2], CultureInfo.InvariantCulture)) : DateTimeOffset.MaxValue;
            _keys[key.KeyIdHex] = (key, notBefore, redeemUntil);
        }

        if (_source is null && _directory is null && _keys.IsEmpty)
        {
            throw new ArgumentException("the tokens plugin trusts no token keys: set tokenKeys, or run with --devnet --issuer <directory url>, or give the relay the ledger's registry (--rpc, --ledger)");
        }
    }

    /// <summary>Where the keys come from, for the start-up log line.</summary>
    public string SourceName => _source is not null ? "the host's key source" : _directory is not null ? "the issuer directory (devnet)" : "the tokenKeys setting";

    /// <summary>The key and its window for a token's key id, with the time to judge it at; null when the key is unknown.</summary>
    public async ValueTask<(TokenPublicKey Key, DateTimeOffset NotBefore, DateTimeOffset RedeemUntil, DateTimeOffset Now)?> FindAsync(ReadOnlyMemory<byte> keyId, CancellationToken ct)
    {
        var id = Convert.ToHexStringLower(keyId.Span);
        if (_source is not null)
        {
            await ReadSourceAsync(latest: false, ct);
            if (!_keys.TryGetValue(id, out var cached) || Now < cached.NotBefore)
            {
                // Anchored or opened since the source's cached reading, perhaps: ask for its latest once.
                await ReadSourceAsync(latest: true, ct);
            }
        }
        else if (!_keys.ContainsKey(id))
        {
            await RefreshDirectoryAsync(ct);
        }

        return _keys.TryGetValue(id, out var entry) ? (entry.Key, entry.NotBefore, entry.RedeemUntil, Now) : null;
    }

    /// <summary>The key to name in a payment-required challenge: the newest key usable now.</summary>
    public TokenPublicKey? Current
    {
        get
        {
            var now = Now;
            return _keys.Values.Where(k => k.NotBefore <= now && now < k.RedeemUntil).OrderByDescending(k => k.NotBefore).Select(k => k.Key).FirstOrDefault();
        }
    }

    /// <summary>
    /// A time the relay knows has been reached, to drop spent tokens of keys whose window closed before it: the
    /// source's own time from a fresh reading (never a time moved on by the relay's clock), or the relay's clock
    /// for configured keys. Null when the source cannot be read now.
    /// </summary>
    public async ValueTask<DateTimeOffset?> ReachedTimeAsync(CancellationToken ct)
    {
        if (_source is null)
        {
            return _time.GetUtcNow();
        }

        return await ReadSourceAsync(latest: false, ct) ? Volatile.Read(ref _sourceTime)?.Now : null;
    }

    /// <summary>The source's time (the chain's latest block time); moved on by the clock only while the source cannot be read.</summary>
    private DateTimeOffset Now
    {
        get
        {
            if (Volatile.Read(ref _sourceTime) is not { } source)
            {
                return _time.GetUtcNow();
            }

            var since = _time.GetUtcNow() - source.ReadAt;
            return since > TimeSpan.Zero && source.Now < DateTimeOffset.MaxValue - since ? source.Now + since : source.Now;
        }
    }

    /// <summary>Reads the source; false when it cannot be read now (then the last reading stands).</summary>
    private async ValueTask<bool> ReadSourceAsync(bool latest, CancellationToken ct)
    {
        TrustedKeySet set;
        try
        {
            set = latest ? await _source!.GetLatestKeysAsync(ct) : await _source!.GetKeysAsync(ct);
        }
        catch (TokenKeysUnavailableException)
        {
            var now = _time.GetUtcNow();
            if (now - _lastSourceFailure >= RefreshAtMostEvery)
            {
                _lastSourceFailure = now;
                _logger.LogWarning("the token key source cannot be read; judging with its last reading");
            }

            return false;
        }

        foreach (var k in set.Keys)
        {
            var id = Convert.ToHexStringLower(SHA256.HashData(k.PublicKeySpki.Span));
            if (_keys.TryGetValue(id, out var known) && known.NotBefore == k.NotBefore && known.RedeemUntil == k.RedeemUntil)
            {
                continue;
            }

            if (TokenPublicKey.TryFromSpki(k.PublicKeySpki.Span, out var key, out _))
            {
                _keys[key.KeyIdHex] = (key, k.NotBefore, k.RedeemUntil);
            }
        }

        lock (_sourceGate)
        {
            var readAt = _time.GetUtcNow();
            var previous = _sourceTime;
            _sourceTime = previous is not null && previous.Now > set.Now ? previous with { ReadAt = readAt } : new SourceTime(set.Now, readAt);
        }

        return true;
    }

    private async Task RefreshDirectoryAsync(CancellationToken ct)
    {
        if (_directory is null)
        {
            return;
        }

        await _refreshGate.WaitAsync(ct);
        try
        {
            if (_time.GetUtcNow() - _lastRefresh < RefreshAtMostEvery)
            {
                return;
            }

            _lastRefresh = _time.GetUtcNow();
            var json = await _http!.GetStringAsync(_directory, ct);
            if (!IssuerDirectory.TryParse(json, out var directory, out _))
            {
                _logger.LogWarning("the issuer directory could not be parsed");
                return;
            }

            foreach (var k in directory.TokenKeys)
            {
                if (k.TryGetPublicKey(out var key))
                {
                    var notBefore = k.NotBefore is { } nb ? DateTimeOffset.FromUnixTimeSeconds(nb) : DateTimeOffset.MinValue;
                    _keys[key.KeyIdHex] = (key, notBefore, DateTimeOffset.MaxValue);
                }
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or InvalidOperationException)
        {
            _logger.LogWarning("token key source unavailable ({ExceptionType})", e.GetType().Name);
        }
        finally
        {
            _refreshGate.Release();
        }
    }

    public void Dispose()
    {
        _http?.Dispose();
        _refreshGate.Dispose();
    }

    /// <summary>The newest source time seen, and when (by the relay's clock) it was last confirmed.</summary>
    private sealed record SourceTime(DateTimeOffset Now, DateTimeOffset ReadAt);
}
