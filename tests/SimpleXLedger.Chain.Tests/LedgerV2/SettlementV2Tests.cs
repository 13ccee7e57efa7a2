using System.Numerics;
using SimpleXLedger.Chain.Contracts;
using SimpleXLedger.Chain.Contracts.V2;
using SimpleXLedger.Chain.Devnet;

using SimpleXLedger.Testing.LedgerV2;

namespace SimpleXLedger.Chain.Tests.LedgerV2;

/// <summary>
/// Ledger v2 settlement on a real chain (Anvil, Osaka, gas cap enforced): an honest epoch is posted within its gas
/// budget and every payee is paid exactly what its tokens earned; the schedule, key counts and claims refuse what
/// they must. Gas figures go to the test output for the closing note.
/// </summary>
[Collection(V2ChainCollection.Name)]
public sealed class SettlementV2Tests(V2Chain chain, ITestOutputHelper output)
{
    private const long Budget = 130_000;

    [Fact]
    public async Task An_honest_epoch_pays_each_operator_rate_times_its_tokens_and_the_fee_on_them()
    {
        using var net = await V2Network.CreateAsync(chain);
        var spends = Spends(net, (net.OperatorA.Address, 3), (net.OperatorB.Address, 2));
        var epoch = await net.HonestAsync(1, 1, spends);

        await Reverts("EpochNotEnded", () => net.PostAsync(epoch));
        await net.MineAtAsync(net.EpochEnd(1));
        var post = await net.PostAsync(epoch);
        output.WriteLine($"post, 5 tokens, 1 key, 4 payout leaves: {post.GasUsed} gas");
        Assert.True((long)post.GasUsed <= Budget, $"post used {post.GasUsed} gas");
        Assert.Equal(5UL, (await net.KeyAsync()).Counted);
        await net.AssertBooksAsync();

        await Reverts("NotFinal", () => net.Stranger.SendAsync(net.Ledger, epoch.Claim(1)));
        await net.PassChallengeWindowAsync();

        var before = await Balances(net);
        for (var i = 1; i < epoch.PayoutLeaves.Count; i++)
        {
            var claim = await net.Stranger.SendAsync(net.Ledger, epoch.Claim(i));
            output.WriteLine($"claim leaf {i}: {claim.GasUsed} gas");
            Assert.True((long)claim.GasUsed <= Budget, $"claim used {claim.GasUsed} gas");
        }

        var after = await Balances(net);
        Assert.Equal(3 * net.OperatorRate, after.A - before.A);
        Assert.Equal(2 * net.OperatorRate, after.B - before.B);
        Assert.Equal(5 * net.FeePerCredit, after.Fee - before.Fee);
        await Reverts("AlreadyClaimed", () => net.Stranger.SendAsync(net.Ledger, epoch.Claim(1)));
        await Reverts("NothingToClaim", () => net.Stranger.SendAsync(net.Ledger, epoch.Claim(0)));
        var books = await net.BooksAsync();
        Assert.Equal(0, books.AllocatedUnclaimed);
        Assert.Equal(5 * net.Net, books.ClaimsPaid);
        Assert.Equal(V2Network.FundedCredits - 5, books.CreditsBacked);
        await net.AssertBooksAsync();
    }

    [Fact]
    public async Task Posting_by_schedule_only_after_the_epoch_ends_in_order_by_the_bonded_house()
    {
        using var net = await V2Network.CreateAsync(chain);
        var first = await net.HonestAsync(1, 1, Spends(net, (net.OperatorA.Address, 1)));
        var third = await net.HonestAsync(3, 1, Spends(net, (net.OperatorA.Address, 1)));

        // Posted ahead of time (finding 2): refused by block time, whatever the house signs later.
        await Reverts("EpochNotEnded", () => net.PostAsync(first));
        await net.MineAtAsync(net.EpochEnd(3));
        await Reverts("EpochNotPostable", () => net.PostAsync(third));
        await Reverts("NotClearingHouse", () => net.Stranger.SendAsync(net.Ledger, new PostEpochV2Function { Input = first.PostInput }));
        await net.PostAsync(first);
        await Reverts("EpochNotPostable", () => net.PostAsync(first));
        await net.AssertBooksAsync();
    }

