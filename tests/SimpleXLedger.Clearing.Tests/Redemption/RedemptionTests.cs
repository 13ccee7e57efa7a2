using Microsoft.Extensions.DependencyInjection;
using SimpleXLedger.Chain.Devnet;
using SimpleXLedger.Chain.Receipts;
using SimpleXLedger.Clearing.Operators;
using SimpleXLedger.Clearing.Redemption;
using SimpleXLedger.Clearing.Storage;
using SimpleXLedger.Clearing.Tests.Support;
using Microsoft.EntityFrameworkCore;

namespace SimpleXLedger.Clearing.Tests.Redemption;

/// <summary>
/// Redemption against the spent-set, the registry and the issued totals. The same tests run on SQLite and on a
/// real PostgreSQL server (see the two subclasses); every test has a fresh database.
/// </summary>
public abstract class RedemptionTests
{
    protected abstract Task<ClearingDatabase> NewDatabaseAsync();

    private async Task<ClearingHarness> HarnessAsync(Func<ManualClock, IEnumerable<Registry.RegisteredKey>>? keys = null, Func<Registry.IKeyRegistry, Registry.IKeyRegistry>? wrapRegistry = null) =>
        await ClearingHarness.CreateAsync(await NewDatabaseAsync(), keys, wrapRegistry: wrapRegistry);

    private static ulong Start => 1_800_000_000;

    [Fact]
    public async Task Valid_tokens_are_accepted_with_a_receipt_signed_by_the_clearing_house_and_a_count_running_in_the_epoch()
    {
        await using var h = await HarnessAsync();
        using var op = await h.RegisterOperatorAsync(DevAccounts.OperatorA);

        var first = await h.RedeemAsync(op, TokenPool.ASlice(0, 5));
        Assert.Equal(RedeemStatus.Recorded, first.Status);
        Assert.All(first.Outcomes, o => Assert.Equal(TokenOutcomeCode.Accepted, o));
        Assert.Equal(5, first.Accepted);
        var receipt = first.Receipt!;
        Assert.Equal((DevAccounts.OperatorA.Address, 1UL, 5UL), (receipt.Receipt.Payee, receipt.Receipt.Epoch, receipt.Receipt.AcceptedInEpoch));
        Assert.True(h.Identity.Signer.Verify(receipt, DevAccounts.ClearingHouse.Address));
        Assert.False(h.Identity.Signer.Verify(receipt with { Receipt = receipt.Receipt with { AcceptedInEpoch = 6 } }, DevAccounts.ClearingHouse.Address));

        var second = await h.RedeemAsync(op, TokenPool.ASlice(5, 3));
        Assert.Equal(8UL, second.Receipt!.Receipt.AcceptedInEpoch);
        Assert.Equal(8, await h.SpentRowsAsync());
        Assert.Equal(8, await h.PayeeAcceptedAsync(op.Payee, 1));
        Assert.Equal(8, await h.KeyAcceptedAsync(TestTokens.KeyA.PublicKey));
    }

    [Fact]
    public async Task A_token_twice_in_one_batch_is_accepted_once()
    {
        await using var h = await HarnessAsync();
        using var op = await h.RegisterOperatorAsync(DevAccounts.OperatorA);
        var t = TokenPool.ASlice(0, 2);

        var outcome = await h.RedeemAsync(op, [t[0], t[1], t[0]]);

        Assert.Equal([TokenOutcomeCode.Accepted, TokenOutcomeCode.Accepted, TokenOutcomeCode.Spent], outcome.Outcomes);
        Assert.Equal(2UL, outcome.Receipt!.Receipt.AcceptedInEpoch);
        Assert.Equal(2, await h.SpentRowsAsync());
    }

    [Fact]
    public async Task A_token_spent_at_one_relay_is_refused_at_another()
    {
        await using var h = await HarnessAsync();
        using var a = await h.RegisterOperatorAsync(DevAccounts.OperatorA);
        using var b = await h.RegisterOperatorAsync(DevAccounts.OperatorB);
        var t = TokenPool.ASlice(0, 2);

        Assert.Equal([TokenOutcomeCode.Accepted], (await h.RedeemAsync(a, [t[0]])).Outcomes);
        var atB = await h.RedeemAsync(b, [t[0], t[1]]);

        Assert.Equal([TokenOutcomeCode.Spent, TokenOutcomeCode.Accepted], atB.Outcomes);
        Assert.Equal(1UL, atB.Receipt!.Receipt.AcceptedInEpoch);
        Assert.Equal(1, await h.PayeeAcceptedAsync(a.Payee, 1));
        Assert.Equal(1, await h.PayeeAcceptedAsync(b.Payee, 1));
    }

    [Fact]
    public async Task A_relay_retrying_a_token_it_had_accepted_gets_it_accepted_again_without_a_second_count_and_no_other_relay_does()
    {
        await using var h = await HarnessAsync();
        using var op = await h.RegisterOperatorAsync(DevAccounts.OperatorA);
        var t = TokenPool.ASlice(0, 2);
        await h.RedeemAsync(op, [t[0]]);

        // The same relay, a new batch (it crashed before crediting and tries again).
        var again = await h.RedeemAsync(op, [t[0], t[1]]);
        Assert.Equal([TokenOutcomeCode.AcceptedEarlier, TokenOutcomeCode.Accepted], again.Outcomes);
        Assert.Equal(1, again.Accepted);
        Assert.Equal(2UL, again.Receipt!.Receipt.AcceptedInEpoch);

        // Another relay of the same operator (another redeemer id) must not get it credited.
        var otherRelay = await h.RedeemAsync(op.WithRedeemer(new byte[16]), [t[0]]);
        Assert.Equal([TokenOutcomeCode.Spent], otherRelay.Outcomes);
        Assert.Equal(2, await h.PayeeAcceptedAsync(op.Payee, 1));
        Assert.Equal(2, await h.SpentRowsAsync());
    }

