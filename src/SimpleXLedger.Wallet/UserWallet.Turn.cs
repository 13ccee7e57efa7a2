using Microsoft.Extensions.Logging;
using SimpleXLedger.Net;
using SimpleXLedger.Protos.Turn;
using SimpleXLedger.Turn.Client;
using SimpleXLedger.Wallet.Storage;

namespace SimpleXLedger.Wallet;

public sealed partial class UserWallet
{
    /// <summary>
    /// Buys TURN credentials from a credential service with one token, over a fresh connection that carries nothing
    /// else (so the purchase shares no connection with queue payments). The token follows the rule of queue payments:
    /// once sent it is shown again only to the same service — "try again later" and no answer keep it reserved for the
    /// next purchase there — or dropped on a refusal (counted); "already spent" loses it (counted). It never returns to
    /// the pool, where another payment would show its nonce elsewhere. The credentials are not stored.
    /// </summary>
    public async Task<TurnCredentials> BuyTurnCredentialsAsync(PinnedAddress service, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(service);
        var purpose = "turn:" + service;
        var held = Read(s => s.Tokens.Values.FirstOrDefault(t => t.ReservedFor == purpose));
        var (tokenId, token) = held is not null ? (held.Id, held.Token) : await ReserveOneAsync(purpose, cancellationToken);
        try
        {
            using var client = TurnClient.Connect(service);
            var credentials = await client.BuyAsync(token, cancellationToken);
            Mutate((s, c) =>
            {
                if (s.Tokens.TryGetValue(tokenId, out var record))
                {
                    c.Delete<TokenRecord>(tokenId);
                    c.MarkSpent(WalletState.SpentMark(record));
                    c.Put(s.Settings with { TokensSpent = s.Settings.TokensSpent + 1 });
                }
            });
            Logger.LogInformation("TURN credentials bought");
            return credentials;
        }
        catch (Exception e) when (e is TurnServiceException or HttpRequestException or OperationCanceledException)
        {
            var spent = e is TurnServiceException { TokenSpent: true };
            var keep = e is TurnServiceException { Code: TurnErrorCode.RetryLater or TurnErrorCode.Unspecified } or HttpRequestException or OperationCanceledException;
            Mutate((s, c) =>
            {
                if (!s.Tokens.TryGetValue(tokenId, out var record))
                {
                    return;
                }

                if (spent)
                {
                    c.Delete<TokenRecord>(tokenId);
                    c.MarkSpent(WalletState.SpentMark(record));
                    c.Put(s.Settings with { TokensLost = s.Settings.TokensLost + 1 });
                }
                else if (!keep)
                {
                    Drop(s, c, record);
                }
            });
            throw e switch
            {
                TurnServiceException { Code: TurnErrorCode.RetryLater } => new WalletException(WalletError.Unreachable, "the TURN service cannot redeem the token now; it is kept for this service: try again later", e),
                TurnServiceException { Code: TurnErrorCode.Unspecified, CertificateMismatch: false } or HttpRequestException => new WalletException(WalletError.Unreachable, "the TURN service cannot be reached; the token is kept for this service", e),
                TurnServiceException t => new WalletException(WalletError.RelayRefused, $"the TURN service refused the payment: {t.Code}; the token was dropped, never to be shown elsewhere", e),
                _ => new WalletException(WalletError.Unreachable, "the purchase was cancelled; the token is kept for this service", e),
            };
        }
    }
}