    [Fact]
    public async Task Tokens_counted_under_a_key_never_exceed_what_was_issued_under_it()
    {
        using var net = await V2Network.CreateAsync(chain);
        await net.Issuer.SendAsync(net.Registry, new AnchorIssuedV2Function { KeyIndex = 0, Cumulative = V2Network.FundedCredits });
        var tooMany = (uint)V2Network.FundedCredits + 1;
        var (nonce, auth) = net.MintToken();
        var tokens = Enumerable.Range(0, (int)tooMany)
            .Select(i => RogueEpochs.TokenLeafBytes(net.OperatorA.Address, net.TokenKeyId, BitConverter.GetBytes(i).Concat(nonce[4..]).ToArray(), (uint)i, auth))
            .ToList();
        var rate = net.OperatorRate;
        var payouts = new List<byte[]>
        {
            RogueEpochs.PayoutLeafBytes(RogueEpochs.Zero, 0, 0, 0),
            RogueEpochs.PayoutLeafBytes(net.OperatorA.Address, rate * tooMany, 0, tooMany),
            RogueEpochs.PayoutLeafBytes(DevAccounts.FeeRecipient.Address, net.FeePerCredit * tooMany, tooMany, 0),
        };
        var rogue = PostedEpoch.Craft(1, 1, tokens, payouts, 0, RogueEpochs.KeyCounts((0, tooMany)), net.Net * tooMany, rate);
        await net.MineAtAsync(net.EpochEnd(1));
        await Reverts("CountExceedsIssued", () => net.PostAsync(rogue));

        // Declared counts must add up to N, and name each key once in order.
        var honest = await net.HonestAsync(1, 1, Spends(net, (net.OperatorA.Address, 2)));
        var input = honest.PostInput;
        input.KeyCounts = RogueEpochs.KeyCounts((0, 1));
        await Reverts("CountsDoNotSum", () => net.House.SendAsync(net.Ledger, new PostEpochV2Function { Input = input }));
        input.KeyCounts = RogueEpochs.KeyCounts((0, 1), (0, 1));
        await Reverts("KeyCountsInvalid", () => net.House.SendAsync(net.Ledger, new PostEpochV2Function { Input = input }));
        input.KeyCounts = RogueEpochs.KeyCounts((1, 2));
        await Reverts("UnknownKey", () => net.House.SendAsync(net.Ledger, new PostEpochV2Function { Input = input }));
        await net.AssertBooksAsync();
    }

    [Fact]
    public async Task The_registry_takes_only_the_canonical_type_2_key_and_derives_the_challenge_from_the_issuer_name()
    {
        using var net = await V2Network.CreateAsync(chain);
        var digest = await net.Governance.QueryAsync<NetworkChallengeDigestFunction, byte[]>(net.Registry, new NetworkChallengeDigestFunction { IssuerName = V2Network.IssuerName });
        Assert.Equal(SimpleXLedger.Tokens.TokenChallenge.ForNetwork(V2Network.IssuerName).Digest.ToArray(), digest);

        using var key = SimpleXLedger.Tokens.TokenPrivateKey.Generate();
        var spki = key.PublicKey.ExportSpki();
        spki[20] ^= 1;
        var now = await net.NowAsync();
        await Reverts("SpkiNotTemplate", () => net.Issuer.SendAsync(net.Registry, new AnchorKeyV2Function
        {
            Spki = spki, IssuerName = V2Network.IssuerName, UsableFrom = now + 300_000, IssueUntil = now + 400_000, RedeemUntil = now + 500_000,
        }));
    }

    internal static List<(string Payee, byte[] Nonce, byte[] Authenticator)> Spends(V2Network net, params (string Payee, int Count)[] payees)
        => net.Spends(payees);

    internal static async Task Reverts(string error, Func<Task> call)
    {
        var refused = await Assert.ThrowsAsync<LedgerRevertException>(call);
        Assert.Equal(error, refused.ErrorName);
    }

    private static async Task<(BigInteger A, BigInteger B, BigInteger Fee)> Balances(V2Network net) =>
        (await net.BalanceAsync(net.OperatorA.Address), await net.BalanceAsync(net.OperatorB.Address), await net.BalanceAsync(DevAccounts.FeeRecipient.Address));
}
