using System.Text.Json.Nodes;
using static SimpleXLedger.Epochs.Tests.TestData;

namespace SimpleXLedger.Epochs.Tests;

/// <summary>
/// Known-answer vectors (Vectors/epoch-v1.json), computed once by an independent pure-Python reference written from
/// docs/ledger-v2.md alone (Vectors/reference.py) and pinned; the v2 settlement contract's tests check the same file.
/// </summary>
public sealed class EpochVectorTests
{
    private static readonly JsonNode Vectors = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Vectors", "epoch-v1.json")))!;

    private static string S(JsonNode? node) => node!.GetValue<string>();

    [Fact]
    public void The_pinned_commitment_is_the_one_the_builder_computes()
    {
        Assert.Equal("0x5b6d5f5e04c8682006e497d69fa9b65eb7d5dcd716fdd90301dd5065844833ca", S(Vectors["commitment"]));
        Assert.Equal(S(Vectors["commitment"]), Hex(VectorBuilder().Build().Commitment));
    }

    [Fact]
    public void Every_leaf_root_proof_and_the_header_match_the_reference_byte_for_byte()
    {
        var epoch = VectorBuilder().Build();
        Assert.Equal(Vectors["tokenLeaves"]!.AsArray().Select(S), Enumerable.Range(0, 5).Select(i => Hex(epoch.TokenLeaves[i])));
        Assert.Equal(Vectors["tokenLeafHashes"]!.AsArray().Select(S), Enumerable.Range(0, 5).Select(i => Hex(epoch.TokenTree.LeafHash(i))));
        Assert.Equal(S(Vectors["tokenRoot"]), Hex(epoch.TokenTree.Root));
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(Vectors["tokenProofs"]![i]!.AsArray().Select(S), epoch.TokenTree.Proof(i).Select(p => Hex(p)));
        }

        Assert.Equal(S(Vectors["keyCounts"]), Hex(KeyCount.Encode(epoch.KeyCounts)));
        Assert.Equal(S(Vectors["keyCountsHash"]), Hex(epoch.Header.KeyCountsHash));
        Assert.Equal(Vectors["payoutLeaves"]!.AsArray().Select(S), epoch.PayoutLeaves.Select(p => Hex(p.Encode())));
        Assert.Equal(S(Vectors["payoutRoot"]), Hex(epoch.PayoutTree.RootHash));
        Assert.Equal(Vectors["payoutRootSum"]!.GetValue<ulong>(), (ulong)epoch.PayoutTree.RootSum);
        for (var j = 0; j < epoch.PayoutLeaves.Count; j++)
        {
            var expected = Vectors["payoutProofs"]![j]!.AsArray().Select(s => (S(s!["hash"]), s!["sum"]!.GetValue<ulong>()));
            Assert.Equal(expected, epoch.PayoutTree.Proof(j).Select(s => (Hex(s.SiblingHash), (ulong)s.SiblingSum)));
        }

        Assert.Equal(S(Vectors["header"]), Hex(epoch.Header.Encode()));
        Assert.Equal(S(Vectors["emptyKeyCountsHash"]), Hex(KeyCount.Hash([])));
    }

    [Fact]
    public void The_multiproofs_of_both_trees_match_the_reference_and_verify()
    {
        var epoch = VectorBuilder().Build();
        var h = epoch.Header;
        var tokenPositions = Vectors["tokenMultiproof"]!["positions"]!.AsArray().Select(p => p!.GetValue<long>()).ToList();
        var tokenProof = epoch.TokenTree.Multiproof(tokenPositions);
        Assert.Equal(Vectors["tokenMultiproof"]!["proof"]!.AsArray().Select(S), tokenProof.Select(p => Hex(p)));
        Assert.True(PositionTree.VerifyMultiproof(Tags.TokenNode, h.TokenRoot, h.TokenCount, tokenPositions, tokenPositions.Select(p => Keccak.Hash(epoch.TokenLeaves[p])).ToList(), tokenProof));

        var payoutPositions = Vectors["payoutMultiproof"]!["positions"]!.AsArray().Select(p => p!.GetValue<long>()).ToList();
        var payoutProof = epoch.PayoutTree.Multiproof(payoutPositions);
        var expected = Vectors["payoutMultiproof"]!["proof"]!.AsArray().Select(s => (S(s!["hash"]), s!["sum"]!.GetValue<ulong>()));
        Assert.Equal(expected, payoutProof.Select(s => (Hex(s.SiblingHash), (ulong)s.SiblingSum)));
        var leaves = payoutPositions.Select(p => epoch.PayoutLeaves[(int)p]).ToList();
        Assert.True(SumTree.VerifyMultiproof(h.PayoutRoot, h.Total, h.PayoutCount, payoutPositions, leaves.Select(l => l.Hash()).ToList(), leaves.Select(l => l.Amount).ToList(), payoutProof));
    }

    [Fact]
    public void The_receipt_batch_id_matches_the_reference()
    {
        var tokens = Vectors["receiptBatch"]!["tokens"]!.AsArray()
            .Select(t => (Convert.FromHexString(S(t!["keyId"])[2..]), Convert.FromHexString(S(t!["nonce"])[2..])));
        Assert.Equal(S(Vectors["receiptBatch"]!["batchId"]), Hex(ReceiptBatch.BatchId(tokens)));
    }

    [Fact]
    public void The_vector_inputs_are_the_ones_the_tests_build_from()
    {
        var inputs = Vectors["inputs"]!;
        Assert.Equal(Hex(Ledger), S(inputs["ledger"]));
        Assert.Equal(Hex(FeeRecipient), S(inputs["feeRecipient"]));
        var builder = new EpochBuilder(Parameters());
        foreach (var r in inputs["redemptions"]!.AsArray())
        {
            byte[] B(string field) => Convert.FromHexString(S(r![field])[2..]);
            builder.Add((TokenKind)r!["kind"]!.GetValue<int>(), B("payee"), B("keyId"), B("nonce"), B("authenticator"), B("ref"));
        }

        Assert.Equal(S(Vectors["commitment"]), Hex(builder.Build().Commitment));
    }
}
