using Microsoft.Extensions.Logging;

namespace SimpleXLedger.Clearing.Settlement;

/// <summary>
/// The clearing house's settlement duty while serving: on every tick it answers open disputes first (they have
/// a deadline), then closes and anchors every ended epoch, then re-posts frozen epochs whose disputes closed.
/// A failed step is logged and tried again on the next tick; nothing is skipped.
/// </summary>
public sealed class SettlementLoop : IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;

    public SettlementLoop(EpochCloser closer, DisputeAnswerer answerer, TimeSpan interval, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(closer);
        ArgumentNullException.ThrowIfNull(answerer);
        _loop = RunAsync(closer, answerer, interval, logger, _stopping.Token);
    }

    private static async Task RunAsync(EpochCloser closer, DisputeAnswerer answerer, TimeSpan interval, ILogger logger, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            do
            {
                await StepAsync("answering disputes", () => answerer.AnswerOpenDisputesAsync(ct), logger);
                await StepAsync("closing epochs", () => closer.CloseDueAsync(ct), logger);
                await StepAsync("re-posting frozen epochs", () => closer.RepostFrozenAsync(ct), logger);
            }
            while (await timer.WaitForNextTickAsync(ct));
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private static async Task StepAsync<T>(string what, Func<Task<T>> step, ILogger logger)
    {
        try
        {
            await step();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning("settlement: {What} failed: {Error}: {Message}", what, e.GetType().Name, e.Message);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _loop;
        _stopping.Dispose();
    }
}
