using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using SimpleXLedger.Cards;
using SimpleXLedger.Net.Crash;
using SimpleXLedger.Tokens;
using SimpleXLedger.Wallet.Issuance;
using SimpleXLedger.Wallet.Storage;
using Proto = SimpleXLedger.Protos.Issuer;

namespace SimpleXLedger.Wallet;

/// <summary>Cards into tokens: key consistency first, then fixed batches whose request states are stored before they are sent.</summary>
public sealed partial class UserWallet
{
    /// <summary>Crash-test label: the batch (request id and secret request states) is stored, nothing sent yet.</summary>
    public const string CrashBeforeSend = "wallet.redeem.before-send";

    /// <summary>Crash-test label: the issuer answered (and debited the card); the tokens are not stored yet.</summary>
    public const string CrashAfterResponse = "wallet.redeem.after-response";

    /// <summary>
    /// Adds a card and (with a prefetching policy) redeems it whole, in fixed batches. The issuer's key must be the
    /// registry's current issuing key (<see cref="IssuerSession.VerifyAsync"/>); otherwise nothing is sent or stored.
    /// A crash or a network failure leaves the batch in flight stored: <see cref="ResumeAsync"/> (or redeeming the
    /// same card again) resends it under the same request id, and the issuer does not debit twice.
    /// </summary>
    public async Task<RedemptionResult> RedeemCardAsync(string cardCode, IssuerSession issuer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        if (!CardCode.TryParse(cardCode, out var code, out var codeError))
        {
            throw new WalletException(WalletError.InvalidInput, CardCodeFormatException.Describe(codeError));
        }

        var verified = await VerifyIssuerAsync(issuer, cancellationToken);
        var hash = code.ComputeHash().ToString();
        var cardId = Mutate((s, c) =>
        {
            var existing = s.Cards.Values.FirstOrDefault(x => x.Hash == hash);
            if (existing is not null)
            {
                return existing.Id;
            }

            var card = new CardRecord { Id = WalletChanges.NewId(), Code = code.Reveal(), Hash = hash, State = CardState.Redeeming, AddedAt = NowSeconds };
            c.Put(card);
            return card.Id;
        });
        Logger.LogInformation("card added; redeeming");
        return await RedeemStoredCardAsync(cardId, issuer, verified, Policy.PrefetchTokens ? long.MaxValue : 0, cancellationToken);
    }

    /// <summary>
    /// Finishes whatever redemption is outstanding: batches in flight (same request ids), and cards still holding
    /// credits (a prefetching policy redeems them now; cards awaiting activation are asked about again).
    /// </summary>
    public async Task<RedemptionResult> ResumeAsync(IssuerSession issuer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        var cards = Read(s => s.Cards.Values
            .Where(c => c.Code is not null && c.State is CardState.Redeeming or CardState.AwaitingActivation or CardState.Purchasing || s.Batches.Values.Any(b => b.CardId == c.Id))
            .OrderBy(c => c.AddedAt)
            .Select(c => c.Id)
            .ToList());
        if (cards.Count == 0)
        {
            return new RedemptionResult(0, 0, 0, 0, false);
        }

        var verified = await VerifyIssuerAsync(issuer, cancellationToken);
        var total = new RedemptionResult(0, 0, 0, 0, false);
        foreach (var id in cards)
        {
            try
            {
                total = total.Plus(await RedeemStoredCardAsync(id, issuer, verified, Policy.PrefetchTokens ? long.MaxValue : 0, cancellationToken));
            }
            catch (WalletException e) when (e.Error == WalletError.CardNotActive)
            {
                total = total.Plus(new RedemptionResult(0, 0, 0, 0, false, 1));
            }
        }

        return total;
    }

    /// <summary>The key-consistency check, plus the wallet's pin on the issuer's name.</summary>
    internal async Task<VerifiedIssuer> VerifyIssuerAsync(IssuerSession issuer, CancellationToken cancellationToken)
    {
        var verified = await issuer.VerifyAsync(cancellationToken);
        if (verified.MaxBatch < Policy.RedeemBatch)
        {
            throw new IssuerRefusedException(Grpc.Core.StatusCode.OK, "BatchTooLarge", $"the issuer takes at most {verified.MaxBatch} token requests at once; this wallet redeems in batches of {Policy.RedeemBatch}");
        }

        Mutate((s, c) =>
        {
            if (s.Settings.IssuerName is null)
            {
                c.Put(s.Settings with { IssuerName = verified.Name });
            }
            else if (s.Settings.IssuerName != verified.Name)
            {
                throw new KeyConsistencyException(KeyConsistencyFailure.IssuerNameChanged, "the issuer's name is not the one this wallet redeemed under before; refusing");
            }
        });
        return verified;
    }

