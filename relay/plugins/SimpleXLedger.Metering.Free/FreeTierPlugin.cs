using System.Globalization;
using SimpleXLedger.Relay.Metering;

namespace SimpleXLedger.Metering.Free;

/// <summary>
/// A free tier, as smp-server's: each new queue gets an allowance of messages (setting
/// <c>allowance</c>, default 10,000); each accepted message uses one; when it is used up senders get
/// a quota error. No payments.
/// </summary>
public sealed class FreeTierPlugin : IMeteringPlugin
{
    public const long DefaultAllowance = 10_000;

    public string Id => "free";

    public Version Version { get; } = new(1, 0, 0);

    public string Description => "A free allowance of messages per queue; no payments.";

    public IMeteringPolicy Register(MeteringPluginContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var allowance = DefaultAllowance;
        if (context.Setting("allowance") is { } text && (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out allowance) || allowance <= 0))
        {
            throw new ArgumentException("the free plugin's 'allowance' setting must be a positive whole number of messages");
        }

        return new Policy(allowance);
    }

    private sealed class Policy(long allowance) : IMeteringPolicy
    {
        private static readonly MeteringDenial UsedUp = new(DenialKind.QuotaExceeded, "the queue's free allowance of messages is used up");
        private static readonly MeteringDenial NoPayments = new(DenialKind.PaymentRefused, "this relay's free tier takes no payments");

        public string BalanceUnit => "messages";

        public ValueTask<MeteringDecision> AuthorizeCreateAsync(CreateUsage usage, CancellationToken cancellationToken) =>
            ValueTask.FromResult(MeteringDecision.Allow(charge: 0, credit: allowance));

        public ValueTask<MeteringDecision> AuthorizeSendAsync(SendUsage usage, CancellationToken cancellationToken) =>
            ValueTask.FromResult(usage.Balance >= 1 ? MeteringDecision.Allow(charge: 1) : MeteringDecision.Deny(UsedUp));

        public ValueTask<MeteringDecision> TopUpAsync(TopUpUsage usage, CancellationToken cancellationToken) => ValueTask.FromResult(MeteringDecision.Deny(NoPayments));

        public MeteringDenial InsufficientBalance() => UsedUp;

        public long ChargeForStorage(StorageUsage usage) => 0;

        public void OnUsage(UsageEvent usage)
        {
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
