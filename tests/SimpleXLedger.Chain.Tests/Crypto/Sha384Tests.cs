using System.Security.Cryptography;
using System.Text;

namespace SimpleXLedger.Chain.Tests.Crypto;

/// <summary>contracts/src/crypto/Sha384.sol against FIPS 180-4's examples and .NET's SHA384.</summary>
[Collection(OsakaCollection.Name)]
public sealed class Sha384Tests(OsakaFixture chain)
{
    [Theory]
    [InlineData("", "38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b")]
    [InlineData("abc", "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7")]
    [InlineData(
        "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
        "09330c33f71147e83d192fc782cd1b4753111b173b3b05d22fa08086e3b0f712fcc7c71a557e2db966c3e9fa91746039")]
    public async Task Known_answers_from_FIPS_180_4_examples(string message, string digestHex)
    {
        var digest = await chain.Sha384Async(Encoding.ASCII.GetBytes(message));
        Assert.Equal(digestHex, Convert.ToHexStringLower(digest));
    }

    [Fact]
    public async Task Every_length_from_0_to_300_matches_dotnet_on_random_bytes()
    {
        // Covers the padding edge cases: 111/112 bytes (one or two blocks), 127/128, 239/240, 255/256.
        for (var length = 0; length <= 300; length++)
        {
            var data = RandomNumberGenerator.GetBytes(length);
            var onChain = await chain.Sha384Async(data);
            Assert.True(
                SHA384.HashData(data).AsSpan().SequenceEqual(onChain),
                $"length {length}, input {Convert.ToHexStringLower(data)}: chain {Convert.ToHexStringLower(onChain)}");
        }
    }

    [Fact]
    public async Task A_long_input_of_many_blocks_matches_dotnet()
    {
        var data = RandomNumberGenerator.GetBytes(5000);
        Assert.Equal(Convert.ToHexStringLower(SHA384.HashData(data)), Convert.ToHexStringLower(await chain.Sha384Async(data)));
    }
}
