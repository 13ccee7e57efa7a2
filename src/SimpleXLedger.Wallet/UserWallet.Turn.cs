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
    /// else (so the purchase shares no connection with queue payments). On refusal the token is kept or dropped by the
    /// rules of queue payments: "already spent" drops it (counted as lost); anything else, including no answer, makes it
    /// available again (a retry finds it spent if the service had taken it). The credentials are not stored.
    /// </summary>
    public async Task<TurnCredentials> BuyTurnCredentialsAsync(PinnedAddress service, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(service);
        var (tokenId, token) = await ReserveOneAsync("turn", cancellationToken);
        try
        {
            using var client = TurnClient.Connect(service);
            var credentials = await client.BuyAsync(token, cancellationToken);
            Mutate((s, c) =>
            {
                if (s.Tokens.TryGetValue(tokenId, out var record))
                {
                    c.Delete<TokenRecord>(tokenId);
                    c.MarkSpent(s.SpentFingerprint(record.Token));
                    c.Put(s.Settings with { TokensSpent = s.Settings.TokensSpent + 1 });
                }
            });
            Logger.LogInformation("TURN credentials bought");
            return credentials;
        }
        catch (Exception e) when (e is TurnServiceException or HttpRequestException or OperationCanceledException)
        {
            var spent = e is TurnServiceException { TokenSpent: true };
            Mutate((s, c) =>
            {
                if (!s.Tokens.TryGetValue(tokenId, out var record))
                {
                    return;
                }

                if (spent)
                {
                    c.Delete<TokenRecord>(tokenId);
                    c.MarkSpent(s.SpentFingerprint(record.Token));
                    c.Put(s.Settings with { TokensLost = s.Settings.TokensLost + 1 });
                }
                else
                {
                    c.Put(record with { ReservedFor = null });
                }
            });
            throw e switch
            {
                TurnServiceException { Code: TurnErrorCode.RetryLater } => new WalletException(WalletError.Unreachable, "the TURN service cannot redeem the token now; it is kept, try again later", e),
                TurnServiceException { Code: TurnErrorCode.Unspecified, CertificateMismatch: false } or HttpRequestException => new WalletException(WalletError.Unreachable, "the TURN service cannot be reached", e),
                TurnServiceException t => new WalletException(WalletError.RelayRefused, $"the TURN service refused the payment: {t.Code}", e),
                _ => new WalletException(WalletError.Unreachable, "the purchase was cancelled", e),
            };
        }
    }
}
