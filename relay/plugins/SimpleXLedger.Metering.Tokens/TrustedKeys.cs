using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http;
using Microsoft.Extensions.Logging;
using SimpleXLedger.Relay.Metering;
using SimpleXLedger.Relay.Metering.Tokens;
using SimpleXLedger.Tokens;

namespace SimpleXLedger.Metering.Tokens;

/// <summary>
/// The token keys this relay accepts, with their windows, from (in order of preference) the host's
/// <see cref="ITokenKeySource"/> (the ledger's registry), the issuer's directory on a devnet, or the
/// <c>tokenKeys</c> setting (<c>spki[:notBefore:redeemUntil]</c>, unix seconds, comma separated).
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
    private DateTimeOffset _lastRefresh = DateTimeOffset.MinValue;
    private DateTimeOffset? _sourceNow;
    private DateTimeOffset _sourceReadAt;

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
            throw new ArgumentException("the tokens plugin trusts no token keys: set tokenKeys, or run with --devnet --issuer <directory url>, or give the relay the ledger's registry");
        }
    }

    /// <summary>The key and its window for a token's key id, refreshing the source once if it is unknown.</summary>
    public async ValueTask<(TokenPublicKey Key, DateTimeOffset NotBefore, DateTimeOffset RedeemUntil, DateTimeOffset Now)?> FindAsync(ReadOnlyMemory<byte> keyId, CancellationToken ct)
    {
        var id = Convert.ToHexStringLower(keyId.Span);
        if (!_keys.ContainsKey(id) || (_source is not null && _sourceNow is null))
        {
            await RefreshAsync(ct);
        }

        return _keys.TryGetValue(id, out var entry) ? (entry.Key, entry.NotBefore, entry.RedeemUntil, Now) : null;
    }

    /// <summary>The key to name in a payment-required challenge: the newest key usable now.</summary>
    public TokenPublicKey? Current => _keys.Values.Where(k => k.NotBefore <= Now && Now <= k.RedeemUntil).OrderByDescending(k => k.NotBefore).Select(k => k.Key).FirstOrDefault();

    /// <summary>The source's time (the chain's latest block time) moved on by the clock since it was read.</summary>
    private DateTimeOffset Now => _sourceNow is { } sourceNow ? sourceNow + (_time.GetUtcNow() - _sourceReadAt) : _time.GetUtcNow();

    public async Task RefreshAsync(CancellationToken ct)
    {
        if (_source is null && _directory is null)
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
            if (_source is not null)
            {
                var set = await _source.GetKeysAsync(ct);
                _sourceNow = set.Now;
                _sourceReadAt = _time.GetUtcNow();
                foreach (var k in set.Keys)
                {
                    if (TokenPublicKey.TryFromSpki(k.PublicKeySpki.Span, out var key, out _))
                    {
                        _keys[key.KeyIdHex] = (key, k.NotBefore, k.RedeemUntil);
                    }
                }

                return;
            }

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
}
