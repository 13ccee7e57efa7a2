using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using SimpleXLedger.Tokens.BlindRsa;

namespace SimpleXLedger.Tokens;

/// <summary>
/// The client side of RFC 9578 §6 (publicly verifiable, type 2): <see cref="CreateRequest"/> a blinded request
/// for a challenge, send <see cref="TokenRequestState.Request"/>, then <see cref="Finalize"/> the issuer's response into a <see cref="Token"/>.
/// </summary>
public static class TokenClient
{
    private static RsaBssa Algorithm => RsaBssa.Sha384PssDeterministic;

    /// <summary>Fresh nonce, fresh salt, fresh blind.</summary>
    public static TokenRequestState CreateRequest(TokenPublicKey issuerKey, TokenChallenge challenge)
    {
        Span<byte> nonce = stackalloc byte[Token.NonceLength];
        Span<byte> salt = stackalloc byte[Algorithm.SaltLength];
        RandomNumberGenerator.Fill(nonce);
        RandomNumberGenerator.Fill(salt);
        return CreateRequest(issuerKey, challenge, nonce, salt, blind: default);
    }

    /// <summary>Test seam: given nonce, salt and blind r (empty r: random).</summary>
    internal static TokenRequestState CreateRequest(TokenPublicKey issuerKey, TokenChallenge challenge, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> blind)
    {
        ArgumentNullException.ThrowIfNull(issuerKey);
        ArgumentNullException.ThrowIfNull(challenge);
        Span<byte> input = stackalloc byte[Token.AuthenticatorInputLength];
        Token.WriteAuthenticatorInput(nonce, challenge.Digest, issuerKey.KeyId, input);
        var prepared = Algorithm.Prepare(input);
        for (var attempt = 0; ; attempt++)
        {
            var error = Algorithm.TryBlind(issuerKey.RsaKey, prepared, salt, blind, out var blinding);
            if (error == RsaBssaError.None)
            {
                var request = TokenRequest.Create(issuerKey.TruncatedKeyId, blinding!.BlindedMessage);
                return new TokenRequestState(issuerKey, nonce.ToArray(), challenge.Digest.ToArray(), request, blinding);
            }

            // A blinding error (r not invertible) is retried with a fresh r; anything else is the key's fault.
            if (error != RsaBssaError.BlindingError || !blind.IsEmpty || attempt >= 3)
            {
                throw new TokenException(TokenError.InvalidKey);
            }
        }
    }

    /// <summary>Unblinds and checks the issuer's response. Throws <see cref="TokenException"/> (InvalidResponse).</summary>
    public static Token Finalize(TokenRequestState state, TokenResponse response) =>
        TryFinalize(state, response, out var token, out var error) ? token : throw new TokenException(error);

    public static bool TryFinalize(TokenRequestState state, TokenResponse response, [NotNullWhen(true)] out Token? token, out TokenError error)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(response);
        token = null;
        Span<byte> input = stackalloc byte[Token.AuthenticatorInputLength];
        Token.WriteAuthenticatorInput(state.Nonce, state.ChallengeDigest, state.IssuerKey.KeyId, input);
        var result = Algorithm.TryFinalize(state.IssuerKey.RsaKey, input, response.BlindSignature, state.Blinding, out var authenticator);
        if (result != RsaBssaError.None)
        {
            error = TokenError.InvalidResponse;
            return false;
        }

        token = Token.Create(state.Nonce, state.ChallengeDigest, state.IssuerKey.KeyId, authenticator);
        error = TokenError.None;
        return true;
    }
}