    [Fact]
    public async Task Concurrent_redemptions_of_the_same_tokens_at_two_relays_accept_each_token_exactly_once()
    {
        await using var h = await HarnessAsync();
        using var a = await h.RegisterOperatorAsync(DevAccounts.OperatorA);
        using var b = await h.RegisterOperatorAsync(DevAccounts.OperatorB);
        const int count = 160;
        const int perBatch = 10;
        var tokens = TokenPool.ASlice(0, count);

        // Relay A goes through the tokens forwards, relay B backwards, every batch of both at once.
        var calls = new List<(bool AtA, int[] Indexes, Task<RedeemBatchOutcome> Call)>();
        for (var start = 0; start < count; start += perBatch)
        {
            var forwards = Enumerable.Range(start, perBatch).ToArray();
            var backwards = forwards.Select(i => count - 1 - i).ToArray();
            calls.Add((true, forwards, Task.Run(() => h.RedeemAsync(a, forwards.Select(i => tokens[i]).ToArray()))));
            calls.Add((false, backwards, Task.Run(() => h.RedeemAsync(b, backwards.Select(i => tokens[i]).ToArray()))));
        }

        await Task.WhenAll(calls.Select(c => c.Call));

        var acceptedBy = new int[count];
        var spent = new int[count];
        long atA = 0, atB = 0;
        ulong lastA = 0, lastB = 0;
        foreach (var (isA, indexes, call) in calls)
        {
            var outcome = await call;
            Assert.Equal(RedeemStatus.Recorded, outcome.Status);
            for (var i = 0; i < indexes.Length; i++)
            {
                switch (outcome.Outcomes[i])
                {
                    case TokenOutcomeCode.Accepted:
                        acceptedBy[indexes[i]]++;
                        break;
                    case TokenOutcomeCode.Spent:
                        spent[indexes[i]]++;
                        break;
                    default:
                        Assert.Fail($"unexpected outcome {outcome.Outcomes[i]}");
                        break;
                }
            }

            if (isA)
            {
                atA += outcome.Accepted;
                lastA = Math.Max(lastA, outcome.Receipt!.Receipt.AcceptedInEpoch);
            }
            else
            {
                atB += outcome.Accepted;
                lastB = Math.Max(lastB, outcome.Receipt!.Receipt.AcceptedInEpoch);
            }
        }

        Assert.All(acceptedBy, n => Assert.Equal(1, n));
        Assert.All(spent, n => Assert.Equal(1, n));
        Assert.Equal(count, atA + atB);

        // The receipts' running counts end at each payee's total, and the books agree with them.
        Assert.Equal((ulong)atA, lastA);
        Assert.Equal((ulong)atB, lastB);
        Assert.Equal(atA, await h.PayeeAcceptedAsync(a.Payee, 1));
        Assert.Equal(atB, await h.PayeeAcceptedAsync(b.Payee, 1));
        Assert.Equal(count, await h.SpentRowsAsync());
        Assert.Equal(count, await h.KeyAcceptedAsync(TestTokens.KeyA.PublicKey));
    }

    [Fact]
    public async Task A_retried_batch_returns_the_same_outcomes_and_receipt_and_counts_nothing_again()
    {
        await using var h = await HarnessAsync();
        using var a = await h.RegisterOperatorAsync(DevAccounts.OperatorA);
        using var b = await h.RegisterOperatorAsync(DevAccounts.OperatorB);
        var t = TokenPool.ASlice(0, 3);
        var batchId = new byte[32];
        batchId[0] = 7;

        var first = await h.RedeemAsync(a, [t[0], t[0], t[1]], batchId);
        var state = await h.StateAsync();
        var retry = await h.RedeemAsync(a, [t[0], t[0], t[1]], batchId);

        Assert.Equal(RedeemStatus.Recorded, first.Status);
        Assert.Equal(RedeemStatus.Replayed, retry.Status);
        Assert.Equal(first.Outcomes, retry.Outcomes);
        Assert.Equal(first.Receipt!.Receipt.AcceptedInEpoch, retry.Receipt!.Receipt.AcceptedInEpoch);
        Assert.Equal(first.Receipt.Signature, retry.Receipt.Signature);
        Assert.Equal(state, await h.StateAsync());

        // Another body, or another operator, under a used batch id: refused, nothing changes.
        Assert.Equal(RedeemStatus.BatchIdReused, (await h.RedeemAsync(a, [t[0], t[2]], batchId)).Status);
        Assert.Equal(RedeemStatus.BatchIdReused, (await h.RedeemAsync(b, [t[0], t[0], t[1]], batchId)).Status);
        Assert.Equal(RedeemStatus.BatchIdReused, (await h.RedeemAsync(a.WithRedeemer(new byte[16]), [t[0], t[0], t[1]], batchId)).Status);
        Assert.Equal(state, await h.StateAsync());
    }

