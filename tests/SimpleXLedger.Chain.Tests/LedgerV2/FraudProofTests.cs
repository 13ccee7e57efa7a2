using System.Numerics;
using System.Security.Cryptography;
using SimpleXLedger.Chain.Contracts.V2;
using SimpleXLedger.Chain.Devnet;
using static SimpleXLedger.Chain.Tests.LedgerV2.SettlementV2Tests;

using SimpleXLedger.Testing.LedgerV2;

namespace SimpleXLedger.Chain.Tests.LedgerV2;

/// <summary>
/// The clearing house cheats the ways issue 14 lists; anyone proves each cheat with the judge before a unit is paid
/// out: the epoch freezes, its total returns to unallocated, the house's bond pays a capped reward to the prover and
/// the rest to the operators' bonus pool, and the honest re-post pays every operator in full. Honest epochs refuse
/// every proof.
/// </summary>
[Collection(V2ChainCollection.Name)]
public sealed class FraudProofTests(V2Chain chain, ITestOutputHelper output)
{
    [Fact]
    public async Task A_forged_token_paying_the_house_freezes_the_epoch_and_the_re_post_pays_operators_in_full()
    {
        using var net = await V2Network.CreateAsync(chain);
        var honest = Spends(net, (net.OperatorA.Address, 2));
        // The worst case for the proof: a well-formed signature (s < n) that is someone else's, so the whole
        // RSASSA-PSS verification runs before it fails.
        var (forgedNonce, _) = net.MintToken();
        var (_, otherAuthenticator) = net.MintToken();
        var forged = honest.Append((net.House.Address, forgedNonce, otherAuthenticator)).ToList();
        var rate = await net.EpochRateAsync(3);
        var (tokens, payouts) = RogueEpochs.Layout(net, forged, rate);
        var rogue = PostedEpoch.Craft(1, 1, tokens, payouts, 0, RogueEpochs.KeyCounts((0, 3)), 3 * net.Net, rate);
        await net.MineAtAsync(net.EpochEnd(1));
        await net.PostAsync(rogue);
        var bond = await net.BondAsync(net.House.Address);

        var position = tokens.FindIndex(t => t.AsSpan(2, 20).SequenceEqual(V2Network.Address(net.House.Address)));
        var proof = await net.ProveAsync(new InvalidTokenProof { Header = rogue.Header, Token = rogue.Token(position) });
        output.WriteLine($"invalid-token proof: {proof.GasUsed} gas");
        Assert.True(proof.GasUsed <= 600_000, $"invalid-token proof used {proof.GasUsed} gas");

        var reward = BigInteger.Min(bond * net.Params.ProverRewardBps / 10_000, net.Params.ProverRewardCap);
        Assert.Equal(reward, await net.OwedAsync(net.Prover.Address));
        Assert.Equal(0, await net.BondAsync(net.House.Address));
        Assert.Equal(0UL, (await net.KeyAsync()).Counted);
        await Reverts("EpochNotStanding", () => net.ProveAsync(new InvalidTokenProof { Header = rogue.Header, Token = rogue.Token(position) }));
        await net.PassChallengeWindowAsync();
        await Reverts("EpochNotStanding", () => net.Stranger.SendAsync(net.Ledger, rogue.Claim(1)));
        var books = await net.BooksAsync();
        Assert.Equal(bond - reward, books.BonusPool);
        await net.AssertBooksAsync();

        // No bond, no post; a bonded house re-posts the honest epoch as round 2, with the bonus the slash funded.
        var repost = await net.HonestAsync(1, 2, honest);
        await Reverts("BondTooSmall", () => net.PostAsync(repost));
        await net.House.SendAsync(net.Ledger, new DepositBondV2Function { Amount = net.Params.MinBond });
        await net.PostAsync(repost);
        await net.PassChallengeWindowAsync();
        var before = await net.BalanceAsync(net.OperatorA.Address);
        await net.Stranger.SendAsync(net.Ledger, repost.Claim(1));
        var paid = await net.BalanceAsync(net.OperatorA.Address) - before;
        Assert.Equal(2 * repost.Header.EpochRate, paid);
        Assert.True(paid >= 2 * net.OperatorRate);
        await net.Stranger.SendAsync(net.Ledger, repost.Claim(2));
        await net.Prover.SendAsync(net.Ledger, new WithdrawOwedFunction());
        await net.AssertBooksAsync();
    }

