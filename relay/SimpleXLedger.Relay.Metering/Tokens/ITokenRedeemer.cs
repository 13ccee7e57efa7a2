namespace SimpleXLedger.Relay.Metering.Tokens;

/// <summary>
/// Redeems tokens the relay has verified offline, network-wide (the clearing house): the first
/// redemption of a token wins. Only an <see cref="RedemptionOutcome.Accepted"/> token credits a queue;
/// <see cref="RedemptionOutcome.RetryLater"/> is the one refusal that is not final.
/// Implementations must be idempotent per relay operator: redeeming again a token this operator
/// already had accepted answers <see cref="RedemptionOutcome.Accepted"/> again, so a relay that
/// crashed between redeeming and crediting can retry. When the redeemer cannot be reached it throws
/// <see cref="RedeemerUnavailableException"/>; the relay may then credit within its risk budget and
/// keep the token in its outbox to redeem later.
/// </summary>
public interface ITokenRedeemer
{
    /// <summary>Redeems a batch; the answer has one outcome per token, in order.</summary>
    ValueTask<IReadOnlyList<RedemptionOutcome>> RedeemAsync(IReadOnlyList<ReadOnlyMemory<byte>> tokens, CancellationToken cancellationToken);
}

public enum RedemptionOutcome
{
    /// <summary>Recorded as spent by this operator: credit the queue.</summary>
    Accepted,

    /// <summary>Already spent (elsewhere): refuse.</summary>
    AlreadySpent,

    /// <summary>Refused for another reason (unknown or expired key, over the issued total, bad signature): final.</summary>
    Refused,

    /// <summary>
    /// Not accepted now, but it may be later: nothing was recorded (the clearing house's issuer has not yet anchored the
    /// token as issued; it anchors once per period). Credit nothing, and do not treat the token as spent: the wallet
    /// may pay with it again later, here or elsewhere; a token from the outbox stays there and is retried.
    /// </summary>
    RetryLater,
}

/// <summary>The redeemer could not be reached or did not answer in time; nothing is known about the tokens.</summary>
public sealed class RedeemerUnavailableException : Exception
{
    public RedeemerUnavailableException()
    {
    }

    public RedeemerUnavailableException(string message)
        : base(message)
    {
    }

    public RedeemerUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