    [Fact]
    public async Task A_batch_that_accepted_nothing_leaves_no_row_and_no_payee_count_and_still_gets_a_verifiable_receipt()
    {
        await using var h = await HarnessAsync();
        using var a = await h.RegisterOperatorAsync(DevAccounts.OperatorA);
        using var b = await h.RegisterOperatorAsync(DevAccounts.OperatorB);
        var t = TokenPool.ASlice(0, 3);
        Assert.Equal(3, (await h.RedeemAsync(a, t)).Accepted);
        var state = await h.StateAsync();
        Assert.Equal((3L, 1L, 3L, 3L), state);

        // The same tokens shown again, at another operator (its payee has no count yet) and at another relay of A.
        var batchId = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var atB = await h.RedeemAsync(b, t, batchId);
        var atA2 = await h.RedeemAsync(a.WithRedeemer(new byte[16]), [t[0], t[1][..50]]);

        Assert.Equal((RedeemStatus.Recorded, 0), (atB.Status, atB.Accepted));
        Assert.All(atB.Outcomes, o => Assert.Equal(TokenOutcomeCode.Spent, o));
        Assert.Equal([TokenOutcomeCode.Spent, TokenOutcomeCode.Malformed], atA2.Outcomes);
        Assert.Equal(state, await h.StateAsync());
        Assert.Equal(0, await PayeeRowsAsync(h, b.Payee));

        // Each receipt carries its payee's running count as it stands (read, not written), signed by the house.
        Assert.Equal((DevAccounts.OperatorB.Address, 1UL, 0UL), (atB.Receipt!.Receipt.Payee, atB.Receipt.Receipt.Epoch, atB.Receipt.Receipt.AcceptedInEpoch));
        Assert.Equal((1UL, 3UL), (atA2.Receipt!.Receipt.Epoch, atA2.Receipt.Receipt.AcceptedInEpoch));
        Assert.True(h.Identity.Signer.Verify(atB.Receipt, DevAccounts.ClearingHouse.Address));
        Assert.True(h.Identity.Signer.Verify(atA2.Receipt, DevAccounts.ClearingHouse.Address));

        // Not idempotent by storage: a retry with the same id is worked out again, with the same answer, still nothing stored.
        var retry = await h.RedeemAsync(b, t, batchId);
        Assert.Equal(RedeemStatus.Recorded, retry.Status);
        Assert.Equal(atB.Outcomes, retry.Outcomes);
        Assert.Equal(atB.Receipt.Signature, retry.Receipt!.Signature);
        Assert.Equal(state, await h.StateAsync());

        // A batch that accepted nothing does not hide a later count: A's next batch counts on from 3.
        Assert.Equal(4UL, (await h.RedeemAsync(a, TokenPool.ASlice(3, 1))).Receipt!.Receipt.AcceptedInEpoch);
    }

    [Fact]
    public async Task A_mixed_batch_still_stores_its_row_and_a_retry_is_answered_from_it()
    {
        await using var h = await HarnessAsync();
        using var a = await h.RegisterOperatorAsync(DevAccounts.OperatorA);
        using var b = await h.RegisterOperatorAsync(DevAccounts.OperatorB);
        var t = TokenPool.ASlice(0, 3);
        await h.RedeemAsync(a, [t[0]]);
        var batchId = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);

        var mixed = await h.RedeemAsync(b, [t[0], t[1], t[2][..10]], batchId);

