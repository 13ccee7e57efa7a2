using Microsoft.Extensions.Logging;
using Nethereum.Util;
using SimpleXLedger.Cards;
using SimpleXLedger.Chain.Contracts;
using SimpleXLedger.Chain.Services;
using SimpleXLedger.Wallet.Issuance;
using SimpleXLedger.Wallet.Storage;
using Proto = SimpleXLedger.Protos.Issuer;

namespace SimpleXLedger.Wallet;

/// <summary>Buying one card on-chain: the wallet makes the secret, pays the ledger, and redeems once the issuer activates it.</summary>
public sealed partial class UserWallet
{
    /// <summary>
    /// Makes a card code (stored before anything is paid, so a crash never loses a bought card), pays the ledger's
    /// price for <paramref name="credits"/> from the buyer's account (approve, then buyCard naming the vendor), waits
    /// until the purchase is mined and the card is on-chain, then waits (bounded) for the issuer to activate it and
    /// redeems it. If the issuer is slow, the card stays in the wallet and <see cref="ResumeAsync"/> redeems it later.
    /// </summary>
    public async Task<PurchaseResult> BuyCardAsync(LedgerClient buyer, string vendor, ulong credits, IssuerSession issuer, TimeSpan activationTimeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(buyer);
        ArgumentNullException.ThrowIfNull(issuer);
        if (!AddressUtil.Current.IsValidEthereumAddressHexFormat(vendor))
        {
            throw new WalletException(WalletError.InvalidInput, "the vendor is not an Ethereum address");
        }

        if (!Denomination.IsValid(credits, (ulong)Policy.RedeemBatch))
        {
            throw new WalletException(WalletError.InvalidInput, $"a card's value is a positive multiple of {Policy.RedeemBatch} credits");
        }

        // Checked before paying: never buy a card this wallet would then refuse to redeem.
        var verified = await VerifyIssuerAsync(issuer, cancellationToken);
        var code = CardCode.Generate();
        var hash = code.ComputeHash();
        var card = new CardRecord
        {
            Id = WalletChanges.NewId(),
            Code = code.Reveal(),
            Hash = hash.ToString(),
            Credits = (long)credits,
            Remaining = (long)credits,
            State = CardState.Purchasing,
            AddedAt = NowSeconds,
        };
        Mutate((_, c) => c.Put(card));

        ChainTransaction tx;
        try
        {
            tx = await buyer.BuyCardAsync(hash.ToArray(), credits, vendor, cancellationToken);
        }
        catch (LedgerRevertException e)
        {
            // Refused by the contract: nothing was paid, the card never existed.
            Mutate((_, c) => c.Delete<CardRecord>(card.Id));
            throw new WalletException(WalletError.ChainRefused, $"the ledger refused the purchase: {e.ErrorName}", e);
        }
        catch (Exception e) when (ChainErrors.IsUnreachable(e))
        {
            // Unknown outcome: the card (and its code) stays, marked as being bought.
            throw new WalletException(WalletError.Unreachable, "the chain could not be reached; the card is kept and can be redeemed once the purchase shows", e);
        }

        var (onChainVendor, onChainCredits) = await buyer.GetCardAsync(hash.ToArray(), cancellationToken);
        if (onChainCredits != credits || !string.Equals(onChainVendor, vendor, StringComparison.OrdinalIgnoreCase))
        {
            throw new WalletException(WalletError.ChainRefused, "the purchase was mined but the ledger does not show the card as bought");
        }

        Mutate((s, c) => c.Put(s.Cards[card.Id] with { State = CardState.AwaitingActivation, PurchaseTransaction = tx.Hash }));
        Logger.LogInformation("card bought on-chain in block {Block}; waiting for the issuer to activate it", tx.BlockNumber);

        await WaitForActivationAsync(card.Code!, issuer, activationTimeout, cancellationToken);
        UpdateCard(card.Id, c => c with { State = CardState.Redeeming });
        var redemption = await RedeemStoredCardAsync(card.Id, issuer, verified, Policy.PrefetchTokens ? long.MaxValue : 0, cancellationToken);
        return new PurchaseResult(hash.ToString(), tx.Hash, credits, redemption);
    }

    /// <summary>Polls the issuer (1 s, doubling to 10 s: under its wrong-code limit) until the card is active or the time is up.</summary>
    private async Task WaitForActivationAsync(string code, IssuerSession issuer, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Time.GetUtcNow() + timeout;
        var pause = TimeSpan.FromSeconds(1);
        while (true)
        {
            Proto.CardInfo? info;
            try
            {
                info = await issuer.GetCardAsync(code, cancellationToken);
            }
            catch (IssuerRefusedException e) when (e.Status == Grpc.Core.StatusCode.ResourceExhausted)
            {
                info = null;
            }

            if (info?.State is Proto.CardInfo.Types.State.Active or Proto.CardInfo.Types.State.PartlyRedeemed)
            {
                return;
            }

            if (info?.State is Proto.CardInfo.Types.State.Spent or Proto.CardInfo.Types.State.Revoked or Proto.CardInfo.Types.State.Expired)
            {
                throw new IssuerRefusedException(Grpc.Core.StatusCode.FailedPrecondition, info.State.ToString(), $"the issuer reports the bought card as {info.State.ToString().ToLowerInvariant()}");
            }

            var left = deadline - Time.GetUtcNow();
            if (left <= TimeSpan.Zero)
            {
                throw new WalletException(WalletError.TimedOut, "the purchase is confirmed on-chain, but the issuer has not activated the card yet; it is kept in the wallet: run `sxl wallet redeem` later");
            }

            await Task.Delay(pause < left ? pause : left, Time, cancellationToken);
            pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
        }
    }
}
