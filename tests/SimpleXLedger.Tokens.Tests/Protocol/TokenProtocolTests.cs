using SimpleXLedger.Tokens.Tests.Support;

namespace SimpleXLedger.Tokens.Tests.Protocol;

/// <summary>Type 2 issuance and verification end to end, and every refusal the verifier and issuer make.</summary>
public sealed class TokenProtocolTests
{
    private static TokenPrivateKey Issuer => SharedKeys.Issuer;

    private static TokenPrivateKey Other => SharedKeys.Other;

    private static TokenChallenge Challenge => SharedKeys.NetworkChallenge;

    [Fact]
    public void A_token_for_the_network_challenge_round_trips_and_verifies()
    {
        using var state = TokenClient.CreateRequest(Issuer.PublicKey, Challenge);
        Assert.Equal(TokenRequest.Length, state.Request.Encoded.Length);
        Assert.Equal(Issuer.PublicKey.TruncatedKeyId, state.Request.TruncatedTokenKeyId);

        var response = TokenIssuer.Issue(Issuer, TokenRequest.Parse(state.Request.Encoded));
        Assert.Equal(TokenResponse.Length, response.Encoded.Length);

        var token = TokenClient.Finalize(state, TokenResponse.Parse(response.Encoded));
        Assert.Equal(Token.Length, token.Encoded.Length);
        Assert.Equal(state.Nonce.ToArray(), token.Nonce.ToArray());
        Assert.Equal(Challenge.Digest.ToArray(), token.ChallengeDigest.ToArray());
        Assert.Equal(Issuer.PublicKey.KeyId.ToArray(), token.TokenKeyId.ToArray());

        var parsed = Token.Parse(token.Encoded);
        Assert.True(TokenVerifier.Verify(Issuer.PublicKey, parsed, Challenge));
        Assert.True(TokenVerifier.Verify(TokenPublicKey.FromBase64Url(Issuer.PublicKey.ToBase64Url()), parsed, TokenChallenge.ForNetwork("issuer.sxl.test")));
        Assert.Equal(token, parsed);
    }

