using System.Text.Json.Serialization;

namespace SimpleXLedger.Wallet.Storage;

/// <summary>Where a card is in its life in this wallet.</summary>
public enum CardState
{
    /// <summary>Bought on-chain by this wallet; the purchase is not confirmed yet.</summary>
    Purchasing,

    /// <summary>Known to the wallet; the issuer has not activated it yet (funding not seen).</summary>
    AwaitingActivation,

    /// <summary>Being turned into tokens (batches in flight or still to come).</summary>
    Redeeming,

    /// <summary>Every full batch was turned into tokens; the code is forgotten.</summary>
    Redeemed,
}

/// <summary>Why a top-up was scheduled.</summary>
public enum TopUpReason
{
    /// <summary>A relay answered "payment required" for the queue.</summary>
    PaymentRequired,

    /// <summary>The queue's known credit fell below the policy's threshold.</summary>
    LowCredit,

    /// <summary>Asked for explicitly (by a user or a simulation).</summary>
    Requested,
}

/// <summary>A queue's life in this wallet.</summary>
public enum QueueState
{
    /// <summary>Keys made and stored; the relay has not confirmed the queue yet.</summary>
    Creating,

    Active,

    /// <summary>The relay no longer knows the queue (deleted or expired).</summary>
    Gone,
}

/// <summary>Every record the wallet stores has a kind and an id (hex of 16 random bytes unless said otherwise).</summary>
internal interface IWalletRecord
{
    static abstract string Kind { get; }

    string Id { get; }
}

/// <summary>A gift card. <see cref="Code"/> is kept only until the card is fully redeemed.</summary>
internal sealed record CardRecord : IWalletRecord
{
    public static string Kind => "card";

    public required string Id { get; init; }

    public string? Code { get; init; }

    /// <summary>The card hash, 0x-hex (what the issuer and the chain know it by).</summary>
    public required string Hash { get; init; }

    /// <summary>The card's value as the issuer or the purchase said (0 while unknown).</summary>
    public long Credits { get; init; }

    /// <summary>Credits left on the card at the issuer, as last reported.</summary>
    public long Remaining { get; init; }

    /// <summary>Tokens this wallet received from the card.</summary>
    public long Redeemed { get; init; }

    public CardState State { get; init; }

    public long AddedAt { get; init; }

    public string? PurchaseTransaction { get; init; }

    public override string ToString() => $"Card({Hash[..Math.Min(10, Hash.Length)]}…, {State})";
}

/// <summary>
/// One redemption batch, stored (with its secret request states) before it is sent: a crash or retry resends the
/// same request id and the same requests, which the issuer answers without a second debit.
/// </summary>
internal sealed record BatchRecord : IWalletRecord
{
    public static string Kind => "batch";

    public required string Id { get; init; }

    public required string CardId { get; init; }

    public required byte[] RequestId { get; init; }

    /// <summary>The issuer key the requests were blinded for (SPKI).</summary>
    public required byte[] KeySpki { get; init; }

    public long RedeemUntil { get; init; }

    /// <summary>TokenRequestState exports (secret: each links a request to its token).</summary>
    public required IReadOnlyList<byte[]> States { get; init; }

    public long CreatedAt { get; init; }

    public override string ToString() => $"Batch({States.Count})";
}

/// <summary>A spendable token (secret) and, while a payment is in flight, what it is reserved for.</summary>
internal sealed record TokenRecord : IWalletRecord
{
    public static string Kind => "token";

    public required string Id { get; init; }

    public required byte[] Token { get; init; }

    /// <summary>The issuer key id (hex): public.</summary>
    public required string KeyId { get; init; }

    /// <summary>Unix seconds until which relays accept it (0: unknown).</summary>
    public long RedeemUntil { get; init; }

    public long AddedAt { get; init; }

    /// <summary>The top-up (or queue creation) this token is promised to, or null when available.</summary>
    public string? ReservedFor { get; init; }

    /// <summary>
    /// How many times a relay has seen this token and refused it without spending it. A token once shown is only ever
    /// shown again in the same context (the same queue at the same relay) and never returns to the pool: shown at a
    /// second queue or relay, its nonce would link the two.
    /// </summary>
    public int RefusedShowings { get; init; }

    public override string ToString() => ReservedFor is null ? "Token(available)" : "Token(reserved)";
}

