using System.Net;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using SimpleXLedger.Tokens;
using Proto = SimpleXLedger.Protos.Issuer;

namespace SimpleXLedger.Wallet.Issuance;

/// <summary>The issuer as the key-consistency check found it: its name, the one key to blind for, its parameters.</summary>
public sealed record VerifiedIssuer(string Name, TokenPublicKey Key, long RedeemUntil, int MaxBatch, ulong Denomination, bool DevelopmentMode)
{
    public TokenChallenge Challenge => TokenChallenge.ForNetwork(Name);
}

/// <summary>An issuer refusal: the gRPC status and the issuer's machine-readable reason (a RedeemStatus name).</summary>
public sealed class IssuerRefusedException : WalletException
{
    public IssuerRefusedException()
        : this(StatusCode.Unknown, "Unknown", "the issuer refused")
    {
    }

    public IssuerRefusedException(string message)
        : this(StatusCode.Unknown, "Unknown", message)
    {
    }

    public IssuerRefusedException(string message, Exception innerException)
        : base(WalletError.IssuerRefused, message, innerException)
    {
        Reason = "Unknown";
    }

    public IssuerRefusedException(StatusCode status, string reason, string message, WalletError error = WalletError.IssuerRefused)
        : base(error, message)
    {
        Status = status;
        Reason = reason;
    }

    public StatusCode Status { get; }

    /// <summary>The issuer's <c>sxl-error</c> trailer, e.g. <c>Spent</c>, <c>InsufficientCredits</c>, <c>Unfunded</c>.</summary>
    public string Reason { get; }
}

/// <summary>
/// A connection to one issuer plus the source of truth for its key (owned only when the session was opened by
/// <see cref="IssuerConnection.OpenAsync"/>; otherwise the caller disposes it). <see cref="VerifyAsync"/> is the key-consistency
/// check (design, point 2): the registry's current issuing key, and a directory (RFC 9578 over HTTP, and the gRPC
/// one) that offers exactly that key and nothing else — or a typed refusal, never a fallback.
/// </summary>
public sealed class IssuerSession : IDisposable
{
    private readonly GrpcChannel _channel;
    private readonly HttpClient _http;
    private readonly Proto.Issuer.IssuerClient _client;
    private readonly bool _ownsKeys;

    public IssuerSession(IssuerEndpoint endpoint, IIssuingKeySource keys)
        : this(endpoint, keys, ownsKeys: false)
    {
    }

    internal IssuerSession(IssuerEndpoint endpoint, IIssuingKeySource keys, bool ownsKeys)
    {
        _ownsKeys = ownsKeys;
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(keys);
        Endpoint = endpoint;
        Keys = keys;
        _channel = GrpcChannel.ForAddress(endpoint.Grpc, new GrpcChannelOptions
        {
            HttpHandler = endpoint.Handler(),
            DisposeHttpClient = true,
            MaxReceiveMessageSize = 4 * 1024 * 1024,
        });
        _client = new Proto.Issuer.IssuerClient(_channel);
        _http = new HttpClient(endpoint.Handler()) { Timeout = TimeSpan.FromSeconds(30) };
    }

    public IssuerEndpoint Endpoint { get; }

    public IIssuingKeySource Keys { get; }

    /// <summary>Checks the issuer's key against the registry; returns what to blind for. Throws <see cref="KeyConsistencyException"/>.</summary>
    public async Task<VerifiedIssuer> VerifyAsync(CancellationToken cancellationToken = default)
    {
        var directory = await FetchDirectoryAsync(cancellationToken);
        var grpc = await CallAsync(() => _client.GetDirectoryAsync(new Proto.GetDirectoryRequest(), cancellationToken: cancellationToken).ResponseAsync);

        // The directory lists exactly one key: an issuer offering several could hand each user a different one.
        if (directory.TokenKeys.Count == 0)
        {
            throw new KeyConsistencyException(KeyConsistencyFailure.DirectoryEmpty, "the issuer's directory offers no key");
        }

        if (directory.TokenKeys.Count > 1)
        {
            throw new KeyConsistencyException(KeyConsistencyFailure.DirectoryOffersSeveralKeys, $"the issuer's directory offers {directory.TokenKeys.Count} keys; a consistent issuer offers exactly one");
        }

        if (!directory.TokenKeys[0].TryGetPublicKey(out var offered))
        {
            throw new KeyConsistencyException(KeyConsistencyFailure.DirectoryOffersOtherKey, "the issuer's directory offers a key that is not a token type 2 key");
        }

        long redeemUntil;
        TokenPublicKey key;
        if (Keys.TrustsDirectory)
        {
            key = offered;
            redeemUntil = grpc.RedeemUntil;
        }
        else
        {
            var anchored = await Keys.GetCurrentIssuingKeyAsync(cancellationToken)
                ?? throw new KeyConsistencyException(KeyConsistencyFailure.NoAnchoredIssuingKey, "the registry names no key issuing now; nothing to redeem under");
            if (!anchored.Key.Equals(offered))
            {
                throw new KeyConsistencyException(
                    KeyConsistencyFailure.DirectoryOffersOtherKey,
                    $"the issuer's directory offers key {offered.KeyIdHex[..16]}…, but the registry's current issuing key is {anchored.Key.KeyIdHex[..16]}…; refusing (no fallback)");
            }

            key = anchored.Key;
            redeemUntil = anchored.RedeemUntil;
        }

        if (!key.Spki.SequenceEqual(grpc.TokenKey.Span))
        {
            throw new KeyConsistencyException(KeyConsistencyFailure.DirectoryOffersOtherKey, "the issuer's gRPC directory names another key than its HTTP directory and the registry; refusing");
        }

        try
        {
            _ = TokenChallenge.ForNetwork(grpc.IssuerName);
        }
        catch (TokenException e)
        {
            throw new IssuerRefusedException("the issuer's name is not a server name", e);
        }

        return new VerifiedIssuer(grpc.IssuerName, key, redeemUntil, (int)Math.Min(grpc.MaxBatch, int.MaxValue), grpc.Denomination, grpc.DevelopmentMode);
    }

