namespace SimpleXLedger.Clearing.Storage;

/// <summary>A registered operator: its Ed25519 key (authenticates its relays) and its payout address.</summary>
public sealed class OperatorRow
{
    public long Id { get; set; }

    /// <summary>Raw Ed25519 public key, 32 bytes.</summary>
    public required byte[] PublicKey { get; set; }

    /// <summary>Checksummed payout address.</summary>
    public required string Payee { get; set; }

    /// <summary>The payee's EIP-191 signature of the registration text (kept as the proof).</summary>
    public required byte[] PayeeSignature { get; set; }

    /// <summary>Unix seconds (system clock).</summary>
    public long RegisteredAt { get; set; }
}

/// <summary>An epoch's lifecycle: taking redemptions, then closed for redemptions and being settled, then settled.</summary>
public enum EpochState
{
    Open = 0,
    Closing = 1,
    Closed = 2,
}

/// <summary>
/// Consecutive settlement epochs from 1, each a window of block time. Exactly one is <see cref="EpochState.Open"/>;
/// batches are recorded into it. Moving it to Closing (issue 7's close) waits for batches in flight.
/// </summary>
public sealed class EpochRow
{
    public long Number { get; set; }

    /// <summary>Block time (unix seconds), half-open [StartsAt, EndsAt).</summary>
    public long StartsAt { get; set; }

    public long EndsAt { get; set; }

    public EpochState State { get; set; }
}

/// <summary>A payee's running count of accepted tokens in one epoch: what its receipts' acceptedInEpoch says.</summary>
public sealed class PayeeEpochRow
{
    public required string Payee { get; set; }

    public long Epoch { get; set; }

    public long Accepted { get; set; }
}

/// <summary>
/// A token key seen by the clearing house: a short number for the spent-set's primary key, and the number of
/// tokens accepted under it (never above what the issuer anchored as issued: proof of liabilities).
/// </summary>
public sealed class TokenKeyRow
{
    public int Id { get; set; }

    /// <summary>token_key_id = SHA-256(SPKI), 32 bytes.</summary>
    public required byte[] KeyId { get; set; }

    public long Accepted { get; set; }

    /// <summary>Block time after which the key's tokens are refused and its spent rows can be dropped.</summary>
    public long RedeemUntil { get; set; }

    /// <summary>True once the spent rows were dropped (after redeemUntil).</summary>
    public bool Purged { get; set; }
}

/// <summary>
/// One spent token: its key (number) and nonce, and the batch that spent it. Nothing about queues, users or
/// cards. The primary key (key, nonce) is the spent-set's one index; rows of a key go after its redeemUntil.
/// </summary>
public sealed class SpentTokenRow
{
    public int KeyNo { get; set; }

    /// <summary>The token's 32-byte nonce.</summary>
    public required byte[] Nonce { get; set; }

    public long BatchSeq { get; set; }
}

/// <summary>A recorded batch: its idempotency fingerprint, outcomes and receipt fields (the signature is recomputed, deterministically).</summary>
public sealed class BatchRow
{
    public long Seq { get; set; }

    /// <summary>The relay's 32-byte batch id (the receipt's batchId).</summary>
    public required byte[] BatchId { get; set; }

    public long OperatorId { get; set; }

    /// <summary>The 16-byte id of the relay that sent the batch.</summary>
    public required byte[] RedeemerId { get; set; }

    /// <summary>SHA-256 of the batch's tokens (see ClearingProtocol.TokensDigest): a retry must match it.</summary>
    public required byte[] TokensDigest { get; set; }

    public required string Payee { get; set; }

    public long Epoch { get; set; }

    public int TokenCount { get; set; }

    public int Accepted { get; set; }

    /// <summary>The payee's running count in the epoch after this batch (the receipt's acceptedInEpoch).</summary>
    public long AcceptedInEpoch { get; set; }

    /// <summary>One TokenOutcome byte per token, in order.</summary>
    public required byte[] Outcomes { get; set; }

    /// <summary>Unix seconds of block time when recorded.</summary>
    public long RecordedAt { get; set; }
}
