using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using SimpleXLedger.Cards;
using SimpleXLedger.Hosting.Pipeline;
using SimpleXLedger.Issuer.Issuance;
using SimpleXLedger.Issuer.Maintenance;
using SimpleXLedger.Tokens;

namespace SimpleXLedger.Issuer.Tests.Issuance;

public class RedeemGiftCardTests
{
    private static byte[] NewRequestId() => RandomNumberGenerator.GetBytes(16);

    private static List<byte[]> Wire(IReadOnlyList<TokenRequestState> states) => [.. states.Select(s => s.Request.ToArray())];

    [Fact]
    public async Task Redeeming_debits_the_card_and_returns_signatures_that_finalize_into_valid_tokens()
    {
        await using var issuer = await TestIssuer.StartAsync();
        var code = (await issuer.CreateCardsAsync(10))[0];
        var states = issuer.NewRequests(4);

        var outcome = await issuer.Send(new RedeemGiftCard(code, NewRequestId(), Wire(states)));

        Assert.Equal(RedeemStatus.Issued, outcome.Status);
        Assert.Equal(6, outcome.RemainingCredits);
        Assert.Equal(4, outcome.Responses.Count);
        var challenge = TokenChallenge.ForNetwork(TestIssuer.IssuerName);
        for (var i = 0; i < states.Count; i++)
        {
            var token = TokenClient.Finalize(states[i], TokenResponse.Parse(outcome.Responses[i]));
            Assert.True(TokenVerifier.Verify(issuer.Key!, token, challenge));
        }

        var card = await issuer.CardAsync(code);
        Assert.Equal(4, card.Redeemed);
        var issued = await issuer.Db(db => db.TokenKeys.SumAsync(k => k.Issued));
        Assert.Equal(4, issued);
    }

    [Fact]
    public async Task A_retry_with_the_same_request_id_returns_the_same_signatures_without_a_second_debit()
    {
        await using var issuer = await TestIssuer.StartAsync();
        var code = (await issuer.CreateCardsAsync(10))[0];
        var requests = Wire(issuer.NewRequests(3));
        var id = NewRequestId();

        var first = await issuer.Send(new RedeemGiftCard(code, id, requests));
        var retry = await issuer.Send(new RedeemGiftCard(CardCode.Parse(code.Reveal().ToLowerInvariant()), id, requests));

        Assert.Equal(RedeemStatus.Issued, first.Status);
        Assert.Equal(RedeemStatus.Replayed, retry.Status);
        Assert.Equal(first.Responses.Select(Convert.ToHexString), retry.Responses.Select(Convert.ToHexString));
        Assert.Equal(3, (await issuer.CardAsync(code)).Redeemed);
        Assert.Equal(7, retry.RemainingCredits);
    }

    [Fact]
    public async Task A_different_batch_or_card_under_a_used_request_id_is_refused_and_changes_nothing()
    {
        await using var issuer = await TestIssuer.StartAsync();
        var codes = await issuer.CreateCardsAsync(10, count: 2);
        var id = NewRequestId();
        var requests = Wire(issuer.NewRequests(2));
        await issuer.Send(new RedeemGiftCard(codes[0], id, requests));

        var otherBatch = await issuer.Send(new RedeemGiftCard(codes[0], id, Wire(issuer.NewRequests(2))));
        var fewer = await issuer.Send(new RedeemGiftCard(codes[0], id, requests[..1]));
        var otherCard = await issuer.Send(new RedeemGiftCard(codes[1], id, requests));

        Assert.All([otherBatch, fewer, otherCard], o => Assert.Equal(RedeemStatus.RequestIdReused, o.Status));
        Assert.All([otherBatch, fewer, otherCard], o => Assert.Empty(o.Responses));
        Assert.Equal(2, (await issuer.CardAsync(codes[0])).Redeemed);
        Assert.Equal(0, (await issuer.CardAsync(codes[1])).Redeemed);
    }

