using Mediator;
using Microsoft.EntityFrameworkCore;
using SimpleXLedger.Cards;
using SimpleXLedger.Issuer.Storage;

namespace SimpleXLedger.Issuer.Cards;

/// <summary>What the holder of a card code may know about it: state, value, credits left, expiry.</summary>
public sealed record GetCardInfo(CardHash Card) : IQuery<CardInfo?>;

public sealed record CardInfo(CardState State, long Credits, long Remaining, long ExpiresAt);

public sealed class GetCardInfoHandler(IssuerDbContext db, TimeProvider time) : IQueryHandler<GetCardInfo, CardInfo?>
{
    public async ValueTask<CardInfo?> Handle(GetCardInfo query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var hash = query.Card.ToArray();
        var card = await db.Cards.AsNoTracking().FirstOrDefaultAsync(c => c.Hash == hash, cancellationToken);
        return card is null
            ? null
            : new CardInfo(CardStates.Of(card, time.GetUtcNow().ToUnixTimeSeconds()), card.Credits, card.Credits - card.Redeemed, card.ExpiresAt);
    }
}
