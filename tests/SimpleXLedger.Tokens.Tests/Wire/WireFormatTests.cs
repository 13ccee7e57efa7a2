using System.Buffers.Binary;
using SimpleXLedger.Tokens.Tests.Support;

namespace SimpleXLedger.Tokens.Tests.Wire;

/// <summary>Strict parsing: every length checked, unknown types and trailing bytes refused with a typed error.</summary>
public sealed class WireFormatTests
{
    public static TheoryData<string> Structures => new("token", "request", "response", "challenge");

    private static byte[] Valid(string structure)
    {
        using var state = TokenClient.CreateRequest(SharedKeys.Issuer.PublicKey, SharedKeys.NetworkChallenge);
        return structure switch
        {
            "token" => SharedKeys.MintToken().ToArray(),
            "request" => state.Request.ToArray(),
            "response" => TokenIssuer.Issue(SharedKeys.Issuer, state.Request).ToArray(),
            "challenge" => SharedKeys.NetworkChallenge.ToArray(),
            _ => throw new ArgumentException(structure),
        };
    }

    private static TokenError Parse(string structure, byte[] bytes) => structure switch
    {
        "token" => Token.TryParse(bytes, out _, out var e) ? TokenError.None : e,
        "request" => TokenRequest.TryParse(bytes, out _, out var e) ? TokenError.None : e,
        "response" => TokenResponse.TryParse(bytes, out _, out var e) ? TokenError.None : e,
        "challenge" => TokenChallenge.TryParse(bytes, out _, out var e) ? TokenError.None : e,
        _ => throw new ArgumentException(structure),
    };

    [Theory]
    [MemberData(nameof(Structures))]
    public void Every_truncation_is_refused_and_every_extension_is_trailing_bytes(string structure)
    {
        var valid = Valid(structure);
        Assert.Equal(TokenError.None, Parse(structure, valid));
        for (var length = 0; length < valid.Length; length++)
        {
            var error = Parse(structure, valid[..length]);
            Assert.NotEqual(TokenError.None, error);
            if (structure != "challenge" && length >= 2)
            {
                Assert.Equal(TokenError.Truncated, error);
            }
        }

        Assert.Equal(TokenError.TrailingBytes, Parse(structure, [.. valid, 0]));
        Assert.Equal(TokenError.TrailingBytes, Parse(structure, [.. valid, .. new byte[300]]));
    }

    [Theory]
    [InlineData(0x0000)]
    [InlineData(0x0001)]
    [InlineData(0x0003)]
    [InlineData(0x5a5a)]
    [InlineData(0xda7a)]
    public void Other_token_types_are_refused(int type)
    {
        foreach (var structure in new[] { "token", "request", "challenge" })
        {
            var bytes = Valid(structure);
            BinaryPrimitives.WriteUInt16BigEndian(bytes, (ushort)type);
            Assert.Equal(TokenError.UnsupportedTokenType, Parse(structure, bytes));
        }
    }

    [Fact]
    public void Sizes_are_the_rfc_sizes()
    {
        Assert.Equal(354, Token.Length);
        Assert.Equal(259, TokenRequest.Length);
        Assert.Equal(256, TokenResponse.Length);
        Assert.Equal(98, Token.AuthenticatorInputLength);
    }

    [Fact]
    public void The_network_challenge_is_type_2_with_empty_context_and_origin()
    {
        var c = TokenChallenge.ForNetwork("issuer.example");

        // 0002 | len 000e "issuer.example" | 00 | 0000
        Assert.Equal(Convert.FromHexString("0002000e6973737565722e6578616d706c6500" + "0000"), c.ToArray());
        Assert.True(c.IsNetworkChallenge);
        Assert.Equal(System.Security.Cryptography.SHA256.HashData(c.ToArray()), c.Digest.ToArray());
        Assert.Equal(c, TokenChallenge.Parse(c.Encoded));
    }

    [Fact]
    public void Challenge_fields_are_validated()
    {
        Assert.Equal(TokenError.InvalidIssuerName, Assert.Throws<TokenException>(() => TokenChallenge.ForNetwork("")).Error);
        Assert.Equal(TokenError.InvalidIssuerName, Assert.Throws<TokenException>(() => TokenChallenge.ForNetwork("user@issuer.example")).Error);
        Assert.Equal(TokenError.InvalidIssuerName, Assert.Throws<TokenException>(() => TokenChallenge.ForNetwork("issuer example")).Error);
        Assert.Equal(TokenError.InvalidIssuerName, Assert.Throws<TokenException>(() => TokenChallenge.ForNetwork("émetteur.example")).Error);
        Assert.Equal(TokenError.InvalidRedemptionContext, Assert.Throws<TokenException>(() => TokenChallenge.Create("i.example", new byte[31], "")).Error);
        Assert.Equal(TokenError.InvalidOriginInfo, Assert.Throws<TokenException>(() => TokenChallenge.Create("i.example", [], "a.example,")).Error);
        Assert.Equal("a.example,b.example:8443", TokenChallenge.Create("i.example:8443", new byte[32], "a.example,b.example:8443").OriginInfo);

        // Redemption context length byte other than 0 or 32.
        var bytes = Convert.FromHexString("0002000169" + "01" + "aa" + "0000");
        Assert.Equal(TokenError.InvalidRedemptionContext, Parse("challenge", bytes));

        // Empty issuer name, and a non-ASCII one.
        Assert.Equal(TokenError.InvalidIssuerName, Parse("challenge", Convert.FromHexString("0002" + "0000" + "00" + "0000")));
        Assert.Equal(TokenError.InvalidIssuerName, Parse("challenge", Convert.FromHexString("0002" + "0001" + "c3" + "00" + "0000")));
        Assert.Equal(TokenError.InvalidOriginInfo, Parse("challenge", Convert.FromHexString("0002" + "0001" + "69" + "00" + "0001" + "2c")));
    }

    [Fact]
    public void Parsed_values_do_not_alias_the_input()
    {
        var bytes = SharedKeys.MintToken().ToArray();
        var token = Token.Parse(bytes);
        var nonce = token.Nonce.ToArray();
        bytes[2] ^= 0xFF;
        Assert.Equal(nonce, token.Nonce.ToArray());
    }

    [Fact]
    public void A_token_never_prints_itself()
    {
        var token = SharedKeys.MintToken();
        Assert.DoesNotContain(token.ToBase64Url()[..20], token.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToHexString(token.Nonce), token.ToString(), StringComparison.OrdinalIgnoreCase);
    }
}