    [Fact]
    public async Task A_token_counted_twice_in_one_epoch_or_in_two_is_proven_and_the_later_post_freezes()
    {
        using var net = await V2Network.CreateAsync(chain);
        var spends = Spends(net, (net.OperatorA.Address, 2));
        var copy = (net.House.Address, spends[0].Nonce, spends[0].Authenticator);
        var rate = await net.EpochRateAsync(3);
        var (tokens, payouts) = RogueEpochs.Layout(net, [.. spends, copy], rate);
        var rogue = PostedEpoch.Craft(1, 1, tokens, payouts, 0, RogueEpochs.KeyCounts((0, 3)), 3 * net.Net, rate);
        await net.MineAtAsync(net.EpochEnd(1));
        await net.PostAsync(rogue);
        var a = tokens.FindIndex(t => t.AsSpan(54, 32).SequenceEqual(spends[0].Nonce));
        var b = tokens.FindLastIndex(t => t.AsSpan(54, 32).SequenceEqual(spends[0].Nonce));
        Assert.NotEqual(a, b);
        var proof = await net.ProveAsync(new ConflictProof { Header = rogue.Header, A = rogue.Token(a), B = rogue.Token(b) });
        output.WriteLine($"duplicate-in-epoch proof: {proof.GasUsed} gas");
        await net.AssertBooksAsync();

        // Across epochs: epoch 2 counts again a token epoch 1 (re-posted honestly) already counted.
        await net.House.SendAsync(net.Ledger, new DepositBondV2Function { Amount = net.Params.MinBond });
        var first = await net.HonestAsync(1, 2, spends);
        await net.PostAsync(first);
        await net.MineAtAsync(net.EpochEnd(2));
        var second = await net.HonestAsync(2, 1, [copy, .. Spends(net, (net.OperatorB.Address, 1))]);
        await net.PostAsync(second);
        var i = FindNonce(first, spends[0].Nonce);
        var j = FindNonce(second, spends[0].Nonce);
        var across = await net.ProveAsync(new DuplicateAcrossProof { Header = first.Header, A = first.Token(i), Other = second.Header, B = second.Token(j) });
        output.WriteLine($"duplicate-across-epochs proof: {across.GasUsed} gas");
        Assert.False(await IsFinalLater(net, 1));
        await net.PassChallengeWindowAsync();
        Assert.True(await net.Governance.QueryAsync<IsFinalFunction, bool>(net.Ledger, new IsFinalFunction { Epoch = 1 }));
        await Reverts("EpochNotStanding", () => net.Stranger.SendAsync(net.Ledger, second.Claim(1)));
        await net.Stranger.SendAsync(net.Ledger, first.Claim(1));
        await net.AssertBooksAsync();
    }

    [Fact]
    public async Task Payout_leaves_that_pay_the_wrong_amount_or_the_wrong_fee_recipient_are_proven()
    {
        using var net = await V2Network.CreateAsync(chain);
        var spends = Spends(net, (net.OperatorA.Address, 2));
        var rate = await net.EpochRateAsync(2);
        var (tokens, payouts) = RogueEpochs.Layout(net, spends, rate);

        // The house moves the fee to itself: the sums still add up, only the payee is wrong.
        payouts[^1] = RogueEpochs.PayoutLeafBytes(net.House.Address, net.FeePerCredit * 2, 2, 0);
        var rogue = PostedEpoch.Craft(1, 1, tokens, payouts, 0, RogueEpochs.KeyCounts((0, 2)), 2 * net.Net, rate);
        await net.MineAtAsync(net.EpochEnd(1));
        await net.PostAsync(rogue);
        var proof = await net.ProveAsync(new PayoutLeafProof { Header = rogue.Header, Payout = rogue.Payout(rogue.PayoutLeaves.Count - 1) });
        output.WriteLine($"fee-leaf proof: {proof.GasUsed} gas");

        // Re-posted with operator A's leaf padded by one unit taken from the fee: amount ≠ rate × count.
        await net.House.SendAsync(net.Ledger, new DepositBondV2Function { Amount = net.Params.MinBond });
        rate = await net.EpochRateAsync(2);
        (tokens, payouts) = RogueEpochs.Layout(net, spends, rate);
        payouts[1] = RogueEpochs.PayoutLeafBytes(net.OperatorA.Address, (rate * 2) + 1, 0, 2);
        payouts[^1] = RogueEpochs.PayoutLeafBytes(DevAccounts.FeeRecipient.Address, (net.FeePerCredit * 2) - 1, 2, 0);
        var padded = PostedEpoch.Craft(1, 2, tokens, payouts, 0, RogueEpochs.KeyCounts((0, 2)), 2 * (rate + net.FeePerCredit), rate);
        await net.PostAsync(padded);
        await Reverts("NotFraud", () => net.ProveAsync(new PayoutLeafProof { Header = padded.Header, Payout = padded.Payout(0) }));
        var amount = await net.ProveAsync(new PayoutLeafProof { Header = padded.Header, Payout = padded.Payout(1) });
        output.WriteLine($"payout-amount proof: {amount.GasUsed} gas");
        await net.AssertBooksAsync();
    }

