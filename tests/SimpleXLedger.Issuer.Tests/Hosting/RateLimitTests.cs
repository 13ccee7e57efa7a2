using Grpc.Core;
using SimpleXLedger.Cards;
using SimpleXLedger.Protos.Issuer;
using SimpleXLedger.Testing.Hosts;
using IssuerClient = SimpleXLedger.Protos.Issuer.Issuer.IssuerClient;

namespace SimpleXLedger.Issuer.Tests.Hosting;

public class RateLimitTests
{
    [Fact]
    public async Task Wrong_codes_are_held_off_per_client_before_any_lookup_even_for_a_right_code()
    {
        var logs = new CapturedLogs();
        await using var server = await IssuerServer.StartAsync(s => s with { WrongCodesPerClientPerMinute = 3 }, logs: logs, key: () => SharedKeys.Get(1));
        var good = (await server.CreateCardsAsync(10))[0];
        var wrong = new List<CardCode>();
        using var channel = server.Channel();
        var client = new IssuerClient(channel);

        for (var i = 0; i < 3; i++)
        {
            wrong.Add(CardCode.Generate());
            var e = await Assert.ThrowsAsync<RpcException>(() => client.GetCardAsync(new GetCardRequest { CardCode = wrong[^1].Reveal() }).ResponseAsync);
            Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
        }

        var held = await Assert.ThrowsAsync<RpcException>(() => client.GetCardAsync(new GetCardRequest { CardCode = good.Reveal() }).ResponseAsync);
        Assert.Equal(StatusCode.ResourceExhausted, held.StatusCode);

        using var http = server.Http();
        var body = new byte[259];
        body[1] = 2; // token type 2, otherwise well-formed: the limit answers before the card is looked at
        using var request = new HttpRequestMessage(HttpMethod.Post, "/token-request") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/private-token-request");
        request.Headers.TryAddWithoutValidation("Authorization", "GiftCard " + good.Reveal());
        using var response = await http.SendAsync(request);
        Assert.Equal(System.Net.HttpStatusCode.TooManyRequests, response.StatusCode);

        // The card itself was never touched.
        Assert.Equal(10, (await server.CardAsync(good)).Remaining);

        // The log says a limit was hit, and never shows a code (not even in part).
        Assert.Contains(logs.Lines, l => l.Contains("limit hit", StringComparison.Ordinal));
        foreach (var code in wrong.Append(good))
        {
            var secret = code.Reveal()[4..];
            Assert.DoesNotContain(logs.Lines, l => l.Contains(secret[..9], StringComparison.OrdinalIgnoreCase) || l.Contains(secret.Replace("-", "", StringComparison.Ordinal)[..8], StringComparison.OrdinalIgnoreCase));
        }
    }
}
