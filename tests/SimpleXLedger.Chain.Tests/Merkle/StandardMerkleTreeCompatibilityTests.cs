using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Nethereum.Hex.HexConvertors.Extensions;
using Nethereum.Util;
using SimpleXLedger.Chain.Merkle;
using SimpleXLedger.Merkle;
using SimpleXLedger.Testing;

namespace SimpleXLedger.Chain.Tests.Merkle;

/// <summary>
/// The C# payout tree against OpenZeppelin's own <c>@openzeppelin/merkle-tree</c> (run with node
/// from contracts/node_modules): same leaf hashes, same roots, same proofs, for trees of every shape.
/// </summary>
public sealed class StandardMerkleTreeCompatibilityTests
{
    private static readonly int[] Sizes = [1, 2, 3, 4, 5, 7, 8, 13, 64, 101];

    [Fact]
    public async Task Roots_leaves_and_proofs_match_the_OpenZeppelin_library()
    {
        var cases = Sizes.Select((n, c) => Enumerable.Range(0, n).Select(i => Leaf((ulong)(c + 1), c, i)).ToList()).ToList();
        var reference = await RunReferenceAsync(cases);

        Assert.Equal(cases.Count, reference.Count);
        for (var c = 0; c < cases.Count; c++)
        {
            var tree = PayoutTree.Build(cases[c]);
            var expected = reference[c]!;
            Assert.Equal(expected["root"]!.GetValue<string>(), tree.Root.ToHex(true));
            var entries = expected["entries"]!.AsArray();
            Assert.Equal(cases[c].Count, entries.Count);
            foreach (var entry in entries)
            {
                var values = entry!["leaf"]!.AsArray();
                var leaf = new PayoutLeaf(
                    ulong.Parse(values[0]!.GetValue<string>(), CultureInfo.InvariantCulture),
                    values[1]!.GetValue<string>(),
                    BigInteger.Parse(values[2]!.GetValue<string>(), CultureInfo.InvariantCulture));
                Assert.Equal(entry["hash"]!.GetValue<string>(), leaf.Hash().ToHex(true));
                var proof = tree.ProofOf(leaf.Payee).Select(p => p.ToHex(true)).ToList();
                Assert.Equal(entry["proof"]!.AsArray().Select(p => p!.GetValue<string>()).ToList(), proof);
                Assert.True(StandardMerkleTree.Verify(tree.Root, leaf.Hash(), tree.ProofOf(leaf.Payee)));
            }
        }
    }

    [Fact]
    public void A_proof_fails_for_another_amount_or_payee()
    {
        var leaves = Enumerable.Range(0, 9).Select(i => Leaf(4, 0, i)).ToList();
        var tree = PayoutTree.Build(leaves);
        var leaf = leaves[3];
        var proof = tree.ProofOf(leaf.Payee);
        Assert.True(StandardMerkleTree.Verify(tree.Root, leaf.Hash(), proof));
        Assert.False(StandardMerkleTree.Verify(tree.Root, (leaf with { Amount = leaf.Amount + 1 }).Hash(), proof));
        Assert.False(StandardMerkleTree.Verify(tree.Root, (leaf with { Epoch = 5 }).Hash(), proof));
        Assert.False(StandardMerkleTree.Verify(tree.Root, leaves[4].Hash(), proof));
    }

    [Fact]
    public void Two_leaves_for_one_payee_or_an_empty_list_are_refused()
    {
        var a = Leaf(1, 0, 0);
        Assert.Throws<ArgumentException>(() => PayoutTree.Build([a, a with { Amount = 1 }]));
        Assert.Throws<ArgumentException>(() => PayoutTree.Build([]));
        Assert.Throws<ArgumentException>(() => PayoutTree.Build([a, Leaf(2, 0, 1)]));
    }

    internal static PayoutLeaf Leaf(ulong epoch, int tree, int index)
    {
        // Deterministic, distinct payees and amounts (some large, some zero-padded in odd ways).
        var seed = Sha3Keccack.Current.CalculateHash(System.Text.Encoding.UTF8.GetBytes($"payee-{tree}-{index}"));
        var payee = new AddressUtil().ConvertToChecksumAddress(seed.Take(20).ToArray().ToHex());
        var amount = new BigInteger(seed.Skip(20).Take(12).ToArray(), isUnsigned: true, isBigEndian: true) >> (index % 64);
        return new PayoutLeaf(epoch, payee, amount);
    }

    private static async Task<JsonArray> RunReferenceAsync(List<List<PayoutLeaf>> cases)
    {
        var input = JsonSerializer.Serialize(cases.Select(leaves => new
        {
            leaves = leaves.Select(l => new[] { l.Epoch.ToString(CultureInfo.InvariantCulture), l.Payee, l.Amount.ToString(CultureInfo.InvariantCulture) }),
        }));
        var contracts = Path.Combine(RepositoryPaths.Root, "contracts");
        await using var node = ChildProcess.Start("node", [Path.Combine("scripts", "merkle-reference.mjs")], workingDirectory: contracts, standardInput: input);
        var status = await node.WaitForExitAsync(TimeSpan.FromSeconds(60));
        await node.Exited;
        Assert.True(status == 0, $"node failed: {node.AllOutput}");
        return JsonNode.Parse(string.Join('\n', node.StandardOutput))!.AsArray();
    }
}
