using Mediator;
using Microsoft.Extensions.DependencyInjection;

namespace SimpleXLedger.Clearing.Epochs;

/// <summary>
/// Knows the open epoch without a database read on every batch: it advances the epochs (in the database)
/// only when the registry's time has passed the cached end, or when nothing is cached yet.
/// </summary>
public sealed class EpochSchedule(IServiceScopeFactory scopes)
{
    private OpenEpoch? _open;

    public OpenEpoch? Current => Volatile.Read(ref _open);

    public async ValueTask<OpenEpoch> EnsureOpenAsync(ulong now, CancellationToken cancellationToken)
    {
        if (Current is { } open && now < open.EndsAt)
        {
            return open;
        }

        await using var scope = scopes.CreateAsyncScope();
        var advanced = await scope.ServiceProvider.GetRequiredService<IMediator>().Send(new AdvanceEpochs(now), cancellationToken);
        Volatile.Write(ref _open, advanced);
        return advanced;
    }
}
