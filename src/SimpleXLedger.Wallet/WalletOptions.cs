using Microsoft.Extensions.Logging;
using SimpleXLedger.Wallet.Issuance;
using SimpleXLedger.Wallet.Spending;

namespace SimpleXLedger.Wallet;

/// <summary>
/// What a wallet runs with besides its file: the clock and the randomness of its timing (injectable, so tests and
/// simulations are deterministic without sleeping), the spending policy (overriding the one stored in the file),
/// how it reaches relays, and the issuer it may fetch tokens from just in time (only when the policy does not prefetch).
/// </summary>
public sealed record WalletOptions
{
    public TimeProvider Time { get; init; } = TimeProvider.System;

    public IRandomSource Random { get; init; } = CryptoRandomSource.Instance;

    /// <summary>Overrides the policy stored in the wallet (null: the stored one, or <see cref="SpendingPolicy.Careful"/>).</summary>
    public SpendingPolicy? Spending { get; init; }

    /// <summary>Null: fresh connections per operation, or one shared per relay, as the policy says.</summary>
    public IRelayConnector? Relays { get; init; }

    /// <summary>For policies that fetch tokens just before use (<see cref="SpendingPolicy.PrefetchTokens"/> false).</summary>
    public IssuerSession? Issuer { get; init; }

    /// <summary>Logs carry counts and local queue names only, never a code, token, key or queue id.</summary>
    public ILogger? Logger { get; init; }
}
