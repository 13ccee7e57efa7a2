using System.Security.Cryptography;
using SimpleXLedger.Tokens.BlindRsa;

namespace SimpleXLedger.Tokens;

/// <summary>
/// Offline verification of a type 2 token (RFC 9578 §6.4) against an issuer key and the challenge it was
/// made for. Checking the nonce against a spent-set is the caller's job. Thread-safe.
/// </summary>
public static class TokenVerifier
{
    /// <summary>True when the token is valid for this key and challenge.</summary>
    public static bool Verify(TokenPublicKey issuerKey, Token token, TokenChallenge challenge) =>
        Check(issuerKey, token, challenge) == TokenError.None;

    /// <summary>
    /// The reason a token is refused, or <see cref="TokenError.None"/>: UnsupportedTokenType, KeyIdMismatch,
    /// ChallengeDigestMismatch, InvalidAuthenticator.
    /// </summary>
    public static TokenError Check(TokenPublicKey issuerKey, Token token, TokenChallenge challenge)
    {
        ArgumentNullException.ThrowIfNull(issuerKey);
        ArgumentNullException.ThrowIfNull(token);
        ArgumentNullException.ThrowIfNull(challenge);
        if (token.TokenType != challenge.TokenType || token.TokenType != issuerKey.TokenType)
        {
            return TokenError.UnsupportedTokenType;
        }

        if (!CryptographicOperations.FixedTimeEquals(token.TokenKeyId, issuerKey.KeyId))
        {
            return TokenError.KeyIdMismatch;
        }

        if (!CryptographicOperations.FixedTimeEquals(token.ChallengeDigest, challenge.Digest))
        {
            return TokenError.ChallengeDigestMismatch;
        }

        return RsaBssa.Sha384PssDeterministic.Verify(issuerKey.RsaKey, token.AuthenticatorInput, token.Authenticator)
            ? TokenError.None
            : TokenError.InvalidAuthenticator;
    }
}
