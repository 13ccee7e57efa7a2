using System.Security.Cryptography;
using SimpleXLedger.Chain.Contracts;
using SimpleXLedger.Chain.Tests.Fixtures;
using SimpleXLedger.Testing.Chain;

namespace SimpleXLedger.Chain.Tests.Ledger;

[Collection(AnvilCollection.Name)]
public sealed class KeyRegistryTests(AnvilFixture anvil)
{
    [Fact]
    public async Task An_anchored_key_carries_its_SPKI_and_becomes_the_issuing_key_in_its_window()
    {
        using var s = await LedgerScenario.CreateAsync(anvil);
        var p = s.Parameters;
        var spki = LedgerScenario.RandomSpki();
        var from = await s.NowAsync() + p.MinKeyDelay + 10;
        var (keyId, tx) = await s.StepAsync(() => s.Issuer.AnchorKeyAsync(spki, from, from + p.MinIssueWindow, from + p.MinIssueWindow + p.MinRedeemWindow));

        Assert.Equal(SHA256.HashData(spki), keyId);
        var anchored = Assert.Single((await s.Issuer.GetRegistryEventsAsync<KeyAnchoredEvent>(tx.BlockNumber)).Events).Event;
        Assert.Equal(spki, anchored.Spki);
        Assert.Equal(keyId, anchored.KeyId);
        Assert.Equal(spki, await s.Issuer.GetKeySpkiAsync(keyId));
        var key = await s.Issuer.GetKeyAsync(keyId);
        Assert.Equal((from, from + p.MinIssueWindow, from + p.MinIssueWindow + p.MinRedeemWindow), (key.UsableFrom, key.IssueUntil, key.RedeemUntil));

        Assert.Null(await s.Issuer.GetCurrentIssuingKeyAsync()); // not usable yet
        await s.AdvanceAsync(from - await s.NowAsync());
        var current = await s.Issuer.GetCurrentIssuingKeyAsync();
        Assert.NotNull(current);
        Assert.Equal(keyId, current.KeyId);
        Assert.Equal(spki, current.Spki);
        await s.AdvanceAsync(p.MinIssueWindow);
        Assert.Null(await s.Issuer.GetCurrentIssuingKeyAsync()); // issuing window over
    }

    [Fact]
    public async Task Keys_too_soon_too_short_overlapping_mismatched_or_from_others_are_refused()
    {
        using var s = await LedgerScenario.CreateAsync(anvil);
        var p = s.Parameters;
        var now = await s.NowAsync();
        var from = now + p.MinKeyDelay + 20;
        var issueUntil = from + p.MinIssueWindow;
        var redeemUntil = issueUntil + p.MinRedeemWindow;

        await s.RefusedAsync("KeyTooSoon", () => s.Issuer.AnchorKeyAsync(LedgerScenario.RandomSpki(), now + p.MinKeyDelay - 5, now + p.MinKeyDelay - 5 + p.MinIssueWindow, now + 10 * p.MinRedeemWindow));
        await s.RefusedAsync("IssueWindowTooShort", () => s.Issuer.AnchorKeyAsync(LedgerScenario.RandomSpki(), from, issueUntil - 1, redeemUntil));
        await s.RefusedAsync("RedeemWindowTooShort", () => s.Issuer.AnchorKeyAsync(LedgerScenario.RandomSpki(), from, issueUntil, redeemUntil - 1));
        var spki = LedgerScenario.RandomSpki();
        await s.RefusedAsync("SpkiMismatch", () => s.Issuer.AnchorKeyWithIdAsync(SHA256.HashData(LedgerScenario.RandomSpki()), spki, from, issueUntil, redeemUntil));
        await s.RefusedAsync("NotIssuer", () => s.Stranger.AnchorKeyAsync(LedgerScenario.RandomSpki(), from, issueUntil, redeemUntil));

        var (keyId, _) = await s.StepAsync(() => s.Issuer.AnchorKeyAsync(spki, from, issueUntil, redeemUntil));
        // An anchored key never changes: the same key cannot be anchored again with other windows.
        await s.RefusedAsync("KeyAlreadyAnchored", () => s.Issuer.AnchorKeyAsync(spki, issueUntil, issueUntil + p.MinIssueWindow, redeemUntil + p.MinIssueWindow));
        // Issuing windows never overlap; back to back is fine.
        await s.RefusedAsync("IssueWindowOverlap", () => s.Issuer.AnchorKeyAsync(LedgerScenario.RandomSpki(), issueUntil - 1, issueUntil - 1 + p.MinIssueWindow, redeemUntil + p.MinIssueWindow));
        await s.StepAsync(() => s.Issuer.AnchorKeyAsync(LedgerScenario.RandomSpki(), issueUntil, issueUntil + p.MinIssueWindow, redeemUntil + p.MinIssueWindow));
        var keys = await s.Issuer.GetKeysAsync();
        Assert.Equal(2, keys.Count);
        Assert.Equal(keyId, keys[0].KeyId);
        Assert.Equal((from, issueUntil), (keys[0].UsableFrom, keys[0].IssueUntil));
    }