    [Fact]
    public async Task A_card_never_gives_more_than_its_value_and_says_why()
    {
        await using var issuer = await TestIssuer.StartAsync();
        var code = (await issuer.CreateCardsAsync(5))[0];

        var tooMany = await issuer.Send(new RedeemGiftCard(code, NewRequestId(), Wire(issuer.NewRequests(6))));
        Assert.Equal(RedeemStatus.InsufficientCredits, tooMany.Status);
        Assert.Equal(5, tooMany.RemainingCredits);
        Assert.Equal(0, (await issuer.CardAsync(code)).Redeemed);

        var all = await issuer.Send(new RedeemGiftCard(code, NewRequestId(), Wire(issuer.NewRequests(5))));
        Assert.Equal(RedeemStatus.Issued, all.Status);
        Assert.Equal(0, all.RemainingCredits);

        var spent = await issuer.Send(new RedeemGiftCard(code, NewRequestId(), Wire(issuer.NewRequests(1))));
        Assert.Equal(RedeemStatus.Spent, spent.Status);
        Assert.Equal(5, (await issuer.CardAsync(code)).Redeemed);
    }

    [Fact]
    public async Task Many_concurrent_redemptions_of_one_card_issue_exactly_its_value()
    {
        await using var issuer = await TestIssuer.StartAsync();
        var code = (await issuer.CreateCardsAsync(30))[0];
        var batches = Enumerable.Range(0, 16).Select(_ => Wire(issuer.NewRequests(3))).ToList();

        var outcomes = await Task.WhenAll(batches.Select(b => Task.Run(() => issuer.Send(new RedeemGiftCard(code, NewRequestId(), b)))));

        Assert.Equal(10, outcomes.Count(o => o.Status == RedeemStatus.Issued));
        Assert.Equal(30, outcomes.Sum(o => o.Responses.Count));
        Assert.All(outcomes.Where(o => o.Status != RedeemStatus.Issued), o => Assert.True(o.Status is RedeemStatus.Spent or RedeemStatus.InsufficientCredits));
        Assert.Equal(30, (await issuer.CardAsync(code)).Redeemed);
    }

    [Fact]
    public async Task Malformed_requests_are_refused_before_any_debit()
    {
        await using var issuer = await TestIssuer.StartAsync(configure: s => s with { MaxBatch = 4 });
        var code = (await issuer.CreateCardsAsync(10))[0];
        var good = Wire(issuer.NewRequests(1))[0];

        byte[] wrongType = [.. good];
        wrongType[1] = 0x01;
        byte[] wrongKey = [.. good];
        wrongKey[2] ^= 0xFF;

        Assert.Equal(RedeemStatus.BadTokenRequest, (await issuer.Send(new RedeemGiftCard(code, NewRequestId(), [wrongType]))).Status);
        Assert.Equal(RedeemStatus.BadTokenRequest, (await issuer.Send(new RedeemGiftCard(code, NewRequestId(), [good[..^1]]))).Status);
        Assert.Equal(RedeemStatus.BadTokenRequest, (await issuer.Send(new RedeemGiftCard(code, NewRequestId(), [[.. good, 0]]))).Status);
        Assert.Equal(RedeemStatus.WrongKey, (await issuer.Send(new RedeemGiftCard(code, NewRequestId(), [wrongKey]))).Status);
        Assert.Equal(RedeemStatus.WrongKey, (await issuer.Send(new RedeemGiftCard(code, NewRequestId(), [good, wrongKey]))).Status);
        Assert.Equal(RedeemStatus.BadBatchSize, (await issuer.Send(new RedeemGiftCard(code, NewRequestId(), []))).Status);
        Assert.Equal(RedeemStatus.BadBatchSize, (await issuer.Send(new RedeemGiftCard(code, NewRequestId(), Wire(issuer.NewRequests(5))))).Status);
        await Assert.ThrowsAsync<CommandValidationException>(() => issuer.Send(new RedeemGiftCard(code, new byte[8], [good])));

        Assert.Equal(0, (await issuer.CardAsync(code)).Redeemed);
        Assert.Equal(0, await issuer.Db(db => db.Redemptions.CountAsync()));
    }

