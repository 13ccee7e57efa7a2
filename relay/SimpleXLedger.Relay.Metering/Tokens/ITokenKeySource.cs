namespace SimpleXLedger.Relay.Metering.Tokens;

/// <summary>
/// The token keys a relay trusts, with their windows: the ledger's key registry (checked against the
/// latest block time), or the issuer's directory on a devnet. Offered by the host to the token plugin.
/// </summary>
public interface ITokenKeySource
{
    ValueTask<TrustedKeySet> GetKeysAsync(CancellationToken cancellationToken);
}

/// <summary>The keys and the time their windows are judged at (the chain's latest block time, or the clock).</summary>
public sealed record TrustedKeySet(IReadOnlyList<TrustedTokenKey> Keys, DateTimeOffset Now);

/// <summary>
/// A token key: its SubjectPublicKeyInfo (RFC 9578 <c>token-key</c>, whose SHA-256 is the key id),
/// usable from <paramref name="NotBefore"/> and redeemable until <paramref name="RedeemUntil"/>.
/// </summary>
public sealed record TrustedTokenKey(ReadOnlyMemory<byte> PublicKeySpki, DateTimeOffset NotBefore, DateTimeOffset RedeemUntil);
