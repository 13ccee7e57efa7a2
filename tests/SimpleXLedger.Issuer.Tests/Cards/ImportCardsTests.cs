using Microsoft.EntityFrameworkCore;
using SimpleXLedger.Cards;
using SimpleXLedger.Issuer.Cards;
using SimpleXLedger.Issuer.Storage;

namespace SimpleXLedger.Issuer.Tests.Cards;

public class ImportCardsTests
{
    [Fact]
    public async Task An_imported_batch_keeps_hashes_only_and_is_active_at_once_in_development_mode()
    {
        await using var issuer = await TestIssuer.StartAsync();
        var (codes, batch) = CardMint.Generate("vendor-a", 100, 3, 100);

        var result = await issuer.Send(new ImportCards(batch));

        Assert.True(result.Active);
        Assert.Equal(300UL, result.Credits);
        var info = await issuer.Send(new GetCardInfo(codes[0].ComputeHash()));
        Assert.Equal(CardState.Active, info!.State);
        Assert.Equal(100, info.Remaining);
        Assert.Equal(1, await issuer.Db(db => db.Vendors.CountAsync()));

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var files = Directory.GetFiles(issuer.Settings.DataDirectory, "issuer.db*").Select(File.ReadAllBytes).ToList();
        foreach (var code in codes)
        {
            var text = System.Text.Encoding.ASCII.GetBytes(code.Reveal().Replace("-", "", StringComparison.Ordinal)[3..]);
            Assert.All(files, bytes => Assert.Equal(-1, bytes.AsSpan().IndexOf(text)));
        }
    }

    [Fact]
    public async Task Duplicate_batches_and_card_hashes_are_refused_and_nothing_of_them_is_kept()
    {
        await using var issuer = await TestIssuer.StartAsync();
        var (_, batch) = CardMint.Generate("v", 100, 2, 100);
        await issuer.Send(new ImportCards(batch));

        await Assert.ThrowsAsync<CardImportException>(() => issuer.Send(new ImportCards(batch)));

        var (_, fresh) = CardMint.Generate("v", 100, 2, 100);
        var overlapping = new CardBatch(CardBatch.NewBatchId(), "v", [fresh.Cards[0], batch.Cards[1], fresh.Cards[1]]);
        var thrown = await Assert.ThrowsAsync<CardImportException>(() => issuer.Send(new ImportCards(overlapping)));
        Assert.Contains(batch.Cards[1].Hash.ToString(), thrown.Message, StringComparison.Ordinal);

        Assert.Equal(2, await issuer.Db(db => db.Cards.CountAsync()));
        Assert.Equal(1, await issuer.Db(db => db.Batches.CountAsync()));
    }

    [Fact]
    public async Task Values_off_the_denomination_step_are_refused()
    {
        await using var issuer = await TestIssuer.StartAsync(configure: s => s with { Denomination = 100 });
        var (_, batch) = CardMint.Generate("v", 150, 1, 1);
        await Assert.ThrowsAsync<CardImportException>(() => issuer.Send(new ImportCards(batch)));
        Assert.Equal(0, await issuer.Db(db => db.Cards.CountAsync()));
    }

    [Fact]
    public void Card_states_follow_redemption()
    {
        var card = new CardRow { Hash = [], VendorId = "v", BatchId = "b", Credits = 10, Funded = true, ExpiresAt = 100 };
        Assert.Equal(CardState.Active, CardStates.Of(card, 50));
        card.Redeemed = 4;
        Assert.Equal(CardState.PartlyRedeemed, CardStates.Of(card, 50));
        Assert.Equal(CardState.Expired, CardStates.Of(card, 100));
        card.Redeemed = 10;
        Assert.Equal(CardState.Spent, CardStates.Of(card, 50));
        card.Revoked = true;
        Assert.Equal(CardState.Revoked, CardStates.Of(card, 50));
        Assert.Equal(CardState.AwaitingFunding, CardStates.Of(new CardRow { Hash = [], VendorId = "v", BatchId = "b", Credits = 10 }, 50));
    }
}