    /// <summary>Fetches <paramref name="count"/> tokens now from a stored card (policies that do not prefetch).</summary>
    internal async Task<int> FetchJustInTimeAsync(int count, CancellationToken cancellationToken)
    {
        var issuer = Options.Issuer ?? throw new WalletException(WalletError.InsufficientTokens, "no tokens left, and no issuer to fetch more from");
        var cardId = Read(s => s.Cards.Values.Where(c => c.Code is not null && c.State == CardState.Redeeming).OrderBy(c => c.AddedAt).Select(c => c.Id).FirstOrDefault())
            ?? throw new WalletException(WalletError.InsufficientTokens, "no tokens left and no card with credits to fetch more from");
        var verified = await VerifyIssuerAsync(issuer, cancellationToken);
        var result = await RedeemStoredCardAsync(cardId, issuer, verified, count, cancellationToken);
        return result.TokensAdded;
    }

    /// <summary>Redeems up to <paramref name="limit"/> tokens from a stored card (0: only learn its credits and resume batches).</summary>
    private async Task<RedemptionResult> RedeemStoredCardAsync(string cardId, IssuerSession issuer, VerifiedIssuer verified, long limit, CancellationToken cancellationToken)
    {
        var added = 0;
        var batches = 0;
        var replayed = 0;

        // Batches in flight first: the same request id and requests, so the issuer answers without a second debit.
        foreach (var pending in Read(s => s.Batches.Values.Where(b => b.CardId == cardId).OrderBy(b => b.CreatedAt).ToList()))
        {
            var (n, wasReplay, _) = await SendBatchAsync(pending, issuer, cancellationToken);
            added += n;
            batches++;
            replayed += wasReplay ? 1 : 0;
        }

        var card = Read(s => s.Cards.GetValueOrDefault(cardId));
        if (card?.Code is null)
        {
            return new RedemptionResult(added, batches, replayed, card?.Remaining ?? 0, false);
        }

        var info = await issuer.GetCardAsync(card.Code, cancellationToken);
        if (info is null && card.State is CardState.AwaitingActivation or CardState.Purchasing)
        {
            throw new WalletException(WalletError.CardNotActive, "the issuer does not know the bought card yet (it has not seen the purchase on-chain); try again later");
        }

        if (info is null)
        {
            ForgetUnknownCard(cardId);
            throw new IssuerRefusedException(Grpc.Core.StatusCode.Unauthenticated, "UnknownCard", "the issuer does not know this card (mistyped, or not registered yet)");
        }

        switch (info.State)
        {
            case Proto.CardInfo.Types.State.AwaitingFunding:
                UpdateCard(cardId, c => c with { State = CardState.AwaitingActivation, Credits = (long)info.Credits, Remaining = (long)info.RemainingCredits });
                throw new WalletException(WalletError.CardNotActive, "the card is not active yet: the issuer has not seen its funding on-chain; try again later");
            case Proto.CardInfo.Types.State.Spent or Proto.CardInfo.Types.State.Revoked or Proto.CardInfo.Types.State.Expired:
                UpdateCard(cardId, c => c with { State = CardState.Redeemed, Code = null, Credits = (long)info.Credits, Remaining = 0 });
                if (added == 0)
                {
                    throw new IssuerRefusedException(Grpc.Core.StatusCode.FailedPrecondition, info.State.ToString(), $"the card cannot be redeemed: {info.State.ToString().ToLowerInvariant()}");
                }

                return new RedemptionResult(added, batches, replayed, 0, false);
        }

        var remaining = (long)info.RemainingCredits;
        UpdateCard(cardId, c => c with { State = CardState.Redeeming, Credits = (long)info.Credits, Remaining = remaining });
        var batch = Policy.RedeemBatch;
        var fetched = 0L;
        while (remaining >= batch && fetched < limit)
        {
            var size = (int)Math.Min(batch, limit - fetched);
            if (size < batch && Policy.PrefetchTokens)
            {
                break;
            }

            var prepared = PrepareBatch(cardId, verified, size);
            var (n, wasReplay, left) = await SendBatchAsync(prepared, issuer, cancellationToken);
            added += n;
            fetched += n;
            batches++;
            replayed += wasReplay ? 1 : 0;
            remaining = left;
        }

        if (remaining < batch)
        {
            // Done: a leftover below one batch stays on the card (values are whole batches on a real network).
            UpdateCard(cardId, c => c with { State = CardState.Redeemed, Code = null, Remaining = remaining });
            if (remaining > 0)
            {
                Logger.LogWarning("{Left} credits below the batch size stay on the card", remaining);
            }
        }

        return new RedemptionResult(added, batches, replayed, remaining, !Policy.PrefetchTokens && limit == 0);
    }

