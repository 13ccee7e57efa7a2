using Mediator;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using SimpleXLedger.Hosting.Pipeline;
using SimpleXLedger.Issuer.Ledger;
using SimpleXLedger.Issuer.Storage;

namespace SimpleXLedger.Issuer.Maintenance;

/// <summary>Once per epoch (never on demand), with a ledger: anchors the cumulative tokens issued under each key that issued more.</summary>
public sealed record AnchorIssued : ICommand<int>;

public sealed record RecordAnchoredIssued(string KeyId, long Cumulative) : ICommand<bool>, ITransactional, ILogSummary
{
    public string LogSummary => $"key={KeyId} cumulative={Cumulative}";
}

public sealed class AnchorIssuedHandler(IMediator mediator, IssuerDbContext db, ILedgerView ledger, IServiceProvider services, ILogger<AnchorIssuedHandler> logger)
    : ICommandHandler<AnchorIssued, int>
{
    public async ValueTask<int> Handle(AnchorIssued command, CancellationToken cancellationToken)
    {
        if (ledger.IsDevelopment || services.GetService(typeof(ILedgerWriter)) is not ILedgerWriter writer)
        {
            return 0;
        }

        var keys = await db.TokenKeys.AsNoTracking()
            .Where(k => k.Anchoring == KeyAnchoring.Anchored && k.Issued > k.AnchoredIssued)
            .ToListAsync(cancellationToken);
        foreach (var key in keys)
        {
            await writer.AnchorIssuedAsync(key.Id, (ulong)key.Issued, cancellationToken);
            await mediator.Send(new RecordAnchoredIssued(key.Id, key.Issued), cancellationToken);
            logger.LogInformation("issued total of key {KeyId} anchored: {Cumulative}", key.Id, key.Issued);
        }

        return keys.Count;
    }
}

public sealed class RecordAnchoredIssuedHandler(IssuerDbContext db) : ICommandHandler<RecordAnchoredIssued, bool>
{
    public async ValueTask<bool> Handle(RecordAnchoredIssued command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        return await db.TokenKeys.Where(k => k.Id == command.KeyId && k.AnchoredIssued < command.Cumulative)
            .ExecuteUpdateAsync(s => s.SetProperty(k => k.AnchoredIssued, command.Cumulative), cancellationToken) == 1;
    }
}
