using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using SimpleXLedger.Cards;
using SimpleXLedger.Issuer.Cards;
using SimpleXLedger.Issuer.Issuance;
using SimpleXLedger.Issuer.Keys;
using SimpleXLedger.Issuer.Maintenance;
using SimpleXLedger.Issuer.Storage;

namespace SimpleXLedger.Issuer.Tests.Cards;

public class FundingGateTests
{
    private static async Task<(TestIssuer Issuer, FakeLedger Ledger)> StartAsync()
    {
        FakeLedger? ledger = null;
        var issuer = await TestIssuer.StartAsync(time =>
        {
            ledger = new FakeLedger(time, KeyWindowPolicy.Devnet.UsableDelay);
            return ledger;
        });
        return (issuer, ledger!);
    }

    private static List<byte[]> Requests(TestIssuer issuer, int n) => [.. issuer.NewRequests(n).Select(s => s.Request.ToArray())];

    [Fact]
    public async Task With_a_ledger_a_batch_is_redeemable_only_once_its_matching_funding_is_seen()
    {
        var (issuer, ledger) = await StartAsync();
        await using var _ = issuer;
        var (codes, batch) = CardMint.Generate("0xvendor", 100, 2, 100);
        var imported = await issuer.Send(new ImportCards(batch));
        Assert.False(imported.Active);
        Assert.Equal(CardState.AwaitingFunding, (await issuer.Send(new GetCardInfo(codes[0].ComputeHash())))!.State);

        var refused = await issuer.Send(new RedeemGiftCard(codes[0], RandomNumberGenerator.GetBytes(16), Requests(issuer, 1)));
        Assert.Equal(RedeemStatus.Unfunded, refused.Status);

        // Funding with another root or total does not activate the batch.
        ledger.Fund(batch.BatchIdHex, "0xvendor", "0x" + new string('1', 64), batch.TotalCredits);
        Assert.Equal(0, (await issuer.Send(new SyncFunding())).BatchesActivated);
        ledger.Fund(batch.BatchIdHex, "0xvendor", batch.RootHex, batch.TotalCredits - 100);
        Assert.Equal(0, (await issuer.Send(new SyncFunding())).BatchesActivated);
        Assert.Equal(RedeemStatus.Unfunded, (await issuer.Send(new RedeemGiftCard(codes[0], RandomNumberGenerator.GetBytes(16), Requests(issuer, 1)))).Status);

        ledger.Fund(batch.BatchIdHex, "0xsomeoneelse", batch.RootHex, batch.TotalCredits);
        Assert.Equal(0, (await issuer.Send(new SyncFunding())).BatchesActivated);
        ledger.Fund(batch.BatchIdHex, "0xVENDOR", batch.RootHex, batch.TotalCredits);
        Assert.Equal(1, (await issuer.Send(new SyncFunding())).BatchesActivated);
        Assert.Equal(RedeemStatus.Issued, (await issuer.Send(new RedeemGiftCard(codes[0], RandomNumberGenerator.GetBytes(16), Requests(issuer, 1)))).Status);
        Assert.Equal(CardState.Active, (await issuer.Send(new GetCardInfo(codes[1].ComputeHash())))!.State);
    }

    [Fact]
    public async Task A_card_bought_on_chain_becomes_active_from_its_purchase_event_once()
    {
        var (issuer, ledger) = await StartAsync();
        await using var _ = issuer;
        var code = CardCode.Generate();
        ledger.Buy(code.ComputeHash(), 100, "0xvendor");

        Assert.Equal(1, (await issuer.Send(new SyncFunding())).CardsPurchased);
        Assert.Equal(0, (await issuer.Send(new SyncFunding())).CardsPurchased);
        var info = await issuer.Send(new GetCardInfo(code.ComputeHash()));
        Assert.Equal(CardState.Active, info!.State);
        Assert.Equal(100, info.Remaining);
        Assert.Equal(RedeemStatus.Issued, (await issuer.Send(new RedeemGiftCard(code, RandomNumberGenerator.GetBytes(16), Requests(issuer, 2)))).Status);
    }

    [Fact]
    public async Task With_a_ledger_new_keys_are_anchored_and_issue_only_once_anchored_and_usable()
    {
        var (issuer, ledger) = await StartAsync();
        await using var _ = issuer;

        var rotated = await issuer.Send(new RotateKeys(Force: true));

        Assert.NotNull(rotated.PreparedKeyId);
        Assert.Equal(1, rotated.Anchored);
        var anchored = await ledger.GetAnchoredKeyAsync(rotated.PreparedKeyId!, default);
        Assert.NotNull(anchored);
        var row = await issuer.Db(db => db.TokenKeys.AsNoTracking().SingleAsync(k => k.Id == rotated.PreparedKeyId));
        Assert.Equal(KeyAnchoring.Anchored, row.Anchoring);
        Assert.Equal(anchored!.UsableFrom, row.UsableFrom);

        // A second pass anchors nothing again.
        Assert.Equal(0, (await issuer.Send(new RotateKeys())).Anchored);
        Assert.Equal(1, ledger.AnchorCalls);
    }

    [Fact]
    public async Task Issued_totals_are_anchored_cumulatively_and_only_when_they_grew()
    {
        var (issuer, ledger) = await StartAsync();
        await using var _ = issuer;
        var code = (await issuer.CreateCardsAsync(100))[0];
        var hash = code.ComputeHash().ToArray();
        await issuer.Db(db => db.Cards.Where(c => c.Hash == hash).ExecuteUpdateAsync(s => s.SetProperty(c => c.Funded, true)));
        await issuer.Send(new RedeemGiftCard(code, RandomNumberGenerator.GetBytes(16), Requests(issuer, 3)));

        Assert.Equal(1, await issuer.Send(new AnchorIssued()));
        Assert.Equal(3UL, ledger.IssuedAnchors["0x" + issuer.Key!.KeyIdHex]);
        Assert.Equal(0, await issuer.Send(new AnchorIssued()));

        await issuer.Send(new RedeemGiftCard(code, RandomNumberGenerator.GetBytes(16), Requests(issuer, 2)));
        Assert.Equal(1, await issuer.Send(new AnchorIssued()));
        Assert.Equal(5UL, ledger.IssuedAnchors["0x" + issuer.Key!.KeyIdHex]);
    }

    [Fact]
    public async Task A_development_data_directory_is_never_bound_to_a_ledger()
    {
        await using var issuer = await TestIssuer.StartAsync();
        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(() => DataDirectory.OpenAsync(issuer.Settings, IssuerMode.Ledger, "0xabc"));
        Assert.Contains("development mode", thrown.Message, StringComparison.Ordinal);
    }
}