    [Fact]
    public async Task A_revoked_key_stops_issuing_but_keeps_its_slot()
    {
        using var s = await LedgerScenario.CreateAsync(anvil);
        var p = s.Parameters;
        var from = await s.NowAsync() + p.MinKeyDelay + 5;
        var issueUntil = from + p.MinIssueWindow;
        var (keyId, _) = await s.StepAsync(() => s.Issuer.AnchorKeyAsync(LedgerScenario.RandomSpki(), from, issueUntil, issueUntil + p.MinRedeemWindow));
        await s.AdvanceAsync(p.MinKeyDelay + 10);
        Assert.Equal(keyId, (await s.Issuer.GetCurrentIssuingKeyAsync())!.KeyId);

        await s.RefusedAsync("NotIssuer", () => s.Stranger.RevokeKeyAsync(keyId));
        var tx = await s.StepAsync(() => s.Issuer.RevokeKeyAsync(keyId));
        Assert.Single((await s.Issuer.GetRegistryEventsAsync<KeyRevokedEvent>(tx.BlockNumber)).Events);
        Assert.Null(await s.Issuer.GetCurrentIssuingKeyAsync());
        var key = await s.Issuer.GetKeyAsync(keyId);
        Assert.True(key.Revoked);
        Assert.Equal((from, issueUntil), (key.UsableFrom, key.IssueUntil)); // windows unchanged
        await s.RefusedAsync("KeyAlreadyRevoked", () => s.Issuer.RevokeKeyAsync(keyId));
        // Its issuing slot stays taken: no replacement key may issue inside it.
        var soonest = await s.NowAsync() + p.MinKeyDelay + 5;
        await s.RefusedAsync("IssueWindowOverlap", () => s.Issuer.AnchorKeyAsync(LedgerScenario.RandomSpki(), soonest, soonest + p.MinIssueWindow, soonest + p.MinIssueWindow + p.MinRedeemWindow));
    }

    [Fact]
    public async Task Issued_totals_only_grow_and_never_exceed_the_credits_funded()
    {
        using var s = await LedgerScenario.CreateAsync(anvil);
        var p = s.Parameters;
        await s.FundBatchAsync(1_000);
        var from = await s.NowAsync() + p.MinKeyDelay + 5;
        var (first, _) = await s.StepAsync(() => s.Issuer.AnchorKeyAsync(LedgerScenario.RandomSpki(), from, from + p.MinIssueWindow, from + p.MinIssueWindow + p.MinRedeemWindow));
        var next = from + p.MinIssueWindow;
        var (second, _) = await s.StepAsync(() => s.Issuer.AnchorKeyAsync(LedgerScenario.RandomSpki(), next, next + p.MinIssueWindow, next + p.MinIssueWindow + p.MinRedeemWindow));

        var tx = await s.StepAsync(() => s.Issuer.AnchorIssuedAsync(first, 600));
        Assert.NotNull(tx);
        Assert.Null(await s.Issuer.AnchorIssuedAsync(first, 600)); // already anchored: nothing sent
        await s.RefusedAsync("IssuedDecreased", () => s.Issuer.AnchorIssuedAsync(first, 599));
        await s.RefusedAsync("IssuedExceedsFunded", () => s.Issuer.AnchorIssuedAsync(second, 401));
        await s.RefusedAsync("NotIssuer", () => s.Stranger.AnchorIssuedAsync(second, 1));
        await s.RefusedAsync("UnknownKey", () => s.Issuer.AnchorIssuedAsync(RandomNumberGenerator.GetBytes(32), 1));
        await s.StepAsync(() => s.Issuer.AnchorIssuedAsync(second, 400));
        Assert.Equal(1_000UL, await s.Issuer.TotalIssuedAsync());
        var events = await s.Issuer.GetRegistryEventsAsync<IssuedAnchoredEvent>(tx!.BlockNumber);
        Assert.Equal([600UL, 1_000UL], events.Events.Select(e => e.Event.TotalIssued));

        await s.FundBatchAsync(10);
        await s.StepAsync(() => s.Issuer.AnchorIssuedAsync(first, 610));
        Assert.Equal(610UL, (await s.Issuer.GetKeyAsync(first)).Issued);
    }
}
