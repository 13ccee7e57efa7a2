using SimpleXLedger.Issuer.Storage;

namespace SimpleXLedger.Issuer.Cards;

/// <summary>A card's state as people talk about it.</summary>
public enum CardState
{
    AwaitingFunding,
    Active,
    PartlyRedeemed,
    Spent,
    Revoked,
    Expired,
}

public static class CardStates
{
    public static CardState Of(CardRow card, long now)
    {
        ArgumentNullException.ThrowIfNull(card);
        if (card.Revoked)
        {
            return CardState.Revoked;
        }

        if (!card.Funded)
        {
            return CardState.AwaitingFunding;
        }

        if (card.Redeemed >= card.Credits)
        {
            return CardState.Spent;
        }

        if (now >= card.ExpiresAt)
        {
            return CardState.Expired;
        }

        return card.Redeemed == 0 ? CardState.Active : CardState.PartlyRedeemed;
    }
}
