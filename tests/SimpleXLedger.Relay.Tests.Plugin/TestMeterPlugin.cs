using System.Globalization;
using SimpleXLedger.Relay.Metering;

namespace SimpleXLedger.Relay.Tests.Plugin;

/// <summary>
/// A plugin built only by the tests. A new queue gets <c>createCredit</c> units (default 3), each
/// message costs <c>pricePerMessage</c> (default 1). Usage events are appended to <c>usage.log</c> in
/// its data directory. <c>throwIn</c> names a hook that throws (with a fake secret in the message,
/// which must never reach the relay's log), or is <c>hang</c>: sends never get an answer.
/// </summary>
public sealed class TestMeterPlugin : IMeteringPlugin
{
    public const string SecretInException = "SECRET-PAYLOAD-7f3a";

    public string Id => "testmeter";

    public Version Version { get; } = new(0, 9, 1);

    public string Description => "Test-only metering: fixed credit per queue, fixed price per message.";

    public IMeteringPolicy Register(MeteringPluginContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new Policy(
            Number(context, "createCredit", 3),
            Number(context, "pricePerMessage", 1),
            context.Setting("throwIn") ?? string.Empty,
            Path.Combine(context.DataDirectory, "usage.log"));
    }

    private static long Number(MeteringPluginContext context, string key, long fallback) =>
        context.Setting(key) is { } text ? long.Parse(text, CultureInfo.InvariantCulture) : fallback;

    private sealed class Policy(long createCredit, long price, string throwIn, string usageLog) : IMeteringPolicy
    {
        private readonly Lock _gate = new();

        public string BalanceUnit => "test-units";

        public ValueTask<MeteringDecision> AuthorizeCreateAsync(CreateUsage usage, CancellationToken cancellationToken)
        {
            MaybeThrow(nameof(AuthorizeCreateAsync));
            return ValueTask.FromResult(MeteringDecision.Allow(charge: 0, credit: createCredit));
        }

        public async ValueTask<MeteringDecision> AuthorizeSendAsync(SendUsage usage, CancellationToken cancellationToken)
        {
            await Task.Yield();
            MaybeThrow(nameof(AuthorizeSendAsync));
            if (string.Equals(throwIn, "hang", StringComparison.Ordinal))
            {
                await Task.Delay(Timeout.Infinite, CancellationToken.None);
            }

            return MeteringDecision.Allow(charge: price);
        }

        public ValueTask<MeteringDecision> TopUpAsync(TopUpUsage usage, CancellationToken cancellationToken)
        {
            MaybeThrow(nameof(TopUpAsync));
            return ValueTask.FromResult(MeteringDecision.Allow(charge: 0, credit: usage.PaymentToken.Length));
        }

        public MeteringDenial InsufficientBalance() =>
            new(DenialKind.PaymentRequired, "test-units used up", "PrivateToken challenge=\"dGVzdA\", token-key=\"a2V5\"");

        public long ChargeForStorage(StorageUsage usage) => 0;

        public void OnUsage(UsageEvent usage)
        {
            MaybeThrow(nameof(OnUsage));
            lock (_gate)
            {
                File.AppendAllText(usageLog, $"{usage.Kind} {usage.Bytes} {usage.Charged}\n");
            }
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;

        private void MaybeThrow(string hook)
        {
            if (string.Equals(throwIn, hook, StringComparison.Ordinal) || string.Equals(throwIn, "all", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"test plugin fails in {hook}: {SecretInException}");
            }
        }
    }
}
