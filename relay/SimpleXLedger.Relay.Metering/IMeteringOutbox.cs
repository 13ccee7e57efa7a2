namespace SimpleXLedger.Relay.Metering;

/// <summary>
/// Optional, for a policy that may credit payments on the operator's risk while they cannot be checked (the tokens
/// plugin while the clearing house is unreachable): how many such payments wait in its outbox, against its budget.
/// The relay reads both for its metrics (<c>sxl_relay_outbox_tokens</c>, <c>sxl_relay_risk_budget_tokens</c>).
/// Reads must be cheap and must not block.
/// </summary>
public interface IMeteringOutbox
{
    /// <summary>Payments credited on risk and not yet redeemed.</summary>
    long OutboxTokens { get; }

    /// <summary>The most payments that may wait in the outbox at once.</summary>
    long RiskBudgetTokens { get; }
}
