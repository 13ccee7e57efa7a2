using SimpleXLedger.Chain.Contracts;

namespace SimpleXLedger.Chain.Tests.Contracts;

public sealed class ArtifactTests
{
    [Fact]
    public void Every_contract_is_embedded_and_fits_the_production_code_size_limit()
    {
        foreach (var artifact in new[] { ContractArtifact.Ledger, ContractArtifact.KeyRegistry, ContractArtifact.TestStablecoin })
        {
            Assert.StartsWith("0x", artifact.Bytecode, StringComparison.Ordinal);
            Assert.True(artifact.RuntimeSize > 1000, $"{artifact.Name} has no code");
            Assert.True(artifact.RuntimeSize <= 24_576, $"{artifact.Name} is {artifact.RuntimeSize} bytes, over EIP-170's 24,576");
        }
    }

    [Fact]
    public void Revert_data_decodes_to_the_named_error_with_its_arguments()
    {
        // KeyTooSoon(uint64 usableFrom, uint64 earliest) = selector ‖ 5 ‖ 9
        var selector = Nethereum.Util.Sha3Keccack.Current.CalculateHash("KeyTooSoon(uint64,uint64)").Substring(0, 8);
        var data = "0x" + selector + 5.ToString("x64", System.Globalization.CultureInfo.InvariantCulture) + 9.ToString("x64", System.Globalization.CultureInfo.InvariantCulture);
        var error = LedgerErrors.Decode(data);
        Assert.NotNull(error);
        Assert.Equal("KeyTooSoon", error.ErrorName);
        Assert.Equal(new System.Numerics.BigInteger(5), System.Numerics.BigInteger.Parse(error.Argument("usableFrom")!.ToString()!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Null(LedgerErrors.Decode("0xdeadbeef"));
    }
}
