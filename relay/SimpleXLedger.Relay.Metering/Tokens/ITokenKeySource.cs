namespace SimpleXLedger.Relay.Metering.Tokens;

/// <summary>
/// The token keys a relay trusts, with their windows: the ledger's key registry (judged at the latest block
/// time), or the issuer's directory on a devnet. Offered by the host to the token plugin, which asks it for
/// every token it judges: a source caches its readings itself (briefly), so a call is cheap.
/// </summary>
public interface ITokenKeySource
{
    /// <summary>The keys now; throws <see cref="TokenKeysUnavailableException"/> when the source cannot be read.</summary>
    ValueTask<TrustedKeySet> GetKeysAsync(CancellationToken cancellationToken);

    /// <summary>
    /// A reading at least as new as a short moment ago, asked for when a token's key is unknown or not usable yet by
    /// the cached reading (it may have been anchored or opened since). Sources bound how often this reaches them.
    /// </summary>
    ValueTask<TrustedKeySet> GetLatestKeysAsync(CancellationToken cancellationToken) => GetKeysAsync(cancellationToken);
}

/// <summary>The keys and the time their windows are judged at (the chain's latest block time, or the clock).</summary>
public sealed record TrustedKeySet(IReadOnlyList<TrustedTokenKey> Keys, DateTimeOffset Now);

/// <summary>
/// A token key: its SubjectPublicKeyInfo (RFC 9578 <c>token-key</c>, whose SHA-256 is the key id), usable from
/// <paramref name="NotBefore"/> (inclusive) and redeemable until <paramref name="RedeemUntil"/> (exclusive, as
/// the registry's windows are).
/// </summary>
public sealed record TrustedTokenKey(ReadOnlyMemory<byte> PublicKeySpki, DateTimeOffset NotBefore, DateTimeOffset RedeemUntil);

/// <summary>The key source (the chain) cannot be read now; the plugin keeps judging with what it read last.</summary>
public sealed class TokenKeysUnavailableException : Exception
{
    public TokenKeysUnavailableException()
    {
    }

    public TokenKeysUnavailableException(string message)
        : base(message)
    {
    }

    public TokenKeysUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
