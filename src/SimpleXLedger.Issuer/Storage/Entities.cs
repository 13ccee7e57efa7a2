namespace SimpleXLedger.Issuer.Storage;

// Times are Unix seconds (long): they compare and sort in SQLite, and they match the chain's block time.

/// <summary>A vendor selling cards; created on first use.</summary>
public sealed class VendorRow
{
    public required string Id { get; set; }

    public long CreatedAt { get; set; }
}

/// <summary>Where a batch came from.</summary>
public enum BatchOrigin
{
    /// <summary>A vendor's batch file, imported with <c>sxl issuer cards import</c>.</summary>
    Imported = 0,

    /// <summary>Made by <c>sxl issuer cards create</c> (development and tests).</summary>
    Created = 1,

    /// <summary>A single card bought on-chain (one purchase event).</summary>
    Purchased = 2,
}

/// <summary>A batch of cards: what the vendor commits (root, total) and whether its funding was seen.</summary>
public sealed class BatchRow
{
    /// <summary>0x + 64 hex digits.</summary>
    public required string Id { get; set; }

    public required string VendorId { get; set; }

    /// <summary>0x + 64 hex digits.</summary>
    public required string Root { get; set; }

    public long TotalCredits { get; set; }

    public int CardCount { get; set; }

    public BatchOrigin Origin { get; set; }

    public long ImportedAt { get; set; }

    /// <summary>When the issuer saw its funding confirmed (or the import time in development mode).</summary>
    public long? FundedAt { get; set; }
}

/// <summary>A card, known only by its hash. The code itself is never stored.</summary>
public sealed class CardRow
{
    public required byte[] Hash { get; set; }

    public required string VendorId { get; set; }

    public required string BatchId { get; set; }

    /// <summary>The card's value in credits (one credit = one token).</summary>
    public long Credits { get; set; }

    /// <summary>Credits already turned into tokens; never above <see cref="Credits"/>.</summary>
    public long Redeemed { get; set; }

    public bool Funded { get; set; }

    public bool Revoked { get; set; }

    public long CreatedAt { get; set; }

    public long ExpiresAt { get; set; }
}

/// <summary>How far a token key got towards the ledger.</summary>
public enum KeyAnchoring
{
    /// <summary>Development mode: no ledger; windows come from configuration.</summary>
    Local = 0,

    /// <summary>Made and waiting to be anchored on-chain.</summary>
    Pending = 1,

    /// <summary>Its SPKI and windows are on-chain.</summary>
    Anchored = 2,
}

/// <summary>A token key: public part and windows. The private key is a file in the data directory.</summary>
public sealed class TokenKeyRow
{
    /// <summary>SHA-256 of the SPKI, 0x + 64 hex digits.</summary>
    public required string Id { get; set; }

    /// <summary>The DER SubjectPublicKeyInfo with the RSASSA-PSS OID (RFC 9578's token-key).</summary>
    public required byte[] Spki { get; set; }

    public long UsableFrom { get; set; }

    public long IssueUntil { get; set; }

    public long RedeemUntil { get; set; }

    public KeyAnchoring Anchoring { get; set; }

    /// <summary>Tokens issued under this key (debits committed).</summary>
    public long Issued { get; set; }

    /// <summary>The cumulative total last anchored on-chain.</summary>
    public long AnchoredIssued { get; set; }

    public long CreatedAt { get; set; }

    /// <summary>True when the private key file is passphrase-encrypted PKCS#8.</summary>
    public bool Encrypted { get; set; }
}

/// <summary>
/// An idempotency record: what was debited for one request id. It holds hashes and counts only, never a
/// blinded message or a signature (signing is deterministic, so a retry is answered by signing again), and
/// it is purged when the idempotency window ends.
/// </summary>
public sealed class RedemptionRow
{
    public required byte[] RequestId { get; set; }

    public required byte[] CardHash { get; set; }

    /// <summary>SHA-256 over the batch of token requests.</summary>
    public required byte[] BatchDigest { get; set; }

    public required string KeyId { get; set; }

    public int Count { get; set; }

    public long CreatedAt { get; set; }

    public long ExpiresAt { get; set; }
}

/// <summary>One setting of the data directory (its mode, its name), written at first start.</summary>
public sealed class SettingRow
{
    public required string Name { get; set; }

    public required string Value { get; set; }
}