    [Fact]
    public async Task A_blinded_message_the_key_cannot_sign_gives_the_credits_back()
    {
        await using var issuer = await TestIssuer.StartAsync();
        var code = (await issuer.CreateCardsAsync(10))[0];
        var good = Wire(issuer.NewRequests(1))[0];
        byte[] outOfRange = [.. good];
        outOfRange.AsSpan(3).Fill(0xFF); // above the modulus

        var outcome = await issuer.Send(new RedeemGiftCard(code, NewRequestId(), [good, outOfRange]));

        Assert.Equal(RedeemStatus.BadTokenRequest, outcome.Status);
        Assert.Equal(0, (await issuer.CardAsync(code)).Redeemed);
        Assert.Equal(0, await issuer.Db(db => db.Redemptions.CountAsync()));
        Assert.Equal(0, await issuer.Db(db => db.TokenKeys.SumAsync(k => k.Issued)));
    }

    [Fact]
    public async Task Unknown_and_revoked_cards_are_refused()
    {
        await using var issuer = await TestIssuer.StartAsync();
        var code = (await issuer.CreateCardsAsync(10))[0];
        var requests = Wire(issuer.NewRequests(1));

        Assert.Equal(RedeemStatus.UnknownCard, (await issuer.Send(new RedeemGiftCard(CardCode.Generate(), NewRequestId(), requests))).Status);

        var hash = code.ComputeHash().ToArray();
        await issuer.Db(db => db.Cards.Where(c => c.Hash == hash).ExecuteUpdateAsync(s => s.SetProperty(c => c.Revoked, true)));
        Assert.Equal(RedeemStatus.Revoked, (await issuer.Send(new RedeemGiftCard(code, NewRequestId(), requests))).Status);
    }

    [Fact]
    public async Task Expired_cards_are_refused()
    {
        await using var issuer = await TestIssuer.StartAsync(configure: s => s with { CardValidity = TimeSpan.FromMinutes(1) });
        var code = (await issuer.CreateCardsAsync(10))[0];
        issuer.Time.Advance(TimeSpan.FromMinutes(1));
        var outcome = await issuer.Send(new RedeemGiftCard(code, NewRequestId(), Wire(issuer.NewRequests(1))));
        Assert.Equal(RedeemStatus.Expired, outcome.Status);
        Assert.Equal(0, (await issuer.CardAsync(code)).Redeemed);
    }

    [Fact]
    public async Task Idempotency_records_outlive_their_window_while_the_key_issues_then_are_purged_and_hold_no_blinded_message_or_signature()
    {
        await using var issuer = await TestIssuer.StartAsync(configure: s => s with { IdempotencyWindow = TimeSpan.FromMinutes(5) });
        var code = (await issuer.CreateCardsAsync(10))[0];
        var requests = Wire(issuer.NewRequests(2));
        var id = NewRequestId();
        var outcome = await issuer.Send(new RedeemGiftCard(code, id, requests));
        Assert.Equal(RedeemStatus.Issued, outcome.Status);

        // Neither the blinded messages nor the signatures are anywhere in the database files.
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var files = Directory.GetFiles(issuer.Settings.DataDirectory, "issuer.db*").Select(File.ReadAllBytes).ToList();
        foreach (var secret in requests.Select(r => r[3..]).Concat(outcome.Responses))
        {
            Assert.All(files, bytes => Assert.Equal(-1, bytes.AsSpan().IndexOf(secret.AsSpan(0, 32))));
        }

        // Past the idempotency window but while the key still issues (10 minutes on a devnet): a wallet that comes
        // back late gets its tokens again, without a second debit.
        issuer.Time.Advance(TimeSpan.FromMinutes(6));
        Assert.Equal(0, await issuer.Send(new PurgeRedemptions()));
        var late = await issuer.Send(new RedeemGiftCard(code, id, requests));
        Assert.Equal(RedeemStatus.Replayed, late.Status);
        Assert.Equal(outcome.Responses.Select(Convert.ToHexString), late.Responses.Select(Convert.ToHexString));
        Assert.Equal(2, (await issuer.CardAsync(code)).Redeemed);

        // The record keeps the day, not the moment, of the redemption.
        Assert.Equal(0, await issuer.Db(db => db.Redemptions.Select(r => r.CreatedAt % 86_400).SingleAsync()));

        // Once the key stopped issuing and the window passed too, the record goes.
        issuer.Time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(1, await issuer.Send(new PurgeRedemptions()));
        Assert.Equal(0, await issuer.Db(db => db.Redemptions.CountAsync()));
    }
}