        Assert.Equal([TokenOutcomeCode.Spent, TokenOutcomeCode.Accepted, TokenOutcomeCode.Malformed], mixed.Outcomes);
        Assert.Equal((2L, 2L, 2L, 2L), await h.StateAsync());
        Assert.Equal(1, await PayeeRowsAsync(h, b.Payee));
        var retry = await h.RedeemAsync(b, [t[0], t[1], t[2][..10]], batchId);
        Assert.Equal(RedeemStatus.Replayed, retry.Status);
        Assert.Equal(mixed.Outcomes, retry.Outcomes);
        Assert.Equal(mixed.Receipt!.Signature, retry.Receipt!.Signature);
        Assert.Equal((2L, 2L, 2L, 2L), await h.StateAsync());
    }

    [Fact]
    public async Task A_batch_id_whose_first_call_accepted_nothing_is_recorded_by_a_later_call_that_accepts_and_counted_once()
    {
        await using var h = await HarnessAsync(_ => [TestTokens.Registered(TestTokens.KeyA, Start - 10, Start + 1000, issued: 0)]);
        using var op = await h.RegisterOperatorAsync(DevAccounts.OperatorA);
        var t = TokenPool.ASlice(0, 4);
        var batchId = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);

        // Nothing anchored yet: refused for now, and the batch leaves nothing behind.
        var first = await h.RedeemAsync(op, t, batchId);
        Assert.All(first.Outcomes, o => Assert.Equal(TokenOutcomeCode.NotYetAnchored, o));
        Assert.Equal((0L, 0L, 0L, 0L), await h.StateAsync());

        // Anchored: the relay's retry with the same id is worked out again and recorded; every call after it (eight at
        // once) is answered from that row, counting nothing again.
        h.Registry.Put(TestTokens.Registered(TestTokens.KeyA, Start - 10, Start + 1000, issued: 100));
        var again = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => h.RedeemAsync(op, t, batchId))));
        Assert.Single(again, o => o.Status == RedeemStatus.Recorded);
        Assert.All(again, o => Assert.Equal((4, 4UL), (o.Accepted, o.Receipt!.Receipt.AcceptedInEpoch)));
        Assert.Equal((4L, 1L, 4L, 4L), await h.StateAsync());
    }

    [Fact]
    public async Task Concurrent_sends_of_one_batch_that_accepts_nothing_count_nothing_and_leave_nothing()
    {
        await using var h = await HarnessAsync();
        using var a = await h.RegisterOperatorAsync(DevAccounts.OperatorA);
        using var b = await h.RegisterOperatorAsync(DevAccounts.OperatorB);
        var tokens = TokenPool.ASlice(0, 20);
        await h.RedeemAsync(a, tokens);
        var batchId = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);

        var all = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => h.RedeemAsync(b, tokens, batchId))));

        Assert.All(all, o => Assert.Equal((RedeemStatus.Recorded, 0, 0UL), (o.Status, o.Accepted, o.Receipt!.Receipt.AcceptedInEpoch)));
        Assert.All(all, o => Assert.All(o.Outcomes, c => Assert.Equal(TokenOutcomeCode.Spent, c)));
        Assert.Equal((20L, 1L, 20L, 20L), await h.StateAsync());
        Assert.Equal(0, await PayeeRowsAsync(h, b.Payee));
    }

    private static async Task<int> PayeeRowsAsync(ClearingHarness h, string payee)
    {
        await using var db = h.Database.CreateContext();
        return await db.PayeeEpochs.CountAsync(p => p.Payee == payee);
    }

    [Fact]
    public async Task A_retry_is_answered_from_the_stored_batch_while_the_ledger_cannot_be_read_and_new_batches_wait()
    {
        SwitchableRegistry? chain = null;
        await using var h = await ClearingHarness.CreateAsync(await NewDatabaseAsync(), wrapRegistry: r => chain = new SwitchableRegistry(r));
        using var op = await h.RegisterOperatorAsync(DevAccounts.OperatorA);
        var batchId = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var first = await h.RedeemAsync(op, TokenPool.ASlice(0, 3), batchId);
        var state = await h.StateAsync();

        chain!.Down = true;
        var retry = await h.RedeemAsync(op, TokenPool.ASlice(0, 3), batchId);
        Assert.Equal(RedeemStatus.Replayed, retry.Status);
        Assert.Equal(first.Receipt!.Signature, retry.Receipt!.Signature);
        await Assert.ThrowsAsync<Registry.RegistryUnavailableException>(() => h.RedeemAsync(op, TokenPool.ASlice(3, 2)));
        Assert.Equal(state, await h.StateAsync());

        chain.Down = false;
        Assert.Equal(5UL, (await h.RedeemAsync(op, TokenPool.ASlice(3, 2))).Receipt!.Receipt.AcceptedInEpoch);
    }

    [Fact]
    public async Task Concurrent_sends_of_one_batch_record_it_once()
    {
        await using var h = await HarnessAsync();
        using var op = await h.RegisterOperatorAsync(DevAccounts.OperatorA);
        var tokens = TokenPool.ASlice(0, 20);
        var batchId = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);

        var all = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => h.RedeemAsync(op, tokens, batchId))));

        Assert.Single(all, o => o.Status == RedeemStatus.Recorded);
        Assert.All(all, o => Assert.Equal(20UL, o.Receipt!.Receipt.AcceptedInEpoch));
        Assert.All(all, o => Assert.Equal(all[0].Receipt!.Signature, o.Receipt!.Signature));
        Assert.Equal((20L, 1L, 20L, 20L), await h.StateAsync());
    }

    [Fact]
    public async Task Tokens_are_checked_against_the_registry_windows_at_its_latest_time_and_a_refusal_records_nothing()
    {
        // Key A becomes usable at Start + 50; key B stops being redeemable at Start + 20 (half-open windows).
        await using var h = await HarnessAsync(_ => [TestTokens.Registered(TestTokens.KeyA, Start + 50, Start + 200), TestTokens.Registered(TestTokens.KeyB, Start - 100, Start + 20)]);
        using var op = await h.RegisterOperatorAsync(DevAccounts.OperatorA);
        var a = TokenPool.ASlice(0, 1)[0];
        var b = TokenPool.B;

        Assert.Equal([TokenOutcomeCode.KeyNotRedeemable, TokenOutcomeCode.Accepted], (await h.RedeemAsync(op, [a, b[0]])).Outcomes);

        h.Clock.Advance(TimeSpan.FromSeconds(19));
        Assert.Equal([TokenOutcomeCode.Accepted], (await h.RedeemAsync(op, [b[1]])).Outcomes);

        h.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal([TokenOutcomeCode.KeyNotRedeemable], (await h.RedeemAsync(op, [b[2]])).Outcomes);

        h.Clock.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal([TokenOutcomeCode.KeyNotRedeemable], (await h.RedeemAsync(op, [a])).Outcomes);

        // At usableFrom the token refused earlier is accepted: the refusal left no trace.
        h.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal([TokenOutcomeCode.Accepted], (await h.RedeemAsync(op, [a])).Outcomes);
        Assert.Equal(3, await h.SpentRowsAsync());
    }

    [Fact]
    public async Task Malformed_tokens_unknown_keys_bad_signatures_and_other_challenges_are_refused_and_recorded_nowhere()
    {
        await using var h = await HarnessAsync(_ => [TestTokens.Registered(TestTokens.KeyA, Start - 10, Start + 1000)]);
        using var op = await h.RegisterOperatorAsync(DevAccounts.OperatorA);
        var good = TokenPool.ASlice(0, 2);
        var flipped = (byte[])good[1].Clone();
        flipped[^1] ^= 1;
        var wrongType = (byte[])good[1].Clone();
        wrongType[1] = 1;

        var outcome = await h.RedeemAsync(op, [good[0], good[1][..100], [.. good[1], 0], wrongType, [], TokenPool.B[0], flipped, TokenPool.ForOtherIssuer[0]]);

        Assert.Equal(
            [
                TokenOutcomeCode.Accepted, TokenOutcomeCode.Malformed, TokenOutcomeCode.Malformed, TokenOutcomeCode.Malformed, TokenOutcomeCode.Malformed,
                TokenOutcomeCode.UnknownKey, TokenOutcomeCode.InvalidSignature, TokenOutcomeCode.InvalidSignature,
            ],
            outcome.Outcomes);
        Assert.Equal(1UL, outcome.Receipt!.Receipt.AcceptedInEpoch);
        Assert.Equal((1L, 1L, 1L, 1L), await h.StateAsync());

        // The untouched token is still spendable.
        Assert.Equal([TokenOutcomeCode.Accepted], (await h.RedeemAsync(op, [good[1]])).Outcomes);
    }

    [Fact]
    public async Task Tokens_beyond_the_anchored_total_of_a_key_still_issuing_are_not_yet_anchored_without_an_alarm_and_accepted_once_anchored()
    {
        await using var h = await HarnessAsync(_ => [TestTokens.Registered(TestTokens.KeyA, Start - 10, Start + 1000, issued: 3)]);
        using var op = await h.RegisterOperatorAsync(DevAccounts.OperatorA);
        var t = TokenPool.ASlice(0, 6);

        var outcome = await h.RedeemAsync(op, t[..5]);

        // The issuer may still anchor them (the key is issuing): refused for now, nothing recorded, no alarm.
        Assert.Equal([TokenOutcomeCode.Accepted, TokenOutcomeCode.Accepted, TokenOutcomeCode.Accepted, TokenOutcomeCode.NotYetAnchored, TokenOutcomeCode.NotYetAnchored], outcome.Outcomes);
        Assert.Equal((3UL, 3), (outcome.Receipt!.Receipt.AcceptedInEpoch, outcome.Accepted));
        Assert.Equal((2L, 0L), (h.Metrics.NotYetAnchoredTotal, h.Metrics.OverIssuedTotal));
        Assert.Equal(3, await h.KeyAcceptedAsync(TestTokens.KeyA.PublicKey));
        Assert.Equal(3, await h.SpentRowsAsync());
        Assert.Equal(3, await h.PayeeAcceptedAsync(op.Payee, 1));

        // Retried before the issuer anchored: the same answer, still nothing recorded.
        Assert.Equal([TokenOutcomeCode.NotYetAnchored, TokenOutcomeCode.NotYetAnchored], (await h.RedeemAsync(op, [t[3], t[4]])).Outcomes);
        Assert.Equal((4L, 0L), (h.Metrics.NotYetAnchoredTotal, h.Metrics.OverIssuedTotal));
        Assert.Equal(3, await h.SpentRowsAsync());

        // The issuer anchors a higher total: the same tokens are accepted on retry; a double spend uses up nothing.
        h.Registry.Put(TestTokens.Registered(TestTokens.KeyA, Start - 10, Start + 1000, issued: 5));
        var later = await h.RedeemAsync(op, [t[0], t[3], t[4]]);
        Assert.Equal([TokenOutcomeCode.AcceptedEarlier, TokenOutcomeCode.Accepted, TokenOutcomeCode.Accepted], later.Outcomes);
        Assert.Equal(5UL, later.Receipt!.Receipt.AcceptedInEpoch);
        Assert.Equal(5, await h.KeyAcceptedAsync(TestTokens.KeyA.PublicKey));
        Assert.Equal(5, await h.SpentRowsAsync());

        // After the key's issuing window, until one anchoring period and the grace have passed, still "not yet".
        var allowance = AnchoringAllowance.Default;
        h.Clock.Advance(TimeSpan.FromSeconds(999) + allowance.Period + allowance.Grace);
        var key = TestTokens.Registered(TestTokens.KeyA, Start - 10, Start + 1000, issued: 5) with { RedeemUntil = Start + 100_000 };
        h.Registry.Put(key);
        Assert.Equal(allowance.AnchoringDeadline(key) - 1, h.Clock.UnixSeconds);
        Assert.Equal([TokenOutcomeCode.NotYetAnchored], (await h.RedeemAsync(op, [t[5]])).Outcomes);
        Assert.Equal((5L, 0L), (h.Metrics.NotYetAnchoredTotal, h.Metrics.OverIssuedTotal));
        Assert.Equal(5, await h.KeyAcceptedAsync(TestTokens.KeyA.PublicKey));
    }

    [Fact]
    public async Task Tokens_beyond_the_anchored_total_once_the_issuer_can_no_longer_anchor_them_are_over_issued_with_an_alarm()
    {
        // The key stopped issuing; at block time Start the issuer has one second left to anchor more.
        var allowance = AnchoringAllowance.Default;
        var issueUntil = Start + 1 - (ulong)(allowance.Period + allowance.Grace).TotalSeconds;
        var key = new Registry.RegisteredKey(TestTokens.KeyA.PublicKey, issueUntil - 5000, issueUntil, Start + 100_000, 0, 3);
        await using var h = await HarnessAsync(_ => [key]);
        using var op = await h.RegisterOperatorAsync(DevAccounts.OperatorA);
        var t = TokenPool.ASlice(0, 6);

        Assert.Equal([TokenOutcomeCode.Accepted, TokenOutcomeCode.Accepted, TokenOutcomeCode.Accepted, TokenOutcomeCode.NotYetAnchored], (await h.RedeemAsync(op, t[..4])).Outcomes);
        Assert.Equal((1L, 0L), (h.Metrics.NotYetAnchoredTotal, h.Metrics.OverIssuedTotal));

        // Its time is up: beyond the total is over-issued, refused with the alarm, still unrecorded.
        h.Clock.Advance(TimeSpan.FromSeconds(1));
        var outcome = await h.RedeemAsync(op, t[3..6]);
        Assert.Equal([TokenOutcomeCode.OverIssued, TokenOutcomeCode.OverIssued, TokenOutcomeCode.OverIssued], outcome.Outcomes);
        Assert.Equal((3UL, 0), (outcome.Receipt!.Receipt.AcceptedInEpoch, outcome.Accepted));
        Assert.Equal((1L, 3L), (h.Metrics.NotYetAnchoredTotal, h.Metrics.OverIssuedTotal));
        Assert.Equal(3, await h.KeyAcceptedAsync(TestTokens.KeyA.PublicKey));
        Assert.Equal(3, await h.SpentRowsAsync());

        // A total anchored late still counts: the refused tokens stay spendable and go through.
        h.Registry.Put(key with { Issued = 5 });
        Assert.Equal([TokenOutcomeCode.Accepted, TokenOutcomeCode.Accepted, TokenOutcomeCode.OverIssued], (await h.RedeemAsync(op, t[3..6])).Outcomes);
        Assert.Equal((1L, 4L), (h.Metrics.NotYetAnchoredTotal, h.Metrics.OverIssuedTotal));
        Assert.Equal(5, await h.KeyAcceptedAsync(TestTokens.KeyA.PublicKey));
    }

    [Fact]
    public async Task The_allowance_from_the_settings_decides_when_a_token_beyond_the_total_turns_over_issued()
    {
        // An issuer that anchors every 30 s, with a grace of 10 s: its key stopped issuing 39 s before Start, so at
        // Start it has one second left to anchor more (the default allowance would leave it almost two hours).
        var allowance = new AnchoringAllowance(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(10));
        var key = new Registry.RegisteredKey(TestTokens.KeyA.PublicKey, Start - 5000, Start - 39, Start + 100_000, 0, 2);
        await using var h = await ClearingHarness.CreateAsync(await NewDatabaseAsync(), _ => [key], allowance: allowance);
        using var op = await h.RegisterOperatorAsync(DevAccounts.OperatorA);
        var t = TokenPool.ASlice(0, 4);
        Assert.Equal(allowance, h.Settings.AnchoringAllowance);
        Assert.True(AnchoringAllowance.Default.MayStillAnchor(key, Start + 7000));

        Assert.Equal([TokenOutcomeCode.Accepted, TokenOutcomeCode.Accepted, TokenOutcomeCode.NotYetAnchored], (await h.RedeemAsync(op, t[..3])).Outcomes);
        Assert.Equal((1L, 0L), (h.Metrics.NotYetAnchoredTotal, h.Metrics.OverIssuedTotal));

        h.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal([TokenOutcomeCode.OverIssued, TokenOutcomeCode.OverIssued], (await h.RedeemAsync(op, t[2..4])).Outcomes);
        Assert.Equal((1L, 2L), (h.Metrics.NotYetAnchoredTotal, h.Metrics.OverIssuedTotal));
        Assert.Equal((2L, 1L, 2L, 2L), await h.StateAsync());
    }

    [Fact]
    public async Task A_revoked_key_gives_its_issuer_one_anchoring_period_and_the_grace_from_the_revocation()
    {
        var allowance = AnchoringAllowance.Default;
        var revokedAt = Start + 1 - (ulong)(allowance.Period + allowance.Grace).TotalSeconds;
        var key = new Registry.RegisteredKey(TestTokens.KeyA.PublicKey, revokedAt - 5000, Start + 50_000, Start + 100_000, revokedAt, 1);
        await using var h = await HarnessAsync(_ => [key]);
        using var op = await h.RegisterOperatorAsync(DevAccounts.OperatorA);
        var t = TokenPool.ASlice(0, 3);

        Assert.Equal([TokenOutcomeCode.Accepted, TokenOutcomeCode.NotYetAnchored], (await h.RedeemAsync(op, t[..2])).Outcomes);
        h.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal([TokenOutcomeCode.OverIssued, TokenOutcomeCode.OverIssued], (await h.RedeemAsync(op, t[1..3])).Outcomes);
        Assert.Equal((1L, 2L), (h.Metrics.NotYetAnchoredTotal, h.Metrics.OverIssuedTotal));
        Assert.Equal(1, await h.SpentRowsAsync());
    }

    [Fact]
    public async Task Epochs_are_consecutive_in_block_time_and_each_payee_count_restarts_in_each()
    {
        await using var h = await HarnessAsync();
        using var op = await h.RegisterOperatorAsync(DevAccounts.OperatorA);

        var one = await h.RedeemAsync(op, TokenPool.ASlice(0, 2));
        h.Clock.Advance(TimeSpan.FromSeconds(100));
        var two = await h.RedeemAsync(op, TokenPool.ASlice(2, 3));
        h.Clock.Advance(TimeSpan.FromSeconds(400)); // exactly the end of epoch 5: epoch 6 starts
        var six = await h.RedeemAsync(op, TokenPool.ASlice(5, 1));

        Assert.Equal((1UL, 2UL), (one.Receipt!.Receipt.Epoch, one.Receipt.Receipt.AcceptedInEpoch));
        Assert.Equal((2UL, 3UL), (two.Receipt!.Receipt.Epoch, two.Receipt.Receipt.AcceptedInEpoch));
        Assert.Equal((6UL, 1UL), (six.Receipt!.Receipt.Epoch, six.Receipt.Receipt.AcceptedInEpoch));

        await using var db = h.Database.CreateContext();
        var epochs = await db.Epochs.OrderBy(e => e.Number).ToListAsync();
        Assert.Equal([1L, 2, 3, 4, 5, 6], epochs.Select(e => e.Number));
        Assert.Equal([EpochState.Closing, EpochState.Closing, EpochState.Closing, EpochState.Closing, EpochState.Closing, EpochState.Open], epochs.Select(e => e.State));
        Assert.All(epochs.Zip(epochs.Skip(1)), p => Assert.Equal(p.First.EndsAt, p.Second.StartsAt));
        Assert.All(epochs, e => Assert.Equal(100, e.EndsAt - e.StartsAt));
    }

    [Fact]
    public async Task Batches_racing_an_epoch_boundary_each_land_in_one_epoch_and_a_closing_epoch_never_changes_again()
    {
        await using var h = await HarnessAsync();
        using var op = await h.RegisterOperatorAsync(DevAccounts.OperatorA);
        await h.RedeemAsync(op, TokenPool.ASlice(0, 1));
        var batches = Enumerable.Range(0, 40).Select(i => Task.Run(() => h.RedeemAsync(op, TokenPool.ASlice(1 + (4 * i), 4)))).ToList();

        // The epoch ends while batches are in flight; once epoch 1 is Closing its count is final.
        h.Clock.Advance(TimeSpan.FromSeconds(100));
        await h.Services.GetRequiredService<Epochs.EpochSchedule>().EnsureOpenAsync(h.Clock.UnixSeconds, CancellationToken.None);
        var closed = await h.PayeeAcceptedAsync(op.Payee, 1);
        var outcomes = await Task.WhenAll(batches);

        Assert.Equal(closed, await h.PayeeAcceptedAsync(op.Payee, 1));
        Assert.Equal(161, closed + await h.PayeeAcceptedAsync(op.Payee, 2));
        Assert.All(outcomes, o => Assert.InRange(o.Receipt!.Receipt.Epoch, 1UL, 2UL));
        Assert.Equal((ulong)closed, outcomes.Where(o => o.Receipt!.Receipt.Epoch == 1).Select(o => o.Receipt!.Receipt.AcceptedInEpoch).DefaultIfEmpty(1UL).Max());
        Assert.Equal((ulong)(161 - closed), outcomes.Where(o => o.Receipt!.Receipt.Epoch == 2).Select(o => o.Receipt!.Receipt.AcceptedInEpoch).DefaultIfEmpty(0UL).Max());
    }

    [Fact]
    public async Task An_unknown_operator_or_a_bad_batch_signature_is_refused_and_records_nothing()
    {
        await using var h = await HarnessAsync();
        using var op = await h.RegisterOperatorAsync(DevAccounts.OperatorA);
        using var stranger = new TestOperator(Client.OperatorKey.Generate(), DevAccounts.OperatorB.Address, new byte[16]);
        var tokens = TokenPool.ASlice(0, 2);

        Assert.Equal(RedeemStatus.UnknownOperator, (await h.RedeemAsync(stranger, tokens)).Status);

        var batch = ClearingHarness.Batch(h.Identity, op, tokens);
        var tampered = batch with { Tokens = [batch.Tokens[0]] };
        Assert.Equal(RedeemStatus.BadSignature, (await h.SendAsync(tampered)).Status);

        // Signed for another clearing house: refused here.
        var elsewhere = new SimpleXLedger.Clearing.Receipts.ClearingIdentity(DevAccounts.Users[0].Key, 31337, ClearingHarness.Ledger);
        Assert.Equal(RedeemStatus.BadSignature, (await h.SendAsync(ClearingHarness.Batch(elsewhere, op, tokens))).Status);
        Assert.Equal((0L, 0L, 0L, 0L), await h.StateAsync());
    }

    [Fact]
    public async Task Registration_needs_the_payee_and_operator_signatures_and_keeps_the_first_payee()
    {
        await using var h = await HarnessAsync();
        using var key = Client.OperatorKey.Generate();
        var payee = DevAccounts.OperatorA;
        var text = Client.ClearingProtocol.RegistrationMessage(h.Identity.Identity, key.PublicKey, payee.Address);
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        byte[] PersonalSign(DevAccount signer, string message) => Nethereum.Hex.HexConvertors.Extensions.HexByteConvertorExtensions.HexToByteArray(new Nethereum.Signer.EthereumMessageSigner().EncodeUTF8AndSign(message, signer.Key));

        Assert.Equal(RegisterStatus.BadPayeeSignature, (await h.SendAsync(new RegisterOperator(key.PublicKey, payee.Address, PersonalSign(DevAccounts.OperatorB, text), key.Sign(bytes)))).Status);
        Assert.Equal(RegisterStatus.BadOperatorSignature, (await h.SendAsync(new RegisterOperator(key.PublicKey, payee.Address, PersonalSign(payee, text), new byte[64]))).Status);

        // A recovery byte that is none (found by the audit's fuzzer: it was an unhandled exception, gRPC Unknown).
        foreach (var v in new byte[] { 0, 1, 26, 35, 0xFF })
        {
            var signature = PersonalSign(payee, text);
            signature[64] = v;
            Assert.Equal(RegisterStatus.BadPayeeSignature, (await h.SendAsync(new RegisterOperator(key.PublicKey, payee.Address, signature, key.Sign(bytes)))).Status);
        }

        Assert.Equal(RegisterStatus.Registered, (await h.SendAsync(new RegisterOperator(key.PublicKey, payee.Address.ToLowerInvariant(), PersonalSign(payee, text), key.Sign(bytes)))).Status);
        Assert.Equal(RegisterStatus.Replayed, (await h.SendAsync(new RegisterOperator(key.PublicKey, payee.Address, PersonalSign(payee, text), key.Sign(bytes)))).Status);

        var otherText = Client.ClearingProtocol.RegistrationMessage(h.Identity.Identity, key.PublicKey, DevAccounts.OperatorB.Address);
        var other = await h.SendAsync(new RegisterOperator(key.PublicKey, DevAccounts.OperatorB.Address, PersonalSign(DevAccounts.OperatorB, otherText), key.Sign(System.Text.Encoding.UTF8.GetBytes(otherText))));
        Assert.Equal((RegisterStatus.KeyRegisteredToAnotherPayee, payee.Address), (other.Status, other.Payee));

        await using var db = h.Database.CreateContext();
        Assert.Equal(payee.Address, (await db.Operators.SingleAsync()).Payee);
    }

    [Fact]
    public async Task Spent_rows_of_a_key_are_dropped_after_its_redeemUntil_and_the_counts_stay()
    {
        await using var h = await HarnessAsync(_ => [TestTokens.Registered(TestTokens.KeyA, Start - 10, Start + 1000), TestTokens.Registered(TestTokens.KeyB, Start - 10, Start + 20)]);
        using var op = await h.RegisterOperatorAsync(DevAccounts.OperatorA);
        await h.RedeemAsync(op, [.. TokenPool.ASlice(0, 2), .. TokenPool.B.Take(3)]);
        Assert.Equal(5, await h.SpentRowsAsync());

        await h.MaintainAsync();
        Assert.Equal(5, await h.SpentRowsAsync());

        h.Clock.Advance(TimeSpan.FromSeconds(20));
        await h.MaintainAsync();
        Assert.Equal(2, await h.SpentRowsAsync());
        Assert.Equal(5, await h.PayeeAcceptedAsync(op.Payee, 1));

        // Its tokens stay refused by the window, so the dropped nonces cannot be spent again.
        Assert.Equal([TokenOutcomeCode.KeyNotRedeemable], (await h.RedeemAsync(op, [TokenPool.B[0]])).Outcomes);
    }

    [Fact]
    public async Task A_batch_checked_before_its_key_expired_records_nothing_under_it_once_the_purge_has_run()
    {
        // The batch reads the registry while key B is still redeemable; before it records, the clock passes B's
        // redeemUntil and the purge drops B's nonces. The batch must not record B's token again.
        ClearingHarness? harness = null;
        var purgeDuringNextSnapshot = false;
        await using var h = harness = await HarnessAsync(
            _ => [TestTokens.Registered(TestTokens.KeyA, Start - 10, Start + 1000), TestTokens.Registered(TestTokens.KeyB, Start - 10, Start + 20)],
            inner => new HookedRegistry(inner, async () =>
            {
                if (purgeDuringNextSnapshot)
                {
                    purgeDuringNextSnapshot = false;
                    harness!.Clock.Advance(TimeSpan.FromSeconds(20));
                    await harness.MaintainAsync();
                }
            }));
        using var op = await h.RegisterOperatorAsync(DevAccounts.OperatorA);
        var b = TokenPool.B[0];
        Assert.Equal([TokenOutcomeCode.Accepted], (await h.RedeemAsync(op, [b])).Outcomes);

        purgeDuringNextSnapshot = true;
        var again = await h.RedeemAsync(op, [b, TokenPool.A[0]]);

        Assert.Equal([TokenOutcomeCode.KeyNotRedeemable, TokenOutcomeCode.Accepted], again.Outcomes);
        Assert.Equal(2, await h.PayeeAcceptedAsync(op.Payee, 1));
        Assert.Equal(1, await h.SpentRowsAsync());
        Assert.Equal(1, await h.KeyAcceptedAsync(TestTokens.KeyB.PublicKey));
    }

    [Fact]
    public async Task A_purge_after_a_batch_recorded_under_its_key_drops_that_batch_nonces_too()
    {
        await using var h = await HarnessAsync(_ => [TestTokens.Registered(TestTokens.KeyA, Start - 10, Start + 1000), TestTokens.Registered(TestTokens.KeyB, Start - 10, Start + 20)]);
        using var op = await h.RegisterOperatorAsync(DevAccounts.OperatorA);
        Assert.Equal([TokenOutcomeCode.Accepted], (await h.RedeemAsync(op, [TokenPool.B[0]])).Outcomes);

        h.Clock.Advance(TimeSpan.FromSeconds(20));
        await h.MaintainAsync();
        Assert.Equal(0, await h.SpentRowsAsync());
        Assert.Equal([TokenOutcomeCode.KeyNotRedeemable], (await h.RedeemAsync(op, [TokenPool.B[0]])).Outcomes);
    }

    /// <summary>A registry that runs a hook after reading its snapshot and before handing it out (a batch's stale view).</summary>
    private sealed class HookedRegistry(Registry.IKeyRegistry inner, Func<Task> hook) : Registry.IKeyRegistry
    {
        public bool IsDevelopment => inner.IsDevelopment;

        public async ValueTask<Registry.RegistrySnapshot> GetSnapshotAsync(CancellationToken cancellationToken)
        {
            var snapshot = await inner.GetSnapshotAsync(cancellationToken);
            await hook();
            return snapshot;
        }
    }
}

public sealed class SqliteRedemptionTests : RedemptionTests, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sxl-clearing-").FullName;

    protected override Task<ClearingDatabase> NewDatabaseAsync() =>
        Task.FromResult(ClearingDatabase.Sqlite(Path.Combine(_directory, $"{Guid.NewGuid():N}.db")));

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresRedemptionTests(PostgresFixture postgres) : RedemptionTests
{
    protected override async Task<ClearingDatabase> NewDatabaseAsync() =>
        ClearingDatabase.Postgres(await postgres.Server.CreateDatabaseAsync("clearing"));
}
