using System.Net;
using System.Net.Http.Headers;
using SimpleXLedger.Cards;
using SimpleXLedger.Testing.Hosts;
using SimpleXLedger.Tokens;

namespace SimpleXLedger.Issuer.Tests.Hosting;

/// <summary>RFC 9578 over HTTP(S), paid with <c>Authorization: GiftCard &lt;code&gt;</c>.</summary>
public class HttpIssuanceTests(IssuerServerFixture fixture) : IClassFixture<IssuerServerFixture>
{
    private IssuerServer Server => fixture.Server;

    private TokenRequestState NewRequest() => TokenClient.CreateRequest(Server.Key, TokenChallenge.ForNetwork(TestIssuer.IssuerName));

    private static HttpRequestMessage Post(byte[] body, string? card, string contentType = "application/private-token-request")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/token-request") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/private-token-response"));
        if (card is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", "GiftCard " + card);
        }

        return request;
    }

    [Fact]
    public async Task The_directory_lists_only_the_issuing_key_with_not_before_and_says_development_mode()
    {
        using var http = Server.Http();
        using var response = await http.GetAsync("/.well-known/private-token-issuer-directory");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/private-token-issuer-directory", response.Content.Headers.ContentType!.MediaType);
        var json = await response.Content.ReadAsStringAsync();
        Assert.True(IssuerDirectory.TryParse(json, out var directory, out var error), error.ToString());
        var key = Assert.Single(directory.TokenKeys);
        Assert.Equal(2, key.TokenType);
        Assert.NotNull(key.NotBefore);
        Assert.True(key.TryGetPublicKey(out var publicKey));
        Assert.Equal(Server.Key, publicKey);
        Assert.Equal(new Uri(Server.HttpUrl, "/token-request"), new Uri(directory.IssuerRequestUri));
        Assert.Contains("\"sxl-development-mode\":true", json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task One_request_debits_one_credit_and_the_same_request_again_gets_the_same_signature_without_a_debit()
    {
        var code = (await Server.CreateCardsAsync(3))[0];
        using var http = Server.Http();
        using var state = NewRequest();

        using var first = await http.SendAsync(Post(state.Request.ToArray(), code.Reveal()));
        using var again = await http.SendAsync(Post(state.Request.ToArray(), code.Reveal().ToLowerInvariant()));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("application/private-token-response", first.Content.Headers.ContentType!.MediaType);
        var body = await first.Content.ReadAsByteArrayAsync();
        Assert.Equal(TokenResponse.Length, body.Length);
        Assert.Equal(body, await again.Content.ReadAsByteArrayAsync());
        var token = TokenClient.Finalize(state, TokenResponse.Parse(body));
        Assert.True(TokenVerifier.Verify(Server.Key, token, TokenChallenge.ForNetwork(TestIssuer.IssuerName)));
        Assert.Equal(2, (await Server.CardAsync(code)).Remaining);
    }

    [Fact]
    public async Task A_card_pays_for_exactly_its_value_then_403()
    {
        var code = (await Server.CreateCardsAsync(2))[0];
        using var http = Server.Http();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            using var state = NewRequest();
            using var response = await http.SendAsync(Post(state.Request.ToArray(), code.Reveal()));
            statuses.Add(response.StatusCode);
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.Forbidden, HttpStatusCode.Forbidden], statuses);
        Assert.Equal(0, (await Server.CardAsync(code)).Remaining);
    }

    [Fact]
    public async Task Bad_type_key_id_or_size_is_422_and_debits_nothing()
    {
        var code = (await Server.CreateCardsAsync(5))[0];
        using var http = Server.Http();
        using var state = NewRequest();
        var good = state.Request.ToArray();
        byte[] wrongType = [.. good];
        wrongType[1] = 1;
        byte[] wrongKey = [.. good];
        wrongKey[2] ^= 0x5A;

        foreach (var body in new[] { wrongType, wrongKey, good[..^1], [.. good, 0], [] })
        {
            using var response = await http.SendAsync(Post(body, code.Reveal()));
            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        }

        Assert.Equal(5, (await Server.CardAsync(code)).Remaining);
    }

    [Fact]
    public async Task Missing_unknown_or_mistyped_cards_are_401_and_the_reason_never_repeats_the_code()
    {
        using var http = Server.Http();
        using var state = NewRequest();
        var body = state.Request.ToArray();
        var unknown = CardCode.Generate().Reveal();
        var mistyped = unknown[..^1] + (unknown[^1] == '0' ? '1' : '0');

        using var missing = await http.SendAsync(Post(body, null));
        using var notKnown = await http.SendAsync(Post(body, unknown));
        using var typo = await http.SendAsync(Post(body, mistyped));
        using var wrongMedia = await http.SendAsync(Post(body, unknown, "application/octet-stream"));

        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Contains("GiftCard", missing.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, notKnown.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, typo.StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, wrongMedia.StatusCode);
        foreach (var response in new[] { notKnown, typo })
        {
            Assert.DoesNotContain(unknown[4..12], await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Every_refusal_carries_an_rfc9457_problem_body_also_for_paths_and_methods_nobody_serves()
    {
        using var http = Server.Http();
        using var state = NewRequest();
        var body = state.Request.ToArray();
        using var html = new HttpRequestMessage(HttpMethod.Get, "/no/such/path");
        html.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));

        (HttpResponseMessage Response, int Status)[] refusals =
        [
            (await http.SendAsync(Post(body, null)), 401),
            (await http.SendAsync(Post(body, CardCode.Generate().Reveal(), "text/plain")), 415),
            (await http.SendAsync(Post([1, 2, 3], CardCode.Generate().Reveal())), 422),
            (await http.SendAsync(html), 404),
            (await http.GetAsync("/token-request"), 405),
        ];
        foreach (var (response, status) in refusals)
        {
            using (response)
            {
                Assert.Equal(status, (int)response.StatusCode);
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                using var problem = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                Assert.Equal(status, problem.RootElement.GetProperty("status").GetInt32());
                Assert.False(string.IsNullOrEmpty(problem.RootElement.GetProperty("title").GetString()));
                Assert.False(string.IsNullOrEmpty(problem.RootElement.GetProperty("detail").GetString()));
            }
        }
    }
}
