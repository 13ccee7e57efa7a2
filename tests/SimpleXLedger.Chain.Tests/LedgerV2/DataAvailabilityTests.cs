using Nethereum.Contracts;
using SimpleXLedger.Chain.Contracts.V2;
using static SimpleXLedger.Chain.Tests.LedgerV2.SettlementV2Tests;

using SimpleXLedger.Testing.LedgerV2;

namespace SimpleXLedger.Chain.Tests.LedgerV2;

/// <summary>
/// Withheld data (docs/ledger-v2.md §7.1): a challenge names positions; anyone answers on-chain with the leaves and
/// their paths and takes the deposit; unanswered, the epoch freezes and the house pays the penalty.
/// </summary>
[Collection(V2ChainCollection.Name)]
public sealed class DataAvailabilityTests(V2Chain chain, ITestOutputHelper output)
{
    [Fact]
    public async Task Anyone_answers_a_data_challenge_with_the_leaves_and_takes_the_deposit()
    {
        using var net = await V2Network.CreateAsync(chain);
        var epoch = await net.HonestAsync(1, 1, Spends(net, (net.OperatorA.Address, 3)));
        await net.MineAtAsync(net.EpochEnd(1));
        await net.PostAsync(epoch);
        // A position outside the tree could never be answered: refused, or a griefer could slash an honest house.
        await Reverts("PositionNotInTree", () => net.Prover.SendAsync(net.Ledger, new ChallengeDataFunction { Header = epoch.Header, Tree = 0, Positions = [0, 3] }));
        await Reverts("PositionNotInTree", () => net.Prover.SendAsync(net.Ledger, new ChallengeDataFunction { Header = epoch.Header, Tree = 1, Positions = [3] }));
        var challenge = await net.Prover.SendAsync(net.Ledger, new ChallengeDataFunction { Header = epoch.Header, Tree = 0, Positions = [0, 2] });
        var id = challenge.Receipt.Logs[^1].Topics[1]!.ToString()!;
        output.WriteLine($"data challenge: {challenge.GasUsed} gas");

        // The answer must name exactly the challenged positions.
        var wrong = new AnswerTokensCall { Header = epoch.Header, Leaves = [epoch.Token(0), epoch.Token(1)] };
        await Reverts("AnswerMismatch", () => net.Stranger.SendAsync(net.Ledger, new AnswerDataFunction { Id = Convert.FromHexString(id[2..]), JudgeCall = wrong.GetCallData() }));
        var answer = new AnswerTokensCall { Header = epoch.Header, Leaves = [epoch.Token(0), epoch.Token(2)] };
        var answered = await net.Stranger.SendAsync(net.Ledger, new AnswerDataFunction { Id = Convert.FromHexString(id[2..]), JudgeCall = answer.GetCallData() });
        output.WriteLine($"data answer, 2 token leaves: {answered.GasUsed} gas");
        Assert.Equal(net.Params.DaDeposit, await net.OwedAsync(net.Stranger.Address));
        await net.PassChallengeWindowAsync();
        await net.Stranger.SendAsync(net.Ledger, epoch.Claim(1));
        await net.AssertBooksAsync();
    }

    [Fact]
    public async Task An_unanswered_challenge_freezes_the_epoch_and_charges_the_house()
    {
        using var net = await V2Network.CreateAsync(chain);
        var epoch = await net.HonestAsync(1, 1, Spends(net, (net.OperatorA.Address, 2)));
        await net.MineAtAsync(net.EpochEnd(1));
        await net.PostAsync(epoch);
        var bond = await net.BondAsync(net.House.Address);
        var challenge = await net.Prover.SendAsync(net.Ledger, new ChallengeDataFunction { Header = epoch.Header, Tree = 1, Positions = [1] });
        var id = Convert.FromHexString(challenge.Receipt.Logs[^1].Topics[1]!.ToString()![2..]);
        await Reverts("AnswerWindowOpen", () => net.Prover.SendAsync(net.Ledger, new SettleDataFunction { Id = id, Header = epoch.Header }));
        await net.PassChallengeWindowAsync();
        await Reverts("NotFinal", () => net.Stranger.SendAsync(net.Ledger, epoch.Claim(1)));
        await net.Prover.SendAsync(net.Ledger, new SettleDataFunction { Id = id, Header = epoch.Header });
        var penalty = net.Params.DaPenalty;
        Assert.Equal(bond - penalty, await net.BondAsync(net.House.Address));
        var reward = penalty * net.Params.ProverRewardBps / 10_000;
        Assert.Equal(net.Params.DaDeposit + reward, await net.OwedAsync(net.Prover.Address));
        await Reverts("EpochNotStanding", () => net.Stranger.SendAsync(net.Ledger, epoch.Claim(1)));
        await net.AssertBooksAsync();
    }
}
