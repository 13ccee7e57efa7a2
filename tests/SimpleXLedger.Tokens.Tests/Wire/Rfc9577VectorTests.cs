using System.Text;
using System.Text.Json;
using SimpleXLedger.Tokens.Tests.Support;
using static SimpleXLedger.Tokens.Tests.Support.Vectors;

namespace SimpleXLedger.Tokens.Tests.Wire;

/// <summary>RFC 9577 appendix A: challenge/redemption structures and the WWW-Authenticate header vectors.</summary>
public sealed class Rfc9577VectorTests
{
    private static JsonElement Structures => Rfc9577.RootElement.GetProperty("structures");

    private static JsonElement Headers => Rfc9577.RootElement.GetProperty("headers");

    public static TheoryData<int> StructureIndexes => new(Enumerable.Range(0, 5));

    [Theory]
    [MemberData(nameof(StructureIndexes))]
    public void Challenges_encode_to_the_digest_in_the_authenticator_input(int index)
    {
        var v = Structures[index];
        string S(string name) => v.GetProperty(name).GetString()!;
        var challenge = TokenChallenge.Create(
            Encoding.ASCII.GetString(Hex(S("issuer_name"))),
            Hex(S("redemption_context")),
            Encoding.ASCII.GetString(Hex(S("origin_info"))));
        var input = new byte[Token.AuthenticatorInputLength];
        Token.WriteAuthenticatorInput(Hex(S("nonce")), challenge.Digest, Hex(S("token_key_id")), input);
        Assert.Equal(Hex(S("token_authenticator_input")), input);
        Assert.Equal(challenge, TokenChallenge.Parse(challenge.Encoded));
        Assert.Equal(index == 2, challenge.IsNetworkChallenge);
    }

    [Fact]
    public void The_grease_structure_is_refused_as_an_unsupported_type()
    {
        var input = Hex(Structures[5].GetProperty("token_authenticator_input").GetString()!);
        Assert.False(TokenChallenge.TryParse(input, out _, out var error));
        Assert.Equal(TokenError.UnsupportedTokenType, error);
        Assert.False(Token.TryParse(input, out _, out error));
        Assert.Equal(TokenError.UnsupportedTokenType, error);
    }

    [Fact]
    public void Header_vectors_yield_exactly_the_type_2_challenges()
    {
        // Vector 1: one type 2 challenge. Vector 2: type 2 and type 1 (ignored). Vector 3: Basic, grease, type 1 (all ignored).
        var expected = new[] { 1, 1, 0 };
        for (var i = 0; i < Headers.GetArrayLength(); i++)
        {
            var header = Headers[i].GetProperty("header").GetString()!;
            var parameters = Headers[i].GetProperty("params");
            Assert.True(PrivateTokenHeaders.TryParseChallenges(header, out var challenges), header);
            Assert.Equal(expected[i], challenges.Count);
            if (expected[i] == 1)
            {
                var c = challenges[0];
                Assert.Equal(Hex(parameters.GetProperty("token-challenge-0").GetString()!), c.Challenge.Encoded.ToArray());
                Assert.Equal(Hex(parameters.GetProperty("token-key-0").GetString()!), c.TokenKey!.Spki.ToArray());
                Assert.Equal(10, c.MaxAge);
                Assert.Equal("issuer.example", c.Challenge.IssuerName);
                Assert.Equal("origin.example", c.Challenge.OriginInfo);
            }
        }
    }
}
