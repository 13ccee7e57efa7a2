using SimpleXLedger.Issuer.Keys;
using SimpleXLedger.Tokens;

namespace SimpleXLedger.Issuer.Issuance;

/// <summary>Blind-signs TokenRequests with a token key (RFC 9578 type 2; the RSA operation runs in OpenSSL).</summary>
public sealed class TokenSigner(KeyFiles keys)
{
    /// <summary>
    /// Signs every request of a batch; the result is each TokenResponse, in order. Fails as a whole (nothing
    /// returned) with the first error, e.g. <see cref="TokenError.BlindedMessageOutOfRange"/>.
    /// </summary>
    public TokenError TrySignAll(string keyId, IReadOnlyList<TokenRequest> requests, out IReadOnlyList<byte[]> responses)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var key = keys.Open(keyId);
        var signed = new byte[requests.Count][];
        var firstError = (int)TokenError.None;
        void SignOne(int i)
        {
            if (TokenIssuer.TryIssue(key, requests[i], out var response, out var error))
            {
                signed[i] = response.ToArray();
            }
            else
            {
                Interlocked.CompareExchange(ref firstError, (int)error, (int)TokenError.None);
            }
        }

        if (requests.Count < 16)
        {
            for (var i = 0; i < signed.Length; i++)
            {
                SignOne(i);
            }
        }
        else
        {
            // A large batch uses the cores it can get; under load other requests keep them busy anyway.
            Parallel.For(0, signed.Length, SignOne);
        }

        responses = firstError == (int)TokenError.None ? signed : [];
        return (TokenError)firstError;
    }
}
