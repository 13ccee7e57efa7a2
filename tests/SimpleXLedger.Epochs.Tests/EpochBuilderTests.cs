using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static SimpleXLedger.Epochs.Tests.TestData;

namespace SimpleXLedger.Epochs.Tests;

/// <summary>The close (docs/ledger-v2.md §5.1–§5.6): order, ordinals, counts, payout layout, totals, refusals.</summary>
public sealed class EpochBuilderTests
{
    [Fact]
    public void The_vector_epoch_is_sorted_counted_and_laid_out_as_documented()
    {
        var epoch = VectorBuilder().Build();
        var leaves = Enumerable.Range(0, 5).Select(i => epoch.TokenLeaves.Leaf(i)).ToList();

        // Non-paying first, then by payee, keyId, nonce.
        Assert.Equal([TokenKind.Rollover, TokenKind.Paid, TokenKind.Paid, TokenKind.Paid, TokenKind.Paid], leaves.Select(l => l.Kind));
        Assert.Equal([new byte[20], Address(1), Address(1), Address(2), Address(2)], leaves.Select(l => l.Payee.ToArray()));
        Assert.Equal([KeyA, KeyA, KeyB, KeyA, KeyB], leaves.Select(l => l.KeyId.ToArray()));
        Assert.Equal([0x04, 0x02, 0x03, 0x01, 0x05], leaves.Select(l => l.Nonce[0]));
        Assert.Equal([0xA4, 0xA3, 0xA2, 0xA1, 0xA5], leaves.Select(l => l.Authenticator[0]));
        Assert.Equal(Repeat(0x55, 32), leaves[0].Ref.ToArray());

        // Ordinals: per key, in tree order.
        Assert.Equal([0u, 1u, 0u, 2u, 1u], leaves.Select(l => l.Ordinal));
        Assert.Equal([new KeyCount(1, 2), new KeyCount(3, 3)], epoch.KeyCounts);

        var payouts = epoch.PayoutLeaves.Select(p => (Convert.ToHexStringLower(p.Payee), (ulong)p.Amount, p.Start, p.Count)).ToList();
        Assert.Equal(
        [
            (new string('0', 40), 0UL, 0u, 1u),
            (Convert.ToHexStringLower(Address(1)), 4000UL, 1u, 2u),
            (Convert.ToHexStringLower(Address(2)), 4000UL, 3u, 2u),
            (Convert.ToHexStringLower(FeeRecipient), 2000UL, 5u, 0u),
        ], payouts);

        var h = epoch.Header;
        Assert.Equal((31337UL, 7UL, (byte)0, 5u, 1u, 4u), (h.ChainId, h.Epoch, h.Round, h.TokenCount, h.NonPayingCount, h.PayoutCount));
        Assert.Equal(((UInt128)10_000, (UInt128)2000), (h.Total, h.EpochRate));
        Assert.Equal(epoch.TokenTree.Root, h.TokenRoot.ToArray());
        Assert.Equal(epoch.PayoutTree.RootHash, h.PayoutRoot.ToArray());
        Assert.Equal(KeyCount.Hash(epoch.KeyCounts), h.KeyCountsHash.ToArray());
        Assert.Equal(Keccak.Hash(h.Encode()), epoch.Commitment);
        Assert.Equal(h.Total, epoch.PayoutTree.RootSum);
    }

    [Fact]
    public void The_order_of_adding_does_not_change_the_commitment()
    {
        var a = RandomEpoch(5, 200, 13);
        var builder = new EpochBuilder(Parameters());
        for (var i = a.TokenLeaves.Count - 1; i >= 0; i--)
        {
            var l = a.TokenLeaves.Leaf(i);
            builder.Add(l.Kind, l.Payee, l.KeyId, l.Nonce, l.Authenticator, l.Ref);
        }

        Assert.Equal(a.Commitment, builder.Build().Commitment);
    }

