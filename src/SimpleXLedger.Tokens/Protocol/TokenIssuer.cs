using System.Diagnostics.CodeAnalysis;
using SimpleXLedger.Tokens.BlindRsa;

namespace SimpleXLedger.Tokens;

/// <summary>
/// The issuer side of RFC 9578 §6.2: checks the request (type, truncated key id, size) and blind-signs it with
/// OpenSSL's private operation. The issuer never sees the token the response becomes. Thread-safe.
/// </summary>
public static class TokenIssuer
{
    /// <summary>Throws <see cref="TokenException"/> (KeyIdMismatch, BlindedMessageOutOfRange, SigningFailure).</summary>
    public static TokenResponse Issue(TokenPrivateKey issuerKey, TokenRequest request) =>
        TryIssue(issuerKey, request, out var response, out var error) ? response : throw new TokenException(error);

    public static bool TryIssue(TokenPrivateKey issuerKey, TokenRequest request, [NotNullWhen(true)] out TokenResponse? response, out TokenError error)
    {
        ArgumentNullException.ThrowIfNull(issuerKey);
        ArgumentNullException.ThrowIfNull(request);
        response = null;
        if (request.TruncatedTokenKeyId != issuerKey.PublicKey.TruncatedKeyId)
        {
            error = TokenError.KeyIdMismatch;
            return false;
        }

        var signature = new byte[TokenResponse.Length];
        var result = RsaBssa.BlindSignCore(issuerKey.RsaKey, request.BlindedMessage, signature);
        if (result != RsaBssaError.None)
        {
            error = result == RsaBssaError.MessageOutOfRange ? TokenError.BlindedMessageOutOfRange : TokenError.SigningFailure;
            return false;
        }

        response = TokenResponse.FromOwned(signature);
        error = TokenError.None;
        return true;
    }
}