    [Fact]
    public async Task A_sum_node_that_misstates_a_child_is_proven_and_claims_through_it_never_verify()
    {
        using var net = await V2Network.CreateAsync(chain);
        var spends = Spends(net, (net.OperatorA.Address, 1), (net.OperatorB.Address, 1));
        var rate = await net.EpochRateAsync(2);
        var (tokens, payouts) = RogueEpochs.Layout(net, spends, rate);
        Assert.Equal(4, payouts.Count);

        // Maxwell's flaw, tried: A's leaf is inflated by X and the left node's recorded sum hides it from the root.
        var x = 1_000 * net.Net;
        payouts[1] = RogueEpochs.PayoutLeafBytes(PostedEpoch.PayeeOf(payouts[1]), rate + x, 0, 1);
        var h = payouts.Select(l => SimpleXLedger.Epochs.Keccak.Hash(l)).ToList();
        var s = payouts.Select(PostedEpoch.Amount).ToList();
        var left = Node(h[0], s[0], h[1], s[1]);
        var right = Node(h[2], s[2], h[3], s[3]);
        var total = 2 * net.Net;
        var leftListed = (UInt128)(total - (BigInteger)(s[2] + s[3]));
        var rootPreimage = Preimage(SimpleXLedger.Epochs.Keccak.Hash(left), leftListed, SimpleXLedger.Epochs.Keccak.Hash(right), s[2] + s[3]);
        var epoch = PostedEpoch.Craft(1, 1, tokens, payouts, 0, RogueEpochs.KeyCounts((0, 2)), total, rate);
        epoch.Header.PayoutRoot = SimpleXLedger.Epochs.Keccak.Hash(rootPreimage);
        var input = epoch.PostInput;
        await net.MineAtAsync(net.EpochEnd(1));
        await net.House.SendAsync(net.Ledger, new PostEpochV2Function { Input = input });

        await Reverts("NotFraud", () => net.ProveAsync(new RootSumProof { Header = epoch.Header, RootPreimage = rootPreimage }));
        var proof = await net.ProveAsync(new SumChildProof
        {
            Header = epoch.Header,
            Sum = new SumEvidenceTuple
            {
                Level = 2, Index = 0, NodePreimage = rootPreimage, SiblingHashes = [], SiblingSums = [], RightChild = false, ChildPreimage = left,
            },
        });
        output.WriteLine($"sum-node proof: {proof.GasUsed} gas");
        await net.AssertBooksAsync();
    }

