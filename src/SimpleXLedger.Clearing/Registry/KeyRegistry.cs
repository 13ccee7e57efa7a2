using SimpleXLedger.Tokens;

namespace SimpleXLedger.Clearing.Registry;

/// <summary>
/// A token key as the ledger's registry holds it: its public key (from the anchored SPKI, whose SHA-256 is
/// the key id), its block-time windows, and the cumulative number of tokens the issuer anchored as issued.
/// </summary>
public sealed record RegisteredKey(TokenPublicKey PublicKey, ulong UsableFrom, ulong IssueUntil, ulong RedeemUntil, ulong RevokedAt, ulong Issued)
{
    public ReadOnlySpan<byte> KeyId => PublicKey.KeyId;

    public string KeyIdHex => PublicKey.KeyIdHex;

    /// <summary>
    /// Tokens of this key may be redeemed at <paramref name="time"/>: [usableFrom, redeemUntil). A revoked key
    /// stops issuing but its tokens stay redeemable (the registry's own rule); the issued total still caps them.
    /// </summary>
    public bool RedeemableAt(ulong time) => UsableFrom <= time && time < RedeemUntil;
}

/// <summary>The registry at one moment: the keys and the latest block time every window is judged by.</summary>
public sealed class RegistrySnapshot
{
    private readonly RegisteredKey[] _keys;

    public RegistrySnapshot(IEnumerable<RegisteredKey> keys, ulong now, ulong block = 0)
    {
        ArgumentNullException.ThrowIfNull(keys);
        _keys = keys.ToArray();
        Now = now;
        Block = block;
    }

    public IReadOnlyList<RegisteredKey> Keys => _keys;

    /// <summary>The latest block's timestamp (or the system clock in development mode), unix seconds.</summary>
    public ulong Now { get; }

    /// <summary>The block the snapshot was read at (0 without a chain).</summary>
    public ulong Block { get; }

    /// <summary>The key with this id, or null. Linear: a registry holds a handful of live keys.</summary>
    public RegisteredKey? Find(ReadOnlySpan<byte> keyId)
    {
        foreach (var key in _keys)
        {
            if (key.KeyId.SequenceEqual(keyId))
            {
                return key;
            }
        }

        return null;
    }
}

/// <summary>Where the clearing house reads token keys, windows, issued totals and the time: the ledger, or a development file.</summary>
public interface IKeyRegistry
{
    /// <summary>True when keys come from configuration and time from the system clock (no chain).</summary>
    bool IsDevelopment { get; }

    /// <summary>The current registry; throws <see cref="RegistryUnavailableException"/> when it cannot be read.</summary>
    ValueTask<RegistrySnapshot> GetSnapshotAsync(CancellationToken cancellationToken);
}

/// <summary>The registry (the chain) cannot be read now; nothing was decided or recorded.</summary>
public sealed class RegistryUnavailableException : Exception
{
    public RegistryUnavailableException()
    {
    }

    public RegistryUnavailableException(string message)
        : base(message)
    {
    }

    public RegistryUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
