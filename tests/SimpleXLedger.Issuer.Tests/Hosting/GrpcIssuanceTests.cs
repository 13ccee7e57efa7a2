using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using SimpleXLedger.Cards;
using SimpleXLedger.Protos.Issuer;
using SimpleXLedger.Testing.Hosts;
using SimpleXLedger.Tokens;
using IssuerClient = SimpleXLedger.Protos.Issuer.Issuer.IssuerClient;

namespace SimpleXLedger.Issuer.Tests.Hosting;

public class GrpcIssuanceTests(IssuerServerFixture fixture) : IClassFixture<IssuerServerFixture>
{
    private IssuerServer Server => fixture.Server;

    private IReadOnlyList<TokenRequestState> NewRequests(int n) =>
        [.. Enumerable.Range(0, n).Select(_ => TokenClient.CreateRequest(Server.Key, TokenChallenge.ForNetwork(TestIssuer.IssuerName)))];

    private static RedeemRequest Request(CardCode code, IEnumerable<TokenRequestState> states, byte[]? requestId = null)
    {
        var request = new RedeemRequest { CardCode = code.Reveal(), RequestId = ByteString.CopyFrom(requestId ?? RandomNumberGenerator.GetBytes(16)) };
        request.TokenRequests.AddRange(states.Select(s => ByteString.CopyFrom(s.Request.ToArray())));
        return request;
    }

    [Fact]
    public async Task Redeem_over_grpc_with_tls_returns_responses_that_finalize_into_valid_tokens()
    {
        var code = (await Server.CreateCardsAsync(100))[0];
        using var channel = Server.Channel();
        var client = new IssuerClient(channel);
        var states = NewRequests(20);

        var reply = await client.RedeemAsync(Request(code, states));

        Assert.Equal(80UL, reply.RemainingCredits);
        Assert.False(reply.Replayed);
        var challenge = TokenChallenge.ForNetwork(TestIssuer.IssuerName);
        for (var i = 0; i < states.Count; i++)
        {
            var token = TokenClient.Finalize(states[i], TokenResponse.Parse(reply.TokenResponses[i].Span));
            Assert.True(TokenVerifier.Verify(Server.Key, token, challenge));
        }

        var directory = await client.GetDirectoryAsync(new GetDirectoryRequest());
        Assert.Equal(Server.Key.ExportSpki(), directory.TokenKey.ToByteArray());
        Assert.True(directory.DevelopmentMode);
        var card = await client.GetCardAsync(new GetCardRequest { CardCode = code.Reveal() });
        Assert.Equal(CardInfo.Types.State.PartlyRedeemed, card.State);
        Assert.Equal(80UL, card.RemainingCredits);
    }

    [Fact]
    public async Task A_retry_over_grpc_gets_the_same_signatures_and_a_conflicting_batch_is_refused()
    {
        var code = (await Server.CreateCardsAsync(10))[0];
        using var channel = Server.Channel();
        var client = new IssuerClient(channel);
        var id = RandomNumberGenerator.GetBytes(16);
        var states = NewRequests(3);

        var first = await client.RedeemAsync(Request(code, states, id));
        var retry = await client.RedeemAsync(Request(code, states, id));
        var conflict = await Assert.ThrowsAsync<RpcException>(() => client.RedeemAsync(Request(code, NewRequests(3), id)).ResponseAsync);

        Assert.True(retry.Replayed);
        Assert.Equal(first.TokenResponses, retry.TokenResponses);
        Assert.Equal(StatusCode.AlreadyExists, conflict.StatusCode);
        Assert.Equal("RequestIdReused", conflict.Trailers.GetValue("sxl-error"));
        Assert.Equal(7, (await Server.CardAsync(code)).Remaining);
    }

    [Fact]
    public async Task Many_parallel_grpc_clients_on_one_card_never_get_more_than_its_value()
    {
        var code = (await Server.CreateCardsAsync(50))[0];
        var requests = Enumerable.Range(0, 24).Select(_ => Request(code, NewRequests(5))).ToList();

        var results = await Task.WhenAll(requests.Select(async request =>
        {
            using var channel = Server.Channel(); // each client on its own connection
            try
            {
                var reply = await new IssuerClient(channel).RedeemAsync(request);
                return reply.TokenResponses.Count;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.FailedPrecondition)
            {
                return 0;
            }
        }));

        Assert.Equal(50, results.Sum());
        Assert.Equal(10, results.Count(r => r == 5));
        var card = await Server.CardAsync(code);
        Assert.Equal(0, card.Remaining);
    }

    [Fact]
    public async Task Card_problems_map_to_clear_status_codes()
    {
        using var channel = Server.Channel();
        var client = new IssuerClient(channel);
        var spentCard = (await Server.CreateCardsAsync(1))[0];
        await client.RedeemAsync(Request(spentCard, NewRequests(1)));

        var unknown = await Assert.ThrowsAsync<RpcException>(() => client.RedeemAsync(Request(CardCode.Generate(), NewRequests(1))).ResponseAsync);
        var spent = await Assert.ThrowsAsync<RpcException>(() => client.RedeemAsync(Request(spentCard, NewRequests(1))).ResponseAsync);
        var typo = Request(spentCard, NewRequests(1));
        typo.CardCode = typo.CardCode[..^1] + (typo.CardCode[^1] == '0' ? '1' : '0');
        var mistyped = await Assert.ThrowsAsync<RpcException>(() => client.RedeemAsync(typo).ResponseAsync);

        Assert.Equal(StatusCode.Unauthenticated, unknown.StatusCode);
        Assert.Equal(StatusCode.FailedPrecondition, spent.StatusCode);
        Assert.Equal("Spent", spent.Trailers.GetValue("sxl-error"));
        Assert.Equal(StatusCode.InvalidArgument, mistyped.StatusCode);
        Assert.Equal("MalformedCardCode", mistyped.Trailers.GetValue("sxl-error"));
        Assert.DoesNotContain(spentCard.Reveal()[4..12], mistyped.Status.Detail, StringComparison.Ordinal);
    }
}
