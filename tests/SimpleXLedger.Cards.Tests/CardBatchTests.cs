namespace SimpleXLedger.Cards.Tests;

public class CardBatchTests
{
    private static CardHash Repeated(byte b) => CardHash.FromBytes(Enumerable.Repeat(b, 32).ToArray());

    // Roots computed with @openzeppelin/merkle-tree 1.0.8:
    // StandardMerkleTree.of([[0x0101…01, "100"], [0x0202…02, "200"], …], ["bytes32", "uint64"]).root
    [Theory]
    [InlineData(1, "0xc892e179d100fd398c44ccadc6945176bf6a6283c6bd64957ad52e9d9387e24c")]
    [InlineData(2, "0x79a5f96d2f7dce3b3ce8043ed408215216b2facde35232fdcf29f2ed11279469")]
    [InlineData(3, "0xc2bc9aa30a12a97182a059589f06ecf1de73e2dc7de720b4c5e32f28b9ffd2ca")]
    [InlineData(5, "0x5b0b7270d7937144415ad0e736748f4b70c7c00241beebffca7829bf0733e788")]
    public void The_root_matches_OpenZeppelins_StandardMerkleTree(int n, string expected)
    {
        var cards = Enumerable.Range(1, n).Select(i => (Repeated((byte)i), (ulong)(100 * i)));
        Assert.Equal(expected, "0x" + Convert.ToHexStringLower(BatchMerkleRoot.Compute(cards)));
    }

    [Fact]
    public void The_root_does_not_depend_on_card_order()
    {
        var cards = Enumerable.Range(1, 7).Select(i => (Repeated((byte)i), 100UL)).ToList();
        var reversed = Enumerable.Reverse(cards).ToList();
        Assert.Equal(BatchMerkleRoot.Compute(cards), BatchMerkleRoot.Compute(reversed));
    }

    [Fact]
    public void A_generated_batch_round_trips_through_its_file_without_any_code()
    {
        var (codes, batch) = CardMint.Generate("vendor-1", 300, 5, 100);
        var json = CardBatchFile.ToJson(batch);
        var back = CardBatchFile.FromJson(json);

        Assert.Equal(batch.BatchIdHex, back.BatchIdHex);
        Assert.Equal("vendor-1", back.Vendor);
        Assert.Equal(1500UL, back.TotalCredits);
        Assert.Equal(batch.RootHex, back.RootHex);
        Assert.Equal(codes.Select(c => c.ComputeHash()), back.Cards.Select(c => c.Hash));
        foreach (var code in codes)
        {
            Assert.DoesNotContain(code.Reveal(), json, StringComparison.Ordinal);
            Assert.DoesNotContain(code.Reveal().Replace("-", "", StringComparison.Ordinal), json, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_file_whose_root_or_total_was_altered_is_refused()
    {
        var (_, batch) = CardMint.Generate("v", 100, 3, 100);
        var json = CardBatchFile.ToJson(batch);

        var otherRoot = json.Replace(batch.RootHex, "0x" + new string('0', 64), StringComparison.Ordinal);
        Assert.Contains("root", Assert.Throws<CardBatchException>(() => CardBatchFile.FromJson(otherRoot)).Message, StringComparison.Ordinal);

        var moreCredits = json.Replace("\"totalCredits\": 300", "\"totalCredits\": 400", StringComparison.Ordinal);
        Assert.NotEqual(json, moreCredits);
        Assert.Throws<CardBatchException>(() => CardBatchFile.FromJson(moreCredits));

        var valueChanged = json.Replace("\"credits\": 100", "\"credits\": 200", StringComparison.Ordinal);
        Assert.Throws<CardBatchException>(() => CardBatchFile.FromJson(valueChanged));

        Assert.Throws<CardBatchException>(() => CardBatchFile.FromJson("{}"));
        Assert.Throws<CardBatchException>(() => CardBatchFile.FromJson("not json"));
    }

    [Fact]
    public void Duplicate_hashes_and_worthless_cards_are_refused()
    {
        var h = Repeated(7);
        Assert.Throws<CardBatchException>(() => new CardBatch(CardBatch.NewBatchId(), "v", [new(h, 100), new(h, 100)]));
        Assert.Throws<CardBatchException>(() => new CardBatch(CardBatch.NewBatchId(), "v", [new(h, 0)]));
        Assert.Throws<CardBatchException>(() => new CardBatch(CardBatch.NewBatchId(), "v", []));
    }

    [Theory]
    [InlineData(0UL, 100UL)]
    [InlineData(150UL, 100UL)]
    [InlineData(1UL, 100UL)]
    public void Values_off_the_denomination_step_are_refused(ulong credits, ulong step)
    {
        Assert.False(Denomination.IsValid(credits, step));
        Assert.Throws<ArgumentOutOfRangeException>(() => CardMint.Generate("v", credits, 1, step));
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void The_codes_file_is_owner_only_from_the_start_and_never_overwritten()
    {
        var dir = Directory.CreateTempSubdirectory("sxl-cards-");
        try
        {
            var (codes, _) = CardMint.Generate("v", 100, 3, 100);
            var path = Path.Combine(dir.FullName, "codes.txt");
            CardMint.WriteCodesFile(path, codes);

            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            var lines = File.ReadAllLines(path);
            Assert.Equal(codes.Select(c => c.Reveal()), lines);
            Assert.Throws<IOException>(() => CardMint.WriteCodesFile(path, codes));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