    [Fact]
    public async Task An_honest_epoch_refuses_every_proof_and_a_late_proof_is_refused()
    {
        using var net = await V2Network.CreateAsync(chain);
        var epoch = await net.HonestAsync(1, 1, Spends(net, (net.OperatorA.Address, 2), (net.OperatorB.Address, 1)));
        await net.MineAtAsync(net.EpochEnd(1));
        await net.PostAsync(epoch);
        for (var i = 0; i < epoch.TokenLeaves.Count; i++)
        {
            await Reverts("NotFraud", () => net.ProveAsync(new InvalidTokenProof { Header = epoch.Header, Token = epoch.Token(i) }));
            await Reverts("NotFraud", () => net.ProveAsync(new UndeclaredProof { Header = epoch.Header, Token = epoch.Token(i) }));
            await Reverts("NotFraud", () => net.ProveAsync(new KindRangeProof { Header = epoch.Header, Token = epoch.Token(i) }));
            if (i + 1 < epoch.TokenLeaves.Count)
            {
                await Reverts("NotFraud", () => net.ProveAsync(new OrderProof { Header = epoch.Header, A = epoch.Token(i), B = epoch.Token(i + 1) }));
                await Reverts("NotFraud", () => net.ProveAsync(new ConflictProof { Header = epoch.Header, A = epoch.Token(i), B = epoch.Token(i + 1) }));
            }
        }

        for (var j = 0; j < epoch.PayoutLeaves.Count; j++)
        {
            await Reverts("NotFraud", () => net.ProveAsync(new PayoutLeafProof { Header = epoch.Header, Payout = epoch.Payout(j) }));
            if (j + 1 < epoch.PayoutLeaves.Count)
            {
                await Reverts("NotFraud", () => net.ProveAsync(new TilingProof { Header = epoch.Header, A = epoch.Payout(j), B = epoch.Payout(j + 1) }));
            }
        }

        await Reverts("NotFraud", () => net.ProveAsync(new RangePayeeProof { Header = epoch.Header, Payout = epoch.Payout(1), Token = epoch.Token(0) }));

        // Evidence that is not in the posted tree proves nothing.
        var wrongPath = epoch.Token(0);
        wrongPath.Path[0] = RandomNumberGenerator.GetBytes(32);
        await Reverts("BadEvidence", () => net.ProveAsync(new InvalidTokenProof { Header = epoch.Header, Token = wrongPath }));

        await net.AssertBooksAsync();
    }

    [Fact]
    public async Task A_cheat_nobody_proves_within_the_window_is_paid_out_which_is_why_watchers_must_run()
    {
        using var net = await V2Network.CreateAsync(chain);
        var spends = Spends(net, (net.OperatorA.Address, 1));
        var rate = await net.EpochRateAsync(1);
        var (tokens, payouts) = RogueEpochs.Layout(net, spends, rate);
        payouts[^1] = RogueEpochs.PayoutLeafBytes(net.House.Address, net.FeePerCredit, 1, 0);
        var rogue = PostedEpoch.Craft(1, 1, tokens, payouts, 0, RogueEpochs.KeyCounts((0, 1)), net.Net, rate);
        await net.MineAtAsync(net.EpochEnd(1));
        await net.PostAsync(rogue);
        await net.PassChallengeWindowAsync();
        await Reverts("ChallengeWindowClosed", () => net.ProveAsync(new PayoutLeafProof { Header = rogue.Header, Payout = rogue.Payout(2) }));
        await Reverts("ChallengeWindowClosed", () => net.Stranger.SendAsync(net.Ledger, new ChallengeDataFunction { Header = rogue.Header, Tree = 0, Positions = [0] }));
        await net.Stranger.SendAsync(net.Ledger, rogue.Claim(2));
        await net.AssertBooksAsync();
    }

    private static int FindNonce(PostedEpoch e, byte[] nonce) => e.TokenLeaves.FindIndex(t => t.AsSpan(54, 32).SequenceEqual(nonce));

    private static Task<bool> IsFinalLater(V2Network net, ulong epoch) =>
        net.Governance.QueryAsync<IsFinalFunction, bool>(net.Ledger, new IsFinalFunction { Epoch = epoch });

    private static byte[] Preimage(byte[] hL, UInt128 sL, byte[] hR, UInt128 sR)
    {
        var p = new byte[97];
        p[0] = 0x21;
        hL.CopyTo(p, 1);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt128BigEndian(p.AsSpan(33), sL);
        hR.CopyTo(p, 49);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt128BigEndian(p.AsSpan(81), sR);
        return p;
    }

    private static byte[] Node(byte[] hL, UInt128 sL, byte[] hR, UInt128 sR) => Preimage(hL, sL, hR, sR);
}