    /// <summary>One redemption request. Refusals are <see cref="IssuerRefusedException"/>; an unknown outcome is <see cref="WalletError.Unreachable"/>.</summary>
    internal Task<Proto.RedeemReply> RedeemAsync(string cardCode, byte[] requestId, IEnumerable<byte[]> requests, CancellationToken cancellationToken)
    {
        var request = new Proto.RedeemRequest { CardCode = cardCode, RequestId = ByteString.CopyFrom(requestId) };
        request.TokenRequests.AddRange(requests.Select(ByteString.CopyFrom));
        return CallAsync(() => _client.RedeemAsync(request, deadline: DateTime.UtcNow.AddMinutes(2), cancellationToken: cancellationToken).ResponseAsync);
    }

    /// <summary>The card's state at the issuer, or null when the issuer does not know it (yet).</summary>
    internal async Task<Proto.CardInfo?> GetCardAsync(string cardCode, CancellationToken cancellationToken)
    {
        try
        {
            return await CallAsync(() => _client.GetCardAsync(new Proto.GetCardRequest { CardCode = cardCode }, cancellationToken: cancellationToken).ResponseAsync);
        }
        catch (IssuerRefusedException e) when (e.Status == StatusCode.Unauthenticated)
        {
            return null;
        }
    }

    private async Task<IssuerDirectory> FetchDirectoryAsync(CancellationToken cancellationToken)
    {
        string json;
        try
        {
            using var response = await _http.GetAsync(Endpoint.Directory, cancellationToken);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new IssuerRefusedException(StatusCode.Unavailable, "DirectoryUnavailable", $"the issuer's directory answered HTTP {(int)response.StatusCode}", WalletError.Unreachable);
            }

            json = await response.Content.ReadAsStringAsync(cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new WalletException(WalletError.Unreachable, "the issuer's directory cannot be reached", e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new WalletException(WalletError.Unreachable, "the issuer's directory did not answer in time", e);
        }

        return IssuerDirectory.TryParse(json, out var directory, out _)
            ? directory
            : throw new KeyConsistencyException(KeyConsistencyFailure.DirectoryEmpty, "the issuer's directory is not a valid RFC 9578 directory");
    }

    private static async Task<T> CallAsync<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (RpcException e) when (e.Trailers.GetValue("sxl-error") is { } reason)
        {
            var error = reason is "Unfunded" ? WalletError.CardNotActive : WalletError.IssuerRefused;
            throw new IssuerRefusedException(e.StatusCode, reason, $"the issuer refused: {e.Status.Detail} ({reason})", error);
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Internal or StatusCode.Unknown or StatusCode.Cancelled)
        {
            throw new WalletException(WalletError.Unreachable, $"the issuer cannot be reached or did not answer ({e.StatusCode})", e);
        }
        catch (RpcException e)
        {
            throw new IssuerRefusedException(e.StatusCode, e.StatusCode.ToString(), $"the issuer refused: {e.Status.Detail}");
        }
        catch (HttpRequestException e)
        {
            throw new WalletException(WalletError.Unreachable, "the issuer cannot be reached", e);
        }
    }

    public void Dispose()
    {
        _channel.Dispose();
        _http.Dispose();
        if (_ownsKeys && Keys is IDisposable keys)
        {
            keys.Dispose();
        }
    }
}
