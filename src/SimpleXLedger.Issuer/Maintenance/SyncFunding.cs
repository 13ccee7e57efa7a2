using Mediator;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using SimpleXLedger.Hosting.Pipeline;
using SimpleXLedger.Issuer.Ledger;
using SimpleXLedger.Issuer.Storage;

namespace SimpleXLedger.Issuer.Maintenance;

/// <summary>
/// With a ledger: activates batches whose on-chain funding matches (same root, same total credits) and registers
/// single cards bought on-chain. A batch whose funding does not match stays inactive and is reported.
/// </summary>
public sealed record SyncFunding : ICommand<SyncFundingResult>;

public sealed record SyncFundingResult(int BatchesActivated, int CardsPurchased) : ILogSummary
{
    public string LogSummary => $"batches={BatchesActivated} purchases={CardsPurchased}";
}

public sealed record ActivateBatch(string BatchId) : ICommand<int>, ITransactional, ILogSummary
{
    public string LogSummary => $"batch={BatchId}";
}

public sealed record RecordPurchases(IReadOnlyList<CardPurchase> Purchases, ulong NextFromBlock) : ICommand<int>, ITransactional, ILogSummary
{
    public const string CursorSetting = "purchases-from-block";

    public string LogSummary => $"purchases={Purchases.Count} next={NextFromBlock}";
}

public sealed class SyncFundingHandler(IMediator mediator, IssuerDbContext db, ILedgerView ledger, ILogger<SyncFundingHandler> logger)
    : ICommandHandler<SyncFunding, SyncFundingResult>
{
    public async ValueTask<SyncFundingResult> Handle(SyncFunding command, CancellationToken cancellationToken)
    {
        if (ledger.IsDevelopment)
        {
            return new SyncFundingResult(0, 0);
        }

        var activated = 0;
        var waiting = await db.Batches.AsNoTracking().Where(b => b.FundedAt == null).ToListAsync(cancellationToken);
        foreach (var batch in waiting)
        {
            var funding = await ledger.GetBatchFundingAsync(batch.Id, cancellationToken);
            if (funding is null)
            {
                continue;
            }

            // The vendor id of a batch for a ledger is the vendor's address; it must be the one that funded it.
            var vendorMatches = !batch.VendorId.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
                || string.Equals(funding.Vendor, batch.VendorId, StringComparison.OrdinalIgnoreCase);
            if (!string.Equals(funding.Root, batch.Root, StringComparison.OrdinalIgnoreCase) || funding.TotalCredits != (ulong)batch.TotalCredits || !vendorMatches)
            {
                logger.LogWarning("batch {BatchId} was funded on-chain with a different root, total or vendor; its cards stay inactive", batch.Id);
                continue;
            }

            if (await mediator.Send(new ActivateBatch(batch.Id), cancellationToken) > 0)
            {
                activated++;
            }
        }

        var cursorText = await db.Settings.AsNoTracking().Where(s => s.Name == RecordPurchases.CursorSetting).Select(s => s.Value).FirstOrDefaultAsync(cancellationToken);
        var cursor = cursorText is null ? 0UL : ulong.Parse(cursorText, System.Globalization.CultureInfo.InvariantCulture);
        var page = await ledger.GetCardPurchasesAsync(cursor, cancellationToken);
        var purchased = page.Purchases.Count == 0 && page.NextFromBlock == cursor
            ? 0
            : await mediator.Send(new RecordPurchases(page.Purchases, page.NextFromBlock), cancellationToken);
        return new SyncFundingResult(activated, purchased);
    }
}

public sealed class ActivateBatchHandler(IssuerDbContext db, TimeProvider time) : ICommandHandler<ActivateBatch, int>
{
    public async ValueTask<int> Handle(ActivateBatch command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var marked = await db.Batches.Where(b => b.Id == command.BatchId && b.FundedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(b => b.FundedAt, now), cancellationToken);
        if (marked == 0)
        {
            return 0;
        }

        return await db.Cards.Where(c => c.BatchId == command.BatchId)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.Funded, true), cancellationToken);
    }
}

public sealed class RecordPurchasesHandler(IssuerDbContext db, IssuerSettings settings, TimeProvider time, ILogger<RecordPurchasesHandler> logger)
    : ICommandHandler<RecordPurchases, int>
{
    public async ValueTask<int> Handle(RecordPurchases command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var added = 0;
        foreach (var purchase in command.Purchases)
        {
            var hash = purchase.Hash.ToArray();
            if (await db.Cards.AnyAsync(c => c.Hash == hash, cancellationToken))
            {
                logger.LogWarning("card {CardHash} bought on-chain is already registered; the purchase is ignored", purchase.Hash);
                continue;
            }

            if (!await db.Vendors.AnyAsync(v => v.Id == purchase.Vendor, cancellationToken) && !db.Vendors.Local.Any(v => v.Id == purchase.Vendor))
            {
                db.Vendors.Add(new VendorRow { Id = purchase.Vendor, CreatedAt = now });
            }

            // A purchase is its own one-card batch, already funded (the purchase event is the funding).
            var batchId = purchase.Hash.ToString();
            db.Batches.Add(new BatchRow
            {
                Id = batchId,
                VendorId = purchase.Vendor,
                Root = "0x" + Convert.ToHexStringLower(SimpleXLedger.Cards.BatchMerkleRoot.Compute([(purchase.Hash, purchase.Credits)])),
                TotalCredits = (long)purchase.Credits,
                CardCount = 1,
                Origin = BatchOrigin.Purchased,
                ImportedAt = now,
                FundedAt = now,
            });
            db.Cards.Add(new CardRow
            {
                Hash = hash,
                VendorId = purchase.Vendor,
                BatchId = batchId,
                Credits = (long)purchase.Credits,
                Funded = true,
                CreatedAt = now,
                ExpiresAt = now + (long)settings.CardValidity.TotalSeconds,
            });
            added++;
        }

        var cursor = await db.Settings.FirstOrDefaultAsync(s => s.Name == RecordPurchases.CursorSetting, cancellationToken);
        var value = command.NextFromBlock.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (cursor is null)
        {
            db.Settings.Add(new SettingRow { Name = RecordPurchases.CursorSetting, Value = value });
        }
        else
        {
            cursor.Value = value;
        }

        return added;
    }
}
