using Mediator;
using Microsoft.EntityFrameworkCore;
using SimpleXLedger.Cards;
using SimpleXLedger.Hosting.Pipeline;
using SimpleXLedger.Issuer.Ledger;
using SimpleXLedger.Issuer.Storage;

namespace SimpleXLedger.Issuer.Cards;

/// <summary>
/// Registers a vendor's batch: hashes and values only. In development mode the cards are active at once;
/// with a ledger they wait for the batch's on-chain funding. Duplicate batch ids and card hashes are refused
/// and nothing of the batch is kept.
/// </summary>
public sealed record ImportCards(CardBatch Batch, BatchOrigin Origin = BatchOrigin.Imported)
    : ICommand<ImportCardsResult>, IValidated, ITransactional, ILogSummary
{
    public string LogSummary => $"batch={Batch.BatchIdHex} vendor={Batch.Vendor} cards={Batch.Cards.Count} credits={Batch.TotalCredits}";

    public string? Validate() => Batch is null ? "no batch" : null;
}

public sealed record ImportCardsResult(string BatchId, int Cards, ulong Credits, bool Active) : ILogSummary
{
    public string LogSummary => $"cards={Cards} credits={Credits} active={Active}";
}

/// <summary>A batch that cannot be imported (duplicate, value off the step). Nothing of it was stored.</summary>
public sealed class CardImportException : Exception
{
    public CardImportException()
    {
    }

    public CardImportException(string message)
        : base(message)
    {
    }

    public CardImportException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

public sealed class ImportCardsHandler(IssuerDbContext db, ILedgerView ledger, IssuerSettings settings, TimeProvider time)
    : ICommandHandler<ImportCards, ImportCardsResult>
{
    public async ValueTask<ImportCardsResult> Handle(ImportCards command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var batch = command.Batch;
        var step = settings.DenominationFor(ledger.IsDevelopment);
        if (batch.Cards.Any(c => !Denomination.IsValid(c.Credits, step)))
        {
            throw new CardImportException($"every card's value must be a positive multiple of {step} credits");
        }

        if (batch.Cards.Any(c => c.Credits > long.MaxValue / 2))
        {
            throw new CardImportException("a card's value is out of range");
        }

        if (await db.Batches.AnyAsync(b => b.Id == batch.BatchIdHex, cancellationToken))
        {
            throw new CardImportException($"batch {batch.BatchIdHex} is already imported");
        }

        var hashes = batch.Cards.Select(c => c.Hash.ToArray()).ToList();
        foreach (var chunk in hashes.Chunk(500))
        {
            var known = await db.Cards.AsNoTracking().Where(c => chunk.Contains(c.Hash)).Select(c => c.Hash).FirstOrDefaultAsync(cancellationToken);
            if (known is not null)
            {
                throw new CardImportException($"card hash {CardHash.FromBytes(known)} is already registered");
            }
        }

        var now = time.GetUtcNow().ToUnixTimeSeconds();
        if (!await db.Vendors.AnyAsync(v => v.Id == batch.Vendor, cancellationToken))
        {
            db.Vendors.Add(new VendorRow { Id = batch.Vendor, CreatedAt = now });
        }

        var active = ledger.IsDevelopment;
        db.Batches.Add(new BatchRow
        {
            Id = batch.BatchIdHex,
            VendorId = batch.Vendor,
            Root = batch.RootHex,
            TotalCredits = (long)batch.TotalCredits,
            CardCount = batch.Cards.Count,
            Origin = command.Origin,
            ImportedAt = now,
            FundedAt = active ? now : null,
        });

        var expires = now + (long)settings.CardValidity.TotalSeconds;
        foreach (var card in batch.Cards)
        {
            db.Cards.Add(new CardRow
            {
                Hash = card.Hash.ToArray(),
                VendorId = batch.Vendor,
                BatchId = batch.BatchIdHex,
                Credits = (long)card.Credits,
                Funded = active,
                CreatedAt = now,
                ExpiresAt = expires,
            });
        }

        return new ImportCardsResult(batch.BatchIdHex, batch.Cards.Count, batch.TotalCredits, active);
    }
}
