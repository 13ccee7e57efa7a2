using SimpleXLedger.Hosting.Pipeline;

namespace SimpleXLedger.Issuer.Issuance;

/// <summary>How a redemption ended. Everything but <see cref="Issued"/> and <see cref="Replayed"/> changed nothing.</summary>
public enum RedeemStatus
{
    /// <summary>Debited and signed.</summary>
    Issued,

    /// <summary>A retry of a request id already debited: signed again (same signatures), no second debit.</summary>
    Replayed,

    UnknownCard,
    Unfunded,
    Spent,
    InsufficientCredits,
    Revoked,
    Expired,

    /// <summary>The request id was used before for a different card or a different batch of requests.</summary>
    RequestIdReused,

    /// <summary>No key issues right now (between windows, or none anchored yet).</summary>
    NoIssuingKey,

    /// <summary>A TokenRequest names a key (truncated id) that is not the issuing key.</summary>
    WrongKey,

    /// <summary>A TokenRequest is not token type 2 or has the wrong size.</summary>
    BadTokenRequest,

    /// <summary>More requests than the configured maximum, or none.</summary>
    BadBatchSize,
}

public sealed record RedeemOutcome(RedeemStatus Status, IReadOnlyList<byte[]> Responses, long RemainingCredits, string? KeyId) : ILogSummary
{
    public bool Succeeded => Status is RedeemStatus.Issued or RedeemStatus.Replayed;

    public string LogSummary => $"status={Status} tokens={Responses.Count} key={KeyId}";

    public static RedeemOutcome Failed(RedeemStatus status, long remaining = 0) => new(status, [], remaining, null);

    /// <summary>A short reason for a person or a client, naming no secret.</summary>
    public static string Reason(RedeemStatus status) => status switch
    {
        RedeemStatus.UnknownCard => "unknown card",
        RedeemStatus.Unfunded => "card not funded yet",
        RedeemStatus.Spent => "card spent",
        RedeemStatus.InsufficientCredits => "not enough credits left on the card",
        RedeemStatus.Revoked => "card revoked",
        RedeemStatus.Expired => "card expired",
        RedeemStatus.RequestIdReused => "request id already used for a different request",
        RedeemStatus.NoIssuingKey => "no key issues right now",
        RedeemStatus.WrongKey => "token request is not for the issuing key",
        RedeemStatus.BadTokenRequest => "token request is not a token type 2 request of the right size",
        RedeemStatus.BadBatchSize => "wrong number of token requests",
        _ => status.ToString(),
    };
}
