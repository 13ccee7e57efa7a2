namespace SimpleXLedger.Relay.Metering;

/// <summary>
/// The active metering policy. The relay asks it before accepting work (create, send, top-up) and
/// tells it what was used. It never sees a queue id: each queue's balance is kept by the relay, in
/// the plugin's own unit, and changed only by the charges and credits the policy's decisions carry,
/// in the same durable transaction as the work itself.
/// Each call is isolated: an exception is caught and logged (type only), and the relay then fails
/// open or closed as configured.
/// </summary>
public interface IMeteringPolicy : IAsyncDisposable
{
    /// <summary>Name of the balance unit shown in queue info ("microcredits", "messages", …).</summary>
    string BalanceUnit { get; }

    ValueTask<MeteringDecision> AuthorizeCreateAsync(CreateUsage usage, CancellationToken cancellationToken);

    ValueTask<MeteringDecision> AuthorizeSendAsync(SendUsage usage, CancellationToken cancellationToken);

    /// <summary>A recipient adds a payment (a token) to a queue's balance.</summary>
    ValueTask<MeteringDecision> TopUpAsync(TopUpUsage usage, CancellationToken cancellationToken);

    /// <summary>The refusal to return when an allowed send finds the balance short of its charge.</summary>
    MeteringDenial InsufficientBalance();

    /// <summary>The charge for storing <see cref="StorageUsage.Bytes"/> for <see cref="StorageUsage.Duration"/>; the relay takes at most the balance.</summary>
    long ChargeForStorage(StorageUsage usage);

    /// <summary>Usage that already happened (after it was made durable). Must be cheap; must not block.</summary>
    void OnUsage(UsageEvent usage);
}