    [Property(MaxTest = 40)]
    public Property Any_epoch_tiles_its_positions_pays_rate_times_count_and_adds_up(PositiveInt size, PositiveInt payees, int seed)
    {
        var n = size.Get % 300;
        var epoch = RandomEpoch(seed, n, 1 + (payees.Get % 40));
        var h = epoch.Header;
        var payouts = epoch.PayoutLeaves;
        var ok = payouts.Count >= 2 && payouts[0].Payee.IndexOfAnyExcept((byte)0) < 0 && payouts[0].Start == 0 && payouts[0].Count == h.NonPayingCount;
        for (var j = 1; j < payouts.Count; j++)
        {
            ok &= payouts[j].Start == payouts[j - 1].Start + payouts[j - 1].Count; // tiling
        }

        var fee = payouts[^1];
        ok &= fee.Start == h.TokenCount && fee.Count == 0 && fee.Payee.SequenceEqual(FeeRecipient) && fee.Amount == 500 * (UInt128)(h.TokenCount - h.NonPayingCount);
        for (var j = 1; j < payouts.Count - 1; j++)
        {
            ok &= payouts[j].Amount == 2000 * (UInt128)payouts[j].Count && payouts[j].Count > 0;
            ok &= j == 1 || payouts[j].Payee.SequenceCompareTo(payouts[j - 1].Payee) > 0;
            for (var q = payouts[j].Start; q < payouts[j].Start + payouts[j].Count; q++)
            {
                ok &= epoch.TokenLeaves.Leaf(q).Payee.SequenceEqual(payouts[j].Payee);
            }
        }

        // Strict order, ordinals distinct and below the key's count, counts add up to N.
        var ordinals = new Dictionary<string, HashSet<uint>>();
        for (long q = 0; q < h.TokenCount; q++)
        {
            var leaf = epoch.TokenLeaves[q];
            if (q > 0)
            {
                var previous = epoch.TokenLeaves[q - 1];
                ok &= previous.Slice(2, 84).SequenceCompareTo(leaf.Slice(2, 84)) < 0;
            }

            var decoded = TokenLeaf.Decode(leaf);
            ok &= (q < h.NonPayingCount) != decoded.IsPaying;
            var key = Convert.ToHexString(decoded.KeyId);
            ok &= (ordinals.TryGetValue(key, out var set) ? set : ordinals[key] = []).Add(decoded.Ordinal);
        }

        ok &= epoch.KeyCounts.Sum(k => k.Count) == h.TokenCount;
        ok &= epoch.KeyCounts.All(k => ordinals[Convert.ToHexString(k.KeyIndex == 3 ? KeyA : KeyB)].All(o => o < k.Count));
        ok &= h.Total == (UInt128)(h.TokenCount - h.NonPayingCount) * 2500 && epoch.PayoutTree.RootSum == h.Total;
        ok &= payouts.Aggregate(UInt128.Zero, (s, p) => s + p.Amount) == h.Total;
        return ok.Label($"n = {n}");
    }

