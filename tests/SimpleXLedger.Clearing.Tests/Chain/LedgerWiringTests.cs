using SimpleXLedger.Chain.Devnet;
using SimpleXLedger.Chain.Receipts;
using SimpleXLedger.Clearing.Client;
using SimpleXLedger.Clearing.Receipts;
using SimpleXLedger.Clearing.Redemption;
using SimpleXLedger.Clearing.Registry;
using SimpleXLedger.Clearing.Tests.Support;
using SimpleXLedger.Protos.Clearing;
using SimpleXLedger.Testing.Chain;

namespace SimpleXLedger.Clearing.Tests.Chain;

/// <summary>
/// The clearing house on a real ledger (Anvil): keys, windows and issued totals from the registry, judged by
/// the latest block time; receipts checked by the ledger contract's own EIP-712 verification.
/// </summary>
[Collection(AnvilCollection.Name)]
public sealed class LedgerWiringTests(AnvilFixture anvil)
{
    [Fact]
    public async Task Redemption_follows_the_registry_windows_by_block_time_and_the_anchored_issued_totals_and_receipts_hold_on_chain()
    {
        using var chain = await ChainSetup.DeployAsync(anvil.RpcUrl);
        // Redeemable long enough after issuing for the issuer's time to anchor to run out first.
        var allowance = AnchoringAllowance.Default;
        var anchoringSeconds = (ulong)(allowance.Period + allowance.Grace).TotalSeconds;
        var (usableFrom, issueUntil, redeemUntil) = await chain.AnchorKeyWindowsAsync(TestTokens.KeyA.PublicKey, credits: 100, issued: 3, redeemAfterIssue: anchoringSeconds + 1000);
        var registry = new ChainKeyRegistry(chain.Reader, TimeSpan.Zero);
        var identity = new ClearingIdentity(DevAccounts.ClearingHouse.Key, chain.ChainId, chain.Deployment.Ledger);
        await using var host = await ServerHarness.StartAsync(registry, identity);
        using var key = await host.RegisterAsync(DevAccounts.OperatorA);
        using var client = await ClearingClient.ConnectAsync(host.Address);
        Assert.Equal((chain.ChainId, identity.Ledger, false), (client.Info.ChainId, client.Info.Ledger, client.Info.DevelopmentMode));
        var tokens = TokenPool.ASlice(120, 6).Select(t => (ReadOnlyMemory<byte>)t).ToArray();

        Task<RedeemResult> Redeem(params ReadOnlyMemory<byte>[] batch) =>
            client.RedeemAsync(client.SignBatch(key, ClearingClient.NewBatchId(), new byte[16], batch), TimeSpan.FromSeconds(30));

        // Anchored, but not usable yet by the chain's clock; a key the registry does not have is unknown.
        Assert.Equal([TokenOutcome.KeyNotRedeemable, TokenOutcome.UnknownKey], (await Redeem(tokens[0], TokenPool.B[0])).Outcomes);

        // At usableFrom: usable. Three were anchored as issued: the other two are refused for now, as not yet anchored
        // (the key is issuing, so the issuer may still anchor them), without the alarm.
        await chain.MineAtAsync(usableFrom);
        var first = await Redeem(tokens[..5]);
        Assert.Equal([TokenOutcome.Accepted, TokenOutcome.Accepted, TokenOutcome.Accepted, TokenOutcome.NotYetAnchored, TokenOutcome.NotYetAnchored], first.Outcomes);
        Assert.Equal((2L, 0L), (host.Server.Metrics.NotYetAnchoredTotal, host.Server.Metrics.OverIssuedTotal));

        // The receipt is valid by the ledger's own verification; a changed count is not.
        var receipt = OnChain(first.Receipt);
        Assert.Equal((DevAccounts.OperatorA.Address, 3UL), (receipt.Receipt.Payee, receipt.Receipt.AcceptedInEpoch));
        Assert.True(await chain.Reader.IsValidReceiptOnChainAsync(receipt));
        Assert.Equal(DevAccounts.ClearingHouse.Address, await chain.Reader.ReceiptSignerOnChainAsync(receipt), StringComparer.OrdinalIgnoreCase);
        Assert.False(await chain.Reader.IsValidReceiptOnChainAsync(receipt with { Receipt = receipt.Receipt with { AcceptedInEpoch = 4 } }));

        // The issuer anchors more: the two refused tokens now go through.
        await chain.Issuer.AnchorIssuedAsync(TestTokens.KeyA.PublicKey.KeyId.ToArray(), 6);
        var second = await Redeem(tokens[3], tokens[4], tokens[5]);
        Assert.All(second.Outcomes, o => Assert.Equal(TokenOutcome.Accepted, o));
        Assert.Equal(6UL, second.Receipt.AcceptedInEpoch);
        Assert.True(await chain.Reader.IsValidReceiptOnChainAsync(OnChain(second.Receipt)));

        // Still "not yet" one second before the issuer's time to anchor runs out (one period and the grace after the
        // key's issuing window, by block time); from then on, a token beyond the total is over-issued: the alarm.
        var beyond = TokenPool.ASlice(126, 1)[0];
        await chain.MineAtAsync(issueUntil + anchoringSeconds - 1);
        Assert.Equal([TokenOutcome.NotYetAnchored], (await Redeem(beyond)).Outcomes);
        await chain.MineAtAsync(issueUntil + anchoringSeconds);
        Assert.Equal([TokenOutcome.OverIssued], (await Redeem(beyond)).Outcomes);
        Assert.Equal((3L, 1L), (host.Server.Metrics.NotYetAnchoredTotal, host.Server.Metrics.OverIssuedTotal));

        // At redeemUntil the key's tokens are refused.
        await chain.Issuer.AnchorIssuedAsync(TestTokens.KeyA.PublicKey.KeyId.ToArray(), 7);
        await chain.MineAtAsync(redeemUntil);
        Assert.Equal([TokenOutcome.KeyNotRedeemable], (await Redeem(TokenPool.ASlice(130, 1)[0])).Outcomes);
    }

    private static SignedReceipt OnChain(SignedBatchReceipt r) =>
        new(new SimpleXLedger.Chain.Receipts.Receipt(r.Payee, r.Epoch, r.AcceptedInEpoch, r.BatchId), r.Signature);
}
