using SimpleXLedger.Relay.Metering;

namespace SimpleXLedger.Metering.None;

/// <summary>No metering: every queue and message is accepted free of charge; payments are refused.</summary>
public sealed class NoMeteringPlugin : IMeteringPlugin
{
    public string Id => "none";

    public Version Version { get; } = new(1, 0, 0);

    public string Description => "No metering: everything is free; the relay takes no payments.";

    public IMeteringPolicy Register(MeteringPluginContext context) => new Policy();

    private sealed class Policy : IMeteringPolicy
    {
        private static readonly MeteringDenial NoPayments = new(DenialKind.PaymentRefused, "this relay takes no payments (metering: none)");

        public string BalanceUnit => "none";

        public ValueTask<MeteringDecision> AuthorizeCreateAsync(CreateUsage usage, CancellationToken cancellationToken) => ValueTask.FromResult(MeteringDecision.Free());

        public ValueTask<MeteringDecision> AuthorizeSendAsync(SendUsage usage, CancellationToken cancellationToken) => ValueTask.FromResult(MeteringDecision.Free());

        public ValueTask<MeteringDecision> TopUpAsync(TopUpUsage usage, CancellationToken cancellationToken) => ValueTask.FromResult(MeteringDecision.Deny(NoPayments));

        public MeteringDenial InsufficientBalance() => NoPayments;

        public long ChargeForStorage(StorageUsage usage) => 0;

        public void OnUsage(UsageEvent usage)
        {
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