/// <summary>A queue this wallet owns (it holds the recipient key) and the sender key it made for its contacts.</summary>
internal sealed record QueueRecord : IWalletRecord
{
    public static string Kind => "queue";

    public required string Id { get; init; }

    public required string Name { get; init; }

    public required string Relay { get; init; }

    public byte[]? RecipientId { get; init; }

    public byte[]? SenderId { get; init; }

    public required byte[] RecipientKey { get; init; }

    public required byte[] SenderKey { get; init; }

    public QueueState State { get; init; }

    /// <summary>The relay's metering plugin when the queue was made (<c>tokens</c> for a relay paid with tokens).</summary>
    public string Metering { get; init; } = string.Empty;

    /// <summary>The credit the relay last reported, in <see cref="BalanceUnit"/>.</summary>
    public long Balance { get; init; }

    public string BalanceUnit { get; init; } = string.Empty;

    public long BalanceAt { get; init; }

    public long CreatedAt { get; init; }

    public override string ToString() => $"Queue({Name}, {State})";
}

/// <summary>A scheduled top-up of one queue: due at a random time; once it runs, the tokens it reserved.</summary>
internal sealed record TopUpRecord : IWalletRecord
{
    public static string Kind => "topup";

    public required string Id { get; init; }

    public required string QueueId { get; init; }

    public TopUpReason Reason { get; init; }

    /// <summary>Unix milliseconds.</summary>
    public long DueAt { get; init; }

    public IReadOnlyList<string> Reserved { get; init; } = [];

    public int Attempts { get; init; }

    public long CreatedAt { get; init; }
}

/// <summary>A spent token's keyed fingerprint (HMAC under the wallet's own key): a restore never brings it back.</summary>
internal sealed record SpentRecord : IWalletRecord
{
    public static string Kind => "spent";

    public required string Id { get; init; }
}

/// <summary>Totals and the wallet's own settings (one record).</summary>
internal sealed record SettingsRecord : IWalletRecord
{
    public const string SingletonId = "00000000000000000000000000000000";

    public static string Kind => "settings";

    public string Id { get; init; } = SingletonId;

    /// <summary>Unused since spent tokens are marked by their record ids (WalletState.SpentMark); still written so files stay readable by earlier builds.</summary>
    public required byte[] FingerprintKey { get; init; }

    /// <summary>The issuer name this wallet redeemed under first (pinned: a change is refused).</summary>
    public string? IssuerName { get; init; }

    /// <summary>The spending policy, as text (<see cref="Spending.SpendingPolicy.ToText"/>); null for the default.</summary>
    public string? Spending { get; init; }

    /// <summary>Where the CLI reaches the network (<c>sxl wallet</c> remembers the options it was last given).</summary>
    public WalletProfile Profile { get; init; } = new();

    public long TokensRedeemed { get; init; }

    public long TokensSpent { get; init; }

    /// <summary>Tokens a relay refused as already spent when this wallet paid with them (lost to a crash or a restore).</summary>
    public long TokensLost { get; init; }

    /// <summary>Tokens taken out of the wallet by their owner (<see cref="UserWallet.WithdrawTokens"/>).</summary>
    public long TokensWithdrawn { get; init; }

    /// <summary>
    /// Tokens a relay saw and refused (not as spent) where they could not be shown again in the same context: dropped,
    /// so that no nonce is ever shown to two queues or relays.
    /// </summary>
    public long TokensDropped { get; init; }

    public long TopUpsDone { get; init; }

    public long QueuesCreated { get; init; }
}

/// <summary>The network endpoints the CLI last used, so later commands need not repeat them.</summary>
public sealed record WalletProfile
{
    public string? IssuerGrpc { get; init; }

    public string? IssuerDirectory { get; init; }

    public string? IssuerFingerprint { get; init; }

    public string? Rpc { get; init; }

    public string? Ledger { get; init; }

    /// <summary>Development only: take the issuer's key from its directory (no chain).</summary>
    public bool TrustDirectory { get; init; }
}

[JsonSourceGenerationOptions(UseStringEnumConverter = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CardRecord))]
[JsonSerializable(typeof(BatchRecord))]
[JsonSerializable(typeof(TokenRecord))]
[JsonSerializable(typeof(QueueRecord))]
[JsonSerializable(typeof(TopUpRecord))]
[JsonSerializable(typeof(SpentRecord))]
[JsonSerializable(typeof(SettingsRecord))]
internal sealed partial class WalletJson : JsonSerializerContext;