    [Fact]
    public void Issuing_and_verifying_are_safe_from_many_threads_at_once()
    {
        var tokens = new Token[24];
        Parallel.For(0, tokens.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => tokens[i] = SharedKeys.MintToken());
        var results = new bool[tokens.Length * 8];
        Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
            results[i] = TokenVerifier.Verify(Issuer.PublicKey, tokens[i % tokens.Length], Challenge));
        Assert.All(results, Assert.True);
    }

    [Fact]
    public void The_issuer_never_sees_the_token_it_signs()
    {
        using var state = TokenClient.CreateRequest(Issuer.PublicKey, Challenge);
        var token = TokenClient.Finalize(state, TokenIssuer.Issue(Issuer, state.Request));
        var seen = state.Request.BlindedMessage;
        Assert.Equal(-1, seen.IndexOf(token.Nonce));
        Assert.Equal(-1, seen.IndexOf(token.Authenticator[..16]));
    }

    [Fact]
    public void Two_tokens_for_the_same_challenge_are_unlinkable_values()
    {
        var a = SharedKeys.MintToken();
        var b = SharedKeys.MintToken();
        Assert.False(a.Nonce.SequenceEqual(b.Nonce));
        Assert.False(a.Authenticator.SequenceEqual(b.Authenticator));
    }

    [Fact]
    public void Verification_under_another_key_is_a_key_id_mismatch()
    {
        var token = SharedKeys.MintToken();
        Assert.Equal(TokenError.KeyIdMismatch, TokenVerifier.Check(Other.PublicKey, token, Challenge));
        Assert.False(TokenVerifier.Verify(Other.PublicKey, token, Challenge));
    }

    [Fact]
    public void A_token_claiming_another_key_id_but_signed_elsewhere_has_an_invalid_authenticator()
    {
        var token = SharedKeys.MintToken();
        var forged = Token.Create(token.Nonce, token.ChallengeDigest, Other.PublicKey.KeyId, token.Authenticator);
        Assert.Equal(TokenError.InvalidAuthenticator, TokenVerifier.Check(Other.PublicKey, forged, Challenge));
    }

    [Fact]
    public void A_token_for_another_challenge_is_a_challenge_digest_mismatch()
    {
        var token = SharedKeys.MintToken();
        Assert.Equal(TokenError.ChallengeDigestMismatch, TokenVerifier.Check(Issuer.PublicKey, token, TokenChallenge.ForNetwork("other.sxl.test")));
        var bound = TokenChallenge.Create("issuer.sxl.test", new byte[32], "relay.sxl.test");
        Assert.Equal(TokenError.ChallengeDigestMismatch, TokenVerifier.Check(Issuer.PublicKey, token, bound));
        var forBound = SharedKeys.MintToken(challenge: bound);
        Assert.True(TokenVerifier.Verify(Issuer.PublicKey, forBound, bound));
        Assert.Equal(TokenError.ChallengeDigestMismatch, TokenVerifier.Check(Issuer.PublicKey, forBound, Challenge));
    }

    [Fact]
    public void Every_flipped_bit_of_a_token_is_refused()
    {
        var encoded = SharedKeys.MintToken().ToArray();
        for (var bit = 0; bit < encoded.Length * 8; bit++)
        {
            encoded[bit / 8] ^= (byte)(1 << (bit % 8));
            var refused = !Token.TryParse(encoded, out var token, out _) || !TokenVerifier.Verify(Issuer.PublicKey, token, Challenge);
            Assert.True(refused, $"bit {bit} flipped was accepted");
            encoded[bit / 8] ^= (byte)(1 << (bit % 8));
        }

        Assert.True(TokenVerifier.Verify(Issuer.PublicKey, Token.Parse(encoded), Challenge));
    }

    [Fact]
    public void Flipped_bits_in_the_token_fields_give_the_matching_reason()
    {
        var encoded = SharedKeys.MintToken().ToArray();
        TokenError Flip(int index)
        {
            var copy = (byte[])encoded.Clone();
            copy[index] ^= 0x01;
            return Token.TryParse(copy, out var t, out var e) ? TokenVerifier.Check(Issuer.PublicKey, t, Challenge) : e;
        }

        Assert.Equal(TokenError.UnsupportedTokenType, Flip(1));
        Assert.Equal(TokenError.InvalidAuthenticator, Flip(2)); // nonce
        Assert.Equal(TokenError.ChallengeDigestMismatch, Flip(2 + 32)); // challenge digest
        Assert.Equal(TokenError.KeyIdMismatch, Flip(2 + 64)); // key id
        Assert.Equal(TokenError.InvalidAuthenticator, Flip(Token.AuthenticatorInputLength + 5)); // authenticator
    }

    [Fact]
    public void Every_flipped_bit_of_a_request_is_refused_by_the_issuer_or_gives_an_unusable_response()
    {
        using var state = TokenClient.CreateRequest(Issuer.PublicKey, Challenge);
        var encoded = state.Request.ToArray();

        // Header bits: the issuer refuses outright.
        for (var bit = 0; bit < 3 * 8; bit++)
        {
            var copy = (byte[])encoded.Clone();
            copy[bit / 8] ^= (byte)(1 << (bit % 8));
            var refused = !TokenRequest.TryParse(copy, out var request, out var error) || !TokenIssuer.TryIssue(Issuer, request, out _, out error);
            Assert.True(refused, $"bit {bit}");
            Assert.Contains(error, new[] { TokenError.UnsupportedTokenType, TokenError.KeyIdMismatch });
        }

        // Blinded-message bits (sampled across the field: each costs a private op): either out of range, or the
        // signature of another message, which the client refuses.
        for (var bit = 3 * 8; bit < encoded.Length * 8; bit += 37)
        {
            var copy = (byte[])encoded.Clone();
            copy[bit / 8] ^= (byte)(1 << (bit % 8));
            var request = TokenRequest.Parse(copy);
            if (!TokenIssuer.TryIssue(Issuer, request, out var response, out var error))
            {
                Assert.Equal(TokenError.BlindedMessageOutOfRange, error);
                continue;
            }

            Assert.False(TokenClient.TryFinalize(state, response, out _, out error), $"bit {bit}");
            Assert.Equal(TokenError.InvalidResponse, error);
        }
    }

    [Fact]
    public void Every_flipped_bit_of_a_response_is_refused_by_the_client()
    {
        using var state = TokenClient.CreateRequest(Issuer.PublicKey, Challenge);
        var encoded = TokenIssuer.Issue(Issuer, state.Request).ToArray();
        for (var bit = 0; bit < encoded.Length * 8; bit++)
        {
            encoded[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(TokenClient.TryFinalize(state, TokenResponse.Parse(encoded), out _, out var error), $"bit {bit}");
            Assert.Equal(TokenError.InvalidResponse, error);
            encoded[bit / 8] ^= (byte)(1 << (bit % 8));
        }

        Assert.True(TokenClient.TryFinalize(state, TokenResponse.Parse(encoded), out _, out _));
    }

    [Fact]
    public void The_issuer_refuses_a_request_for_another_key_and_the_client_refuses_a_response_from_one()
    {
        using var state = TokenClient.CreateRequest(Issuer.PublicKey, Challenge);
        Assert.False(TokenIssuer.TryIssue(Other, state.Request, out _, out var error));
        Assert.Equal(TokenError.KeyIdMismatch, error);
        Assert.Equal(TokenError.KeyIdMismatch, Assert.Throws<TokenException>(() => TokenIssuer.Issue(Other, state.Request)).Error);

        // An issuer answering with another key's signature: the client refuses it.
        var probe = state.Request.BlindedMessage.ToArray();
        probe[0] = 0;
        var wrong = TokenIssuer.Issue(Other, TokenRequest.Create(Other.PublicKey.TruncatedKeyId, probe));
        Assert.Equal(TokenError.InvalidResponse, Assert.Throws<TokenException>(() => TokenClient.Finalize(state, wrong)).Error);
    }

    [Fact]
    public void The_issuer_refuses_a_blinded_message_at_or_above_the_modulus()
    {
        var request = TokenRequest.Create(Issuer.PublicKey.TruncatedKeyId, Issuer.PublicKey.RsaKey.Modulus);
        Assert.False(TokenIssuer.TryIssue(Issuer, request, out _, out var error));
        Assert.Equal(TokenError.BlindedMessageOutOfRange, error);
    }

    [Fact]
    public void A_request_state_exported_and_imported_still_finalizes()
    {
        byte[] exported;
        TokenRequest request;
        using (var state = TokenClient.CreateRequest(Issuer.PublicKey, Challenge))
        {
            exported = state.ExportSecret();
            request = state.Request;
        }

        var response = TokenIssuer.Issue(Issuer, request);
        Assert.True(TokenRequestState.TryImportSecret(Issuer.PublicKey, exported, out var restored, out var error), error.ToString());
        using (restored)
        {
            Assert.Equal(request, restored.Request);
            var token = TokenClient.Finalize(restored, response);
            Assert.True(TokenVerifier.Verify(Issuer.PublicKey, token, Challenge));
        }

        Assert.False(TokenRequestState.TryImportSecret(Other.PublicKey, exported, out _, out error));
        Assert.Equal(TokenError.KeyIdMismatch, error);
        Assert.False(TokenRequestState.TryImportSecret(Issuer.PublicKey, exported[..^1], out _, out error));
        Assert.Equal(TokenError.Truncated, error);
        Assert.False(TokenRequestState.TryImportSecret(Issuer.PublicKey, [.. exported, 0], out _, out error));
        Assert.Equal(TokenError.TrailingBytes, error);
    }
}