    [Fact]
    public void An_empty_epoch_has_the_zero_token_root_and_two_payout_leaves_paying_nothing()
    {
        var epoch = new EpochBuilder(Parameters()).Build();
        Assert.Equal(new byte[32], epoch.Header.TokenRoot.ToArray());
        Assert.Equal((0u, 0u, 2u), (epoch.Header.TokenCount, epoch.Header.NonPayingCount, epoch.Header.PayoutCount));
        Assert.Equal(UInt128.Zero, epoch.Header.Total);
        Assert.Empty(epoch.KeyCounts);
        Assert.Equal(Keccak.Hash([]), epoch.Header.KeyCountsHash.ToArray());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_token_counted_twice_under_one_payee_or_two_is_refused(bool acrossPayees)
    {
        var builder = new EpochBuilder(Parameters());
        for (var i = 0; i < 50; i++)
        {
            builder.Add(TokenKind.Paid, Address(1 + (i % 7)), KeyA, Bytes("nonce", i, 32), Repeat(1, 256));
        }

        builder.Add(TokenKind.Paid, Address(acrossPayees ? 9 : 1 + (20 % 7)), KeyA, Bytes("nonce", 20, 32), Repeat(2, 256));
        var error = Assert.Throws<EpochFormatException>(builder.Build);
        Assert.Equal(EpochFormatError.DuplicateToken, error.Error);
        Assert.Contains(Convert.ToHexStringLower(Bytes("nonce", 20, 32)), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_same_nonce_under_two_keys_is_two_tokens()
    {
        var builder = new EpochBuilder(Parameters());
        builder.Add(TokenKind.Paid, Address(1), KeyA, Repeat(7, 32), Repeat(1, 256));
        builder.Add(TokenKind.Paid, Address(2), KeyB, Repeat(7, 32), Repeat(1, 256));
        Assert.Equal(2u, builder.Build().Header.TokenCount);
    }

    [Fact]
    public void Bad_redemptions_are_refused_and_add_nothing()
    {
        var builder = new EpochBuilder(Parameters());
        void Refused(EpochFormatError expected, Action add)
        {
            Assert.Equal(expected, Assert.Throws<EpochFormatException>(add).Error);
            Assert.Equal(0, builder.Count);
        }

        Refused(EpochFormatError.BadKey, () => builder.Add(TokenKind.Paid, Address(1), Repeat(0x33, 32), Repeat(1, 32), Repeat(1, 256)));
        Refused(EpochFormatError.BadPayee, () => builder.Add(TokenKind.Paid, new byte[20], KeyA, Repeat(1, 32), Repeat(1, 256)));
        Refused(EpochFormatError.BadPayee, () => builder.Add(TokenKind.Recoup, Address(1), KeyA, Repeat(1, 32), Repeat(1, 256), Repeat(1, 32)));
        Refused(EpochFormatError.BadRef, () => builder.Add(TokenKind.Paid, Address(1), KeyA, Repeat(1, 32), Repeat(1, 256), Repeat(1, 32)));
        Refused(EpochFormatError.BadKind, () => builder.Add((TokenKind)9, Address(1), KeyA, Repeat(1, 32), Repeat(1, 256)));
        Refused(EpochFormatError.BadLength, () => builder.Add(TokenKind.Paid, Address(1), KeyA, Repeat(1, 31), Repeat(1, 256)));
        Refused(EpochFormatError.BadLength, () => builder.Add(TokenKind.Paid, Address(1), KeyA, Repeat(1, 32), Repeat(1, 255)));
    }

    [Fact]
    public void Bad_parameters_and_more_than_five_keys_in_use_are_refused()
    {
        var p = Parameters();
        Assert.Equal(EpochFormatError.BadParameter, Assert.Throws<EpochFormatException>(() => new EpochBuilder(p with { FeeRecipient = new byte[20] })).Error);
        Assert.Equal(EpochFormatError.BadLength, Assert.Throws<EpochFormatException>(() => new EpochBuilder(p with { Ledger = new byte[19] })).Error);
        Assert.Equal(EpochFormatError.BadKey, Assert.Throws<EpochFormatException>(() => new EpochBuilder(p with { Keys = [new(KeyA, 1), new(KeyB, 1)] })).Error);
        Assert.Equal(EpochFormatError.BadKey, Assert.Throws<EpochFormatException>(() => new EpochBuilder(p with { Keys = [new(KeyA, 1), new(KeyA, 2)] })).Error);

        var six = Enumerable.Range(0, 6).Select(i => new RegisteredKey(Repeat((byte)(0x40 + i), 32), (ushort)i)).ToList();
        var builder = new EpochBuilder(p with { Keys = six });
        foreach (var key in six)
        {
            builder.Add(TokenKind.Paid, Address(1), key.KeyId, Repeat(1, 32), Repeat(1, 256));
        }

        Assert.Equal(EpochFormatError.BadKey, Assert.Throws<EpochFormatException>(builder.Build).Error);
    }

    [Fact]
    public void Amounts_that_overflow_uint128_are_refused()
    {
        var builder = new EpochBuilder(Parameters() with { EpochRate = UInt128.MaxValue / 2 });
        builder.Add(TokenKind.Paid, Address(1), KeyA, Repeat(1, 32), Repeat(1, 256));
        builder.Add(TokenKind.Paid, Address(1), KeyA, Repeat(2, 32), Repeat(1, 256));
        builder.Add(TokenKind.Paid, Address(1), KeyA, Repeat(3, 32), Repeat(1, 256));
        Assert.Equal(EpochFormatError.Overflow, Assert.Throws<EpochFormatException>(builder.Build).Error);
    }

    [Fact]
    public void Proofs_from_a_built_epoch_verify_against_its_header()
    {
        var epoch = RandomEpoch(11, 77, 9);
        var h = epoch.Header;
        for (long q = 0; q < h.TokenCount; q += 7)
        {
            Assert.True(PositionTree.Verify(Tags.TokenNode, h.TokenRoot, h.TokenCount, q, Keccak.Hash(epoch.TokenLeaves[q]), epoch.TokenTree.Proof(q)));
        }

        for (var j = 0; j < h.PayoutCount; j++)
        {
            var leaf = epoch.PayoutLeaves[j];
            Assert.True(SumTree.Verify(h.PayoutRoot, h.Total, h.PayoutCount, j, leaf.Hash(), leaf.Amount, epoch.PayoutTree.Proof(j)));
        }
    }
}
