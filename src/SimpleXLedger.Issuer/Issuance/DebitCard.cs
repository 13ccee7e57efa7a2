using System.Security.Cryptography;
using Mediator;
using Microsoft.EntityFrameworkCore;
using SimpleXLedger.Cards;
using SimpleXLedger.Hosting.Pipeline;
using SimpleXLedger.Issuer.Cards;
using SimpleXLedger.Issuer.Keys;
using SimpleXLedger.Issuer.Ledger;
using SimpleXLedger.Issuer.Storage;

namespace SimpleXLedger.Issuer.Issuance;

/// <summary>
/// The transactional step of a redemption: answer a known request id from its record, or debit the card by the
/// number of requests and record the request id, in one transaction. Signing happens after the commit
/// (<see cref="RedeemGiftCardHandler"/>), so the write lock is never held during RSA work.
/// </summary>
public sealed record DebitCard(CardHash Card, byte[] RequestId, byte[] BatchDigest, int Count, byte TruncatedKeyId)
    : ICommand<DebitOutcome>, ITransactional, ILogSummary
{
    public string LogSummary => $"card={Card} request={Convert.ToHexStringLower(RequestId)} count={Count}";
}

public sealed record DebitOutcome(RedeemStatus Status, string? KeyId, long Remaining) : ILogSummary
{
    public string LogSummary => $"status={Status} key={KeyId} remaining={Remaining}";
}

public sealed class DebitCardHandler(IssuerDbContext db, ILedgerView ledger, IssuerSettings settings, TimeProvider time)
    : ICommandHandler<DebitCard, DebitOutcome>
{
    public async ValueTask<DebitOutcome> Handle(DebitCard command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var hash = command.Card.ToArray();

        var earlier = await db.Redemptions.AsNoTracking().FirstOrDefaultAsync(r => r.RequestId == command.RequestId, cancellationToken);
        if (earlier is not null)
        {
            var same = CryptographicOperations.FixedTimeEquals(earlier.CardHash, hash)
                && CryptographicOperations.FixedTimeEquals(earlier.BatchDigest, command.BatchDigest)
                && earlier.Count == command.Count;
            if (!same)
            {
                return new DebitOutcome(RedeemStatus.RequestIdReused, null, 0);
            }

            var left = await db.Cards.AsNoTracking().Where(c => c.Hash == hash).Select(c => c.Credits - c.Redeemed).FirstOrDefaultAsync(cancellationToken);
            return new DebitOutcome(RedeemStatus.Replayed, earlier.KeyId, left);
        }

        var now = await ledger.LatestBlockTimeAsync(cancellationToken);
        var keys = await db.TokenKeys.AsNoTracking().ToListAsync(cancellationToken);
        var issuing = KeySchedule.IssuingAt(keys, now, ledger.IsDevelopment);
        if (issuing is null)
        {
            return new DebitOutcome(RedeemStatus.NoIssuingKey, null, 0);
        }

        if (Convert.ToByte(issuing.Id[^2..], 16) != command.TruncatedKeyId)
        {
            return new DebitOutcome(RedeemStatus.WrongKey, null, 0);
        }

        var card = await db.Cards.AsNoTracking().FirstOrDefaultAsync(c => c.Hash == hash, cancellationToken);
        if (card is null)
        {
            return new DebitOutcome(RedeemStatus.UnknownCard, null, 0);
        }

        var remaining = card.Credits - card.Redeemed;
        var state = CardStates.Of(card, now);
        var refusal = state switch
        {
            CardState.AwaitingFunding => RedeemStatus.Unfunded,
            CardState.Revoked => RedeemStatus.Revoked,
            CardState.Spent => RedeemStatus.Spent,
            CardState.Expired => RedeemStatus.Expired,
            _ when remaining < command.Count => RedeemStatus.InsufficientCredits,
            _ => (RedeemStatus?)null,
        };
        if (refusal is not null)
        {
            return new DebitOutcome(refusal.Value, null, remaining);
        }

        // The debit itself: one conditional statement, so even a second writer could never take the card below zero.
        var n = command.Count;
        var debited = await db.Cards
            .Where(c => c.Hash == hash && c.Funded && !c.Revoked && c.Credits - c.Redeemed >= n)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.Redeemed, c => c.Redeemed + n), cancellationToken);
        if (debited != 1)
        {
            return new DebitOutcome(RedeemStatus.InsufficientCredits, null, remaining);
        }

        await db.TokenKeys.Where(k => k.Id == issuing.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(k => k.Issued, k => k.Issued + n), cancellationToken);

        // The record answers a wallet that resumes after a crash without a second debit. A wallet may come back
        // late (offline for days), and a replay can be signed for as long as the key still issues: keep it until
        // the key's issuing window has ended plus the idempotency window, not merely a day. Its time is kept to
        // the day only: the exact moment of a redemption is timing evidence nobody needs.
        var wallNow = time.GetUtcNow().ToUnixTimeSeconds();
        var window = (long)settings.IdempotencyWindow.TotalSeconds;
        db.Redemptions.Add(new RedemptionRow
        {
            RequestId = command.RequestId,
            CardHash = hash,
            BatchDigest = command.BatchDigest,
            KeyId = issuing.Id,
            Count = n,
            CreatedAt = wallNow - (wallNow % 86_400),
            ExpiresAt = Math.Max(wallNow, issuing.IssueUntil) + window,
        });

        return new DebitOutcome(RedeemStatus.Issued, issuing.Id, remaining - n);
    }
}
