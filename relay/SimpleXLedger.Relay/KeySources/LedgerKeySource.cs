using Microsoft.Extensions.Logging;
using Nethereum.Util;
using SimpleXLedger.Chain.Contracts;
using SimpleXLedger.Chain.Registry;
using SimpleXLedger.Chain.Services;
using SimpleXLedger.Relay.Metering.Tokens;

namespace SimpleXLedger.Relay.KeySources;

/// <summary>
/// The token plugin's key source on a real network (<c>sxl relay serve --rpc &lt;url&gt; --ledger &lt;address&gt;</c>):
/// every key anchored in the ledger's registry with its windows, judged at the latest block's time, read through
/// the chain's <see cref="KeyRegistryReader"/> (one reading reused for at most its max age). Keys the registry does
/// not hold are unknown to the relay; a revoked key stops issuing, its tokens stay redeemable in their window.
/// </summary>
public sealed class LedgerKeySource : ITokenKeySource, IDisposable
{
    /// <summary>The design's minimums a production relay insists on (24 h delay, 30 days issuing, 90 days redeemable).</summary>
    public const ulong ProductionMinKeyDelay = 86_400;
    public const ulong ProductionMinIssueWindow = 30 * 86_400;
    public const ulong ProductionMinRedeemWindow = 90 * 86_400;

    /// <summary>How old a reading may be when the plugin asks for the latest (a key unknown or not usable yet): bounds the chain reads such tokens cause.</summary>
    private static readonly TimeSpan LatestAtMostEvery = TimeSpan.FromMilliseconds(250);

    private readonly KeyRegistryReader _reader;
    private readonly ChainConnection? _connection;

    public LedgerKeySource(KeyRegistryReader reader)
        : this(reader, null)
    {
    }

    private LedgerKeySource(KeyRegistryReader reader, ChainConnection? connection)
    {
        ArgumentNullException.ThrowIfNull(reader);
        _reader = reader;
        _connection = connection;
    }

    public string Ledger => _reader.Ledger.Ledger;

    /// <summary>
    /// Connects (read-only) to the ledger at <paramref name="rpcUrl"/>. The ledger's key-window minimums must be the
    /// production ones unless <paramref name="devnet"/>: short windows would let an issuer rotate keys fast enough
    /// to give a user a key of their own. Throws <see cref="LedgerKeySourceException"/> with a one-line reason.
    /// </summary>
    public static async Task<LedgerKeySource> ConnectAsync(string rpcUrl, string ledger, bool devnet, TimeSpan maxAge, ILoggerFactory? loggers = null, CancellationToken cancellationToken = default)
    {
        if (!Uri.TryCreate(rpcUrl, UriKind.Absolute, out var rpc) || (rpc.Scheme != Uri.UriSchemeHttp && rpc.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException("--rpc must be an http(s) URL of an Ethereum JSON-RPC endpoint");
        }

        if (!AddressUtil.Current.IsValidEthereumAddressHexFormat(ledger))
        {
            throw new ArgumentException("--ledger must be the ledger contract's address (0x and 40 hex digits)");
        }

        ChainConnection? connection = null;
        try
        {
            connection = await ChainConnection.ConnectAsync(rpcUrl, logger: loggers?.CreateLogger("chain"), ct: cancellationToken);
            var client = await LedgerClient.AttachAsync(connection, ledger, loggers?.CreateLogger("ledger"), cancellationToken);
            var info = await client.GetInfoAsync(cancellationToken);
            if (!devnet && (info.MinKeyDelay < ProductionMinKeyDelay || info.MinIssueWindow < ProductionMinIssueWindow || info.MinRedeemWindow < ProductionMinRedeemWindow))
            {
                throw new LedgerKeySourceException(
                    $"the ledger's key windows are shorter than a production network's (key delay {info.MinKeyDelay} s, issuing {info.MinIssueWindow} s, redeemable {info.MinRedeemWindow} s; "
                    + $"at least {ProductionMinKeyDelay}, {ProductionMinIssueWindow}, {ProductionMinRedeemWindow}): a relay trusts such a ledger only with --devnet");
            }

            var source = new LedgerKeySource(new KeyRegistryReader(client, maxAge, logger: loggers?.CreateLogger("registry")), connection);
            connection = null;
            return source;
        }
        catch (InvalidOperationException e)
        {
            throw new LedgerKeySourceException($"--ledger {ledger}: {e.Message}", e);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException or Nethereum.JsonRpc.Client.RpcClientUnknownException or Nethereum.JsonRpc.Client.RpcClientTimeoutException or Nethereum.JsonRpc.Client.RpcResponseException or LedgerRevertException
            && !cancellationToken.IsCancellationRequested)
        {
            throw new LedgerKeySourceException($"the ledger at {rpcUrl} cannot be read ({e.GetType().Name})", e);
        }
        finally
        {
            connection?.Dispose();
        }
    }

    public ValueTask<TrustedKeySet> GetKeysAsync(CancellationToken cancellationToken) => ReadAsync(_reader.MaxAge, cancellationToken);

    public ValueTask<TrustedKeySet> GetLatestKeysAsync(CancellationToken cancellationToken) =>
        ReadAsync(_reader.MaxAge < LatestAtMostEvery ? _reader.MaxAge : LatestAtMostEvery, cancellationToken);

    private async ValueTask<TrustedKeySet> ReadAsync(TimeSpan maxAge, CancellationToken cancellationToken)
    {
        KeyRegistryView view;
        try
        {
            view = await _reader.ReadAsync(maxAge, cancellationToken);
        }
        catch (KeyRegistryUnavailableException e)
        {
            throw new TokenKeysUnavailableException(e.Message, e);
        }

        var keys = new TrustedTokenKey[view.Keys.Count];
        for (var i = 0; i < keys.Length; i++)
        {
            var k = view.Keys[i];
            keys[i] = new TrustedTokenKey(k.Spki, Time(k.UsableFrom), Time(k.RedeemUntil));
        }

        return new TrustedKeySet(keys, Time(view.BlockTime));
    }

    public void Dispose() => _connection?.Dispose();

    /// <summary>Block-time seconds as a time; beyond what a DateTimeOffset holds means "never".</summary>
    private static DateTimeOffset Time(ulong unixSeconds) =>
        unixSeconds >= (ulong)DateTimeOffset.MaxValue.ToUnixTimeSeconds() ? DateTimeOffset.MaxValue : DateTimeOffset.FromUnixTimeSeconds((long)unixSeconds);
}

/// <summary>The ledger given to the relay cannot serve as its key source (unreachable, not a ledger, devnet-length windows).</summary>
public sealed class LedgerKeySourceException : Exception
{
    public LedgerKeySourceException()
    {
    }

    public LedgerKeySourceException(string message)
        : base(message)
    {
    }

    public LedgerKeySourceException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
