using SimpleXLedger.Tokens.Tests.Support;

namespace SimpleXLedger.Tokens.Tests.Http;

/// <summary>PrivateToken header values, base64url, and the issuer directory.</summary>
public sealed class HeaderAndDirectoryTests
{
    [Fact]
    public void A_challenge_header_round_trips()
    {
        var header = PrivateTokenHeaders.FormatChallenge(SharedKeys.NetworkChallenge, SharedKeys.Issuer.PublicKey, 60);
        Assert.StartsWith("PrivateToken challenge=\"", header, StringComparison.Ordinal);
        Assert.True(PrivateTokenHeaders.TryParseChallenges(header, out var parsed));
        var c = Assert.Single(parsed);
        Assert.Equal(SharedKeys.NetworkChallenge, c.Challenge);
        Assert.Equal(SharedKeys.Issuer.PublicKey, c.TokenKey);
        Assert.Equal(60, c.MaxAge);

        Assert.True(PrivateTokenHeaders.TryParseChallenges("Basic realm=\"x\", " + PrivateTokenHeaders.FormatChallenge(SharedKeys.NetworkChallenge, null), out parsed));
        Assert.Null(Assert.Single(parsed).TokenKey);
    }

    [Fact]
    public void An_authorization_header_round_trips_and_is_strict()
    {
        var token = SharedKeys.MintToken();
        var header = PrivateTokenHeaders.FormatAuthorization(token);
        Assert.Equal($"PrivateToken token=\"{token.ToBase64Url()}\"", header);
        Assert.True(PrivateTokenHeaders.TryParseAuthorization(header, out var parsed, out _));
        Assert.Equal(token, parsed);
        Assert.True(PrivateTokenHeaders.TryParseAuthorization($"privatetoken   token={token.ToBase64Url().TrimEnd('=')}, other=\"x\"", out parsed, out _));
        Assert.Equal(token, parsed);

        Assert.False(PrivateTokenHeaders.TryParseAuthorization("Bearer abc", out _, out var error));
        Assert.Equal(TokenError.InvalidHeader, error);
        Assert.False(PrivateTokenHeaders.TryParseAuthorization("PrivateToken token=\"AAAA\"", out _, out error));
        Assert.Equal(TokenError.UnsupportedTokenType, error);
        Assert.False(PrivateTokenHeaders.TryParseAuthorization("PrivateToken token=\"!!\"", out _, out error));
        Assert.Equal(TokenError.InvalidBase64, error);
        Assert.False(PrivateTokenHeaders.TryParseAuthorization("PrivateToken token=\"a\", token=\"b\"", out _, out error));
        Assert.Equal(TokenError.InvalidHeader, error);
        Assert.False(PrivateTokenHeaders.TryParseAuthorization("PrivateToken token=\"unterminated", out _, out _));
    }

    [Theory]
    [InlineData("", new byte[0])]
    [InlineData("AA==", new byte[] { 0 })]
    [InlineData("AA", new byte[] { 0 })]
    [InlineData("_-8=", new byte[] { 0xFF, 0xEF })]
    public void Base64url_decodes_padded_and_unpadded(string text, byte[] expected)
    {
        Assert.True(Base64Url.TryDecode(text, out var data));
        Assert.Equal(expected, data);

        // Written with padding, as RFC 9577 requires.
        Assert.Equal(text.Length % 4 == 0 ? text : text + "==", Base64Url.Encode(expected));
    }

    [Theory]
    [InlineData("A")]
    [InlineData("AA=")]
    [InlineData("AA===")]
    [InlineData("+/8=")]
    [InlineData("AA ==")]
    [InlineData("AB==")] // non-zero unused bits
    [InlineData("A=A=")]
    public void Base64url_refuses_non_canonical_text(string text)
    {
        Assert.False(Base64Url.TryDecode(text, out _));
    }

    [Fact]
    public void The_directory_round_trips_and_picks_the_current_key()
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        var directory = IssuerDirectory.Create(
            "https://issuer.sxl.test/request",
            (SharedKeys.Other.PublicKey, now.AddHours(1)),
            (SharedKeys.Issuer.PublicKey, (DateTimeOffset?)null));
        var json = directory.ToJson();
        Assert.Contains("\"issuer-request-uri\":\"https://issuer.sxl.test/request\"", json, StringComparison.Ordinal);
        Assert.Contains("\"token-type\":2", json, StringComparison.Ordinal);
        Assert.Contains($"\"not-before\":{now.AddHours(1).ToUnixTimeSeconds()}", json, StringComparison.Ordinal);

        Assert.True(IssuerDirectory.TryParse(json, out var parsed, out _));
        Assert.Equal(2, parsed.TokenKeys.Count);
        Assert.Equal(SharedKeys.Issuer.PublicKey, parsed.CurrentKey(now));
        Assert.Equal(SharedKeys.Other.PublicKey, parsed.CurrentKey(now.AddHours(2)));
    }

    [Fact]
    public void The_rfc_example_directory_shape_parses_including_its_trailing_commas()
    {
        var key = SharedKeys.Issuer.PublicKey.ToBase64Url();
        var json = $$"""
            {
               "issuer-request-uri": "https://issuer.example.net/request",
               "token-keys": [
                 { "token-type": 2, "token-key": "{{key}}", "not-before": 1686913811, },
                 { "token-type": 1, "token-key": "ebb1fed3", },
               ]
            }
            """;
        Assert.True(IssuerDirectory.TryParse(json, out var d, out _));
        Assert.Equal("https://issuer.example.net/request", d.IssuerRequestUri);
        Assert.Equal(SharedKeys.Issuer.PublicKey, d.CurrentKey(DateTimeOffset.FromUnixTimeSeconds(1686913811)));
        Assert.Null(d.CurrentKey(DateTimeOffset.FromUnixTimeSeconds(1686913810)));
        Assert.False(d.TokenKeys[1].TryGetPublicKey(out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("[]")]
    [InlineData("{}")]
    [InlineData("{\"issuer-request-uri\": 5, \"token-keys\": []}")]
    [InlineData("{\"issuer-request-uri\": \"u\"}")]
    [InlineData("{\"issuer-request-uri\": \"u\", \"token-keys\": [{\"token-type\": \"2\", \"token-key\": \"AA\"}]}")]
    [InlineData("{\"issuer-request-uri\": \"u\", \"token-keys\": [{\"token-type\": 2}]}")]
    [InlineData("{\"issuer-request-uri\": \"u\", \"token-keys\": [{\"token-type\": 2, \"token-key\": \"AA\", \"not-before\": -1}]}")]
    [InlineData("{\"issuer-request-uri\": \"u\", \"token-keys\": [{\"token-type\": 70000, \"token-key\": \"AA\"}]}")]
    public void Malformed_directories_are_refused(string json)
    {
        Assert.False(IssuerDirectory.TryParse(json, out _, out var error));
        Assert.Equal(TokenError.InvalidDirectory, error);
    }
}
