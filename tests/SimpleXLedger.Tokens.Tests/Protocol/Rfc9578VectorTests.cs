using System.Text;
using SimpleXLedger.Tokens.Tests.Support;
using static SimpleXLedger.Tokens.Tests.Support.Vectors;

namespace SimpleXLedger.Tokens.Tests.Protocol;

/// <summary>RFC 9578 appendix A.2 (token type 2, Blind RSA 2048): every vector, byte for byte.</summary>
public sealed class Rfc9578VectorTests
{
    public static TheoryData<int> Indexes => new(Enumerable.Range(0, Rfc9578Type2.Count));

    [Theory]
    [MemberData(nameof(Indexes))]
    public void Key_request_response_and_token_match_the_vector(int index)
    {
        var v = Rfc9578Type2[index];
        using var issuerKey = TokenPrivateKey.FromPem(Encoding.ASCII.GetString(Hex(v["skS"])));

        // The SPKI is byte-exact with pkS, and the key id is its SHA-256.
        Assert.Equal(Hex(v["pkS"]), issuerKey.PublicKey.Spki.ToArray());
        Assert.Equal(issuerKey.PublicKey, TokenPublicKey.FromSpki(Hex(v["pkS"])));

        var challenge = TokenChallenge.Parse(Hex(v["token_challenge"]));
        Assert.Equal(Hex(v["token_challenge"]), challenge.Encoded.ToArray());

        var nonce = Hex(v["nonce"]);
        var salt = Hex(v["salt"]);
        var blind = Hex(v["blind"]);
        using var state = TokenClient.CreateRequest(issuerKey.PublicKey, challenge, nonce, salt, blind);
        Assert.Equal(Hex(v["token_request"]), state.Request.Encoded.ToArray());
        Assert.Equal(state.Request, TokenRequest.Parse(Hex(v["token_request"])));

        var response = TokenIssuer.Issue(issuerKey, TokenRequest.Parse(Hex(v["token_request"])));
        Assert.Equal(Hex(v["token_response"]), response.Encoded.ToArray());

        var token = TokenClient.Finalize(state, TokenResponse.Parse(Hex(v["token_response"])));
        Assert.Equal(Hex(v["token"]), token.Encoded.ToArray());
        Assert.Equal(issuerKey.PublicKey.KeyId.ToArray(), token.TokenKeyId.ToArray());

        Assert.True(TokenVerifier.Verify(issuerKey.PublicKey, Token.Parse(Hex(v["token"])), challenge));
    }
}
