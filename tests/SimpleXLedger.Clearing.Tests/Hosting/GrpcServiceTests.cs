using Google.Protobuf;
using Grpc.Core;
using SimpleXLedger.Chain.Devnet;
using SimpleXLedger.Chain.Receipts;
using SimpleXLedger.Clearing.Client;
using SimpleXLedger.Clearing.Tests.Support;
using SimpleXLedger.Protos.Clearing;
using SimpleXLedger.Relay.Metering.Tokens;

namespace SimpleXLedger.Clearing.Tests.Hosting;

/// <summary>The clearing house over real gRPC/TLS on loopback, through the relay's client and redeemer.</summary>
public sealed class GrpcServiceTests : IAsyncLifetime
{
    private ServerHarness _host = null!;
    private string _directory = null!;

    public async Task InitializeAsync()
    {
        _host = await ServerHarness.StartAsync();
        _directory = Directory.CreateTempSubdirectory("sxl-relay-side-").FullName;
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task The_redeemer_batches_concurrent_callers_stores_every_receipt_and_answers_each_caller_in_order()
    {
        using var key = await _host.RegisterAsync(DevAccounts.OperatorA);
        var log = Path.Combine(_directory, ReceiptLog.DefaultFileName);
        var tokens = TokenPool.ASlice(0, 36);
        List<IReadOnlyList<RedemptionOutcome>> answers;
        long batches;
        await using (var redeemer = _host.Redeemer(key, window: TimeSpan.FromMilliseconds(300), receiptLog: log))
        {
            // Twelve callers (queues) at once, three tokens each; the second of each is a token already in
            // the same call, so each caller also sees one refusal in its own position.
            var calls = Enumerable.Range(0, 12).Select(i => Task.Run(async () =>
                await redeemer.RedeemAsync([tokens[3 * i], tokens[3 * i], tokens[(3 * i) + 1]], CancellationToken.None))).ToArray();
            answers = [.. await Task.WhenAll(calls)];
            batches = redeemer.Batches;
        }

        Assert.All(answers, a => Assert.Equal([RedemptionOutcome.Accepted, RedemptionOutcome.AlreadySpent, RedemptionOutcome.Accepted], a));
        Assert.InRange(batches, 1, 11);

        var receipts = ReceiptLog.ReadAll(log);
        Assert.Equal(batches, receipts.Count);
        Assert.Equal(24, receipts.Sum(r => r.Accepted));
        Assert.Equal(24UL, receipts.Max(r => r.AcceptedInEpoch));
        var signer = new ReceiptSigner(31337, ClearingHarness.Ledger);
        Assert.All(receipts, r => Assert.True(signer.Verify(
            new SignedReceipt(new SimpleXLedger.Chain.Receipts.Receipt(r.Payee, r.Epoch, r.AcceptedInEpoch, r.BatchIdBytes), r.SignatureBytes),
            DevAccounts.ClearingHouse.Address)));
        Assert.All(receipts, r => Assert.Equal(DevAccounts.ClearingHouse.Address, r.ClearingHouse));
    }

    [Fact]
    public async Task A_relay_retrying_gets_its_tokens_accepted_again_and_another_relay_gets_them_refused_as_spent()
    {
        using var keyA = await _host.RegisterAsync(DevAccounts.OperatorA);
        using var keyB = await _host.RegisterAsync(DevAccounts.OperatorB);
        var tokens = TokenPool.ASlice(40, 4).Select(t => (ReadOnlyMemory<byte>)t).ToArray();
        var relayId = System.Security.Cryptography.RandomNumberGenerator.GetBytes(16);
        var logA = Path.Combine(_directory, "a.jsonl");

        await using (var relayA = _host.Redeemer(keyA, relayId, receiptLog: logA))
        {
            Assert.All(await relayA.RedeemAsync(tokens, CancellationToken.None), o => Assert.Equal(RedemptionOutcome.Accepted, o));
        }

        // The same relay after a restart (same redeemer id): accepted again, counted once.
        await using (var restarted = _host.Redeemer(keyA, relayId, receiptLog: logA))
        {
            Assert.All(await restarted.RedeemAsync(tokens, CancellationToken.None), o => Assert.Equal(RedemptionOutcome.Accepted, o));
        }

        await using (var relayB = _host.Redeemer(keyB))
        {
            Assert.All(await relayB.RedeemAsync(tokens, CancellationToken.None), o => Assert.Equal(RedemptionOutcome.AlreadySpent, o));
        }

        var receipts = ReceiptLog.ReadAll(logA);
        Assert.Equal([4, 0], receipts.Select(r => r.Accepted));
        Assert.All(receipts, r => Assert.Equal(4UL, r.AcceptedInEpoch));
    }

    [Fact]
    public async Task A_token_not_yet_anchored_reaches_the_relay_as_retry_later_and_is_accepted_once_the_issuer_anchors_it()
    {
        var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var registry = new Registry.StaticKeyRegistry([TestTokens.Registered(TestTokens.KeyA, now - 60, now + 3600, issued: 1)]);
        await using var host = await ServerHarness.StartAsync(registry);
        using var key = await host.RegisterAsync(DevAccounts.OperatorA);
        var tokens = TokenPool.ASlice(60, 2).Select(t => (ReadOnlyMemory<byte>)t).ToArray();
        await using var redeemer = host.Redeemer(key);

        Assert.Equal([RedemptionOutcome.Accepted, RedemptionOutcome.RetryLater], await redeemer.RedeemAsync(tokens, CancellationToken.None));
        Assert.Equal((1L, 1L, 0L), (redeemer.Accepted, redeemer.Later, redeemer.Refused));
        Assert.Equal((1L, 0L), (host.Server.Metrics.NotYetAnchoredTotal, host.Server.Metrics.OverIssuedTotal));

        // The issuer anchors it: the retry (a new batch) is accepted; the first token again for this same relay.
        registry.Put(TestTokens.Registered(TestTokens.KeyA, now - 60, now + 3600, issued: 2));
        Assert.Equal([RedemptionOutcome.Accepted, RedemptionOutcome.Accepted], await redeemer.RedeemAsync(tokens, CancellationToken.None));
        Assert.Equal((3L, 1L, 0L), (redeemer.Accepted, redeemer.Later, redeemer.Refused));
    }

    [Fact]
    public async Task An_unregistered_operator_or_an_unreachable_clearing_house_makes_the_redeemer_unavailable()
    {
        using var stranger = OperatorKey.Generate();
        var token = new ReadOnlyMemory<byte>[] { TokenPool.ASlice(50, 1)[0] };
        await using (var redeemer = _host.Redeemer(stranger))
        {
            var refused = await Assert.ThrowsAsync<RedeemerUnavailableException>(async () => await redeemer.RedeemAsync(token, CancellationToken.None));
            Assert.Contains("UnknownOperator", refused.Message, StringComparison.Ordinal);
        }

        var nowhere = _host.Address with { Port = SimpleXLedger.Testing.FreePort.Next() };
        await using var lost = new ClearingTokenRedeemer(
            new ClearingRedeemerOptions { Address = nowhere, RetryFor = TimeSpan.FromMilliseconds(300) },
            stranger,
            new byte[16]);
        await Assert.ThrowsAsync<RedeemerUnavailableException>(async () => await lost.RedeemAsync(token, CancellationToken.None));
    }

    [Fact]
    public async Task A_clearing_house_with_another_certificate_is_refused()
    {
        var impostor = _host.Address with { Fingerprint = new byte[32] };
        var refused = await Assert.ThrowsAsync<ClearingException>(() => ClearingClient.ConnectAsync(impostor));
        Assert.Equal("WrongCertificate", refused.Reason);
        Assert.False(refused.IsTransient);
    }

    [Fact]
    public async Task Malformed_requests_fail_with_a_typed_reason_and_change_nothing()
    {
        using var key = await _host.RegisterAsync(DevAccounts.OperatorA);
        using var client = await ClearingClient.ConnectAsync(_host.Address);
        var good = client.SignBatch(key, ClearingClient.NewBatchId(), new byte[16], [TokenPool.ASlice(60, 1)[0]]);

        async Task<ClearingException> Refused(RedeemRequest request) =>
            await Assert.ThrowsAsync<ClearingException>(() => client.RedeemAsync(request, TimeSpan.FromSeconds(10)));

        var shortId = good.Clone();
        shortId.BatchId = ByteString.CopyFrom(new byte[5]);
        Assert.Equal((StatusCode.InvalidArgument, "BadRequest"), ((await Refused(shortId)).Status, (await Refused(shortId)).Reason));

        var empty = client.SignBatch(key, ClearingClient.NewBatchId(), new byte[16], []);
        Assert.Equal("BadRequest", (await Refused(empty)).Reason);

        var tooMany = client.SignBatch(key, ClearingClient.NewBatchId(), new byte[16], Enumerable.Repeat((ReadOnlyMemory<byte>)new byte[10], 1025).ToArray());
        Assert.Equal((StatusCode.InvalidArgument, "TooManyTokens"), ((await Refused(tooMany)).Status, (await Refused(tooMany)).Reason));

        var badSignature = good.Clone();
        badSignature.Signature = ByteString.CopyFrom(new byte[64]);
        Assert.Equal((StatusCode.Unauthenticated, "BadSignature"), ((await Refused(badSignature)).Status, (await Refused(badSignature)).Reason));

        // The well-formed batch still goes through afterwards: the refusals recorded nothing.
        var result = await client.RedeemAsync(good, TimeSpan.FromSeconds(10));
        Assert.Equal([TokenOutcome.Accepted], result.Outcomes);
        Assert.Equal(1UL, result.Receipt.AcceptedInEpoch);

        var info = await client.RefreshInfoAsync();
        Assert.Equal((1UL, DevAccounts.ClearingHouse.Address, true), (info.CurrentEpoch, info.ClearingHouse, info.DevelopmentMode));
    }
}