    /// <summary>Blinds a batch and stores it (request id, key, secret request states) before anything is sent.</summary>
    internal BatchRecord PrepareBatch(string cardId, VerifiedIssuer verified, int size)
    {
        var exports = new List<byte[]>(size);
        for (var i = 0; i < size; i++)
        {
            using var state = TokenClient.CreateRequest(verified.Key, verified.Challenge);
            exports.Add(state.ExportSecret());
        }

        var batch = new BatchRecord
        {
            Id = WalletChanges.NewId(),
            CardId = cardId,
            RequestId = RandomNumberGenerator.GetBytes(32),
            KeySpki = verified.Key.ExportSpki(),
            RedeemUntil = verified.RedeemUntil,
            States = exports,
            CreatedAt = Time.GetUtcNow().ToUnixTimeMilliseconds(),
        };
        Mutate((_, c) => c.Put(batch));
        return batch;
    }

    /// <summary>Sends a stored batch and stores its tokens; returns (tokens, replayed, credits left on the card).</summary>
    private async Task<(int Tokens, bool Replayed, long Left)> SendBatchAsync(BatchRecord batch, IssuerSession issuer, CancellationToken cancellationToken)
    {
        var code = Read(s => s.Cards.GetValueOrDefault(batch.CardId)?.Code)
            ?? throw new WalletException(WalletError.Tampered, "a stored redemption batch has no card code");
        var key = TokenPublicKey.FromSpki(batch.KeySpki);
        var states = new List<TokenRequestState>(batch.States.Count);
        try
        {
            foreach (var export in batch.States)
            {
                states.Add(TokenRequestState.TryImportSecret(key, export, out var state, out _)
                    ? state
                    : throw new WalletException(WalletError.Tampered, "a stored token request cannot be read"));
            }

            CrashPoint.Reach(CrashBeforeSend);
            Proto.RedeemReply reply;
            try
            {
                reply = await issuer.RedeemAsync(code, batch.RequestId, states.Select(s => s.Request.Encoded.ToArray()), cancellationToken);
            }
            catch (IssuerRefusedException)
            {
                // A refusal changed nothing at the issuer: forget the batch (a fresh one is made next time).
                Mutate((_, c) => c.Delete<BatchRecord>(batch.Id));
                throw;
            }

            CrashPoint.Reach(CrashAfterResponse);
            if (reply.TokenResponses.Count != states.Count)
            {
                throw new IssuerRefusedException(Grpc.Core.StatusCode.OK, "BadResponse", "the issuer answered a different number of responses than requests");
            }

            var now = NowSeconds;
            var tokens = new List<TokenRecord>(states.Count);
            for (var i = 0; i < states.Count; i++)
            {
                if (!TokenResponse.TryParse(reply.TokenResponses[i].Span, out var response, out _)
                    || !TokenClient.TryFinalize(states[i], response, out var token, out _))
                {
                    // Kept: a retry under the same request id gets the same (deterministic) signatures again.
                    throw new IssuerRefusedException(Grpc.Core.StatusCode.OK, "InvalidResponse", "the issuer's signatures do not verify under its key");
                }

                tokens.Add(new TokenRecord { Id = WalletChanges.NewId(), Token = token.ToArray(), KeyId = key.KeyIdHex, RedeemUntil = batch.RedeemUntil, AddedAt = now });
            }

            var left = (long)reply.RemainingCredits;
            Mutate((s, c) =>
            {
                c.Delete<BatchRecord>(batch.Id);
                foreach (var t in tokens)
                {
                    c.Put(t);
                }

                if (s.Cards.TryGetValue(batch.CardId, out var card))
                {
                    c.Put(card with { Redeemed = card.Redeemed + tokens.Count, Remaining = left });
                }

                c.Put(s.Settings with { TokensRedeemed = s.Settings.TokensRedeemed + tokens.Count });
            });
            Logger.LogInformation("redeemed a batch of {Count} tokens{Replay}", tokens.Count, reply.Replayed ? " (a retry: no second debit)" : string.Empty);
            return (tokens.Count, reply.Replayed, left);
        }
        finally
        {
            foreach (var s in states)
            {
                s.Dispose();
            }
        }
    }

    private void UpdateCard(string cardId, Func<CardRecord, CardRecord> update) => Mutate((s, c) =>
    {
        if (s.Cards.TryGetValue(cardId, out var card))
        {
            c.Put(update(card));
        }
    });

    /// <summary>A card the issuer does not know is dropped, unless it already gave tokens.</summary>
    private void ForgetUnknownCard(string cardId) => Mutate((s, c) =>
    {
        if (s.Cards.TryGetValue(cardId, out var card) && card.Redeemed == 0 && card.State != CardState.AwaitingActivation && !s.Batches.Values.Any(b => b.CardId == cardId))
        {
            c.Delete<CardRecord>(cardId);
        }
    });
}
