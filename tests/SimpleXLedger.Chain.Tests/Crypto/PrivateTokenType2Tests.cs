using System.Numerics;
using System.Security.Cryptography;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Hex.HexTypes;
using SimpleXLedger.Chain.Contracts;
using SimpleXLedger.Chain.Devnet;
using SimpleXLedger.Tokens;

namespace SimpleXLedger.Chain.Tests.Crypto;

/// <summary>
/// contracts/src/crypto/PrivateTokenType2.sol: RFC 9578 §8.2 type-2 test vectors, tokens from the project's
/// own issuer, the SPKI template against SimpleXLedger.Tokens' parser, and the gas of one verification
/// under Osaka with the EIP-7825 cap enforced.
/// </summary>
[Collection(OsakaCollection.Name)]
public sealed class PrivateTokenType2Tests(OsakaFixture chain, ITestOutputHelper output)
{
    /// <summary>pkS of RFC 9578 §8.2 (Issuance Protocol 2 - Blind RSA, 2048), the same in all five vectors.</summary>
    private const string RfcSpki =
        "30820152303d06092a864886f70d01010a3030a00d300b0609608648016503040202a11a301806092a864886f70d010108" +
        "300b0609608648016503040202a2030201300382010f003082010a0282010100cb1aed6b6a95f5b1ce013a4cfcab25b9" +
        "4b2e64a23034e4250a7eab43c0df3a8c12993af12b111908d4b471bec31d4b6c9ad9cdda90612a2ee903523e6de5a224" +
        "d6b02f09e5c374d0cfe01d8f529c500a78a2f67908fa682b5a2b430c81eaf1af72d7b5e794fc98a3139276879757ce45" +
        "3b526ef9bf6ceb99979b8423b90f4461a22af37aab0cf5733f7597abe44d31c732db68a181c6cbbe607d8c0e52e0655f" +
        "d9996dc584eca0be87afbcd78a337d17b1dba9e828bbd81e291317144e7ff89f55619709b096cbb9ea474cead264c207" +
        "3fe49740c01f00e109106066983d21e5f83f086e2e823c879cd43cef700d2a352a9babd612d03cad02db134b7e225a5f" +
        "0203010001";

    /// <summary>(token_challenge, token) of RFC 9578 §8.2's five type-2 vectors.</summary>
    private static readonly RfcVector[] RfcVectors =
    [
    // Test vector 1
    new("0002000e6973737565722e6578616d706c65208e7acc900e393381e8810b7c9e4a68b5163f1f880ab6688a6ffe780923609e88000e6f726967696e2e6578616d706c65",
        "0002aa72019d1f951df197021ce63876fe8b0a02dc1c31a12b0a2dd1508d07827f055969f643b4cfda5196d4aa86aeb5" +
        "368834f4f06de46950ed435b3b81bd036d44ca572f8982a9ca248a3056186322d93ca147266121ddeb5632c07f1f71cd" +
        "2708bc6a21b533d07294b5e900faf5537dd3eb33cee4e08c9670d1e5358fd184b0e00c637174f5206b14c7bb0e724ebf" +
        "6b56271e5aa2ed94c051c4a433d302b23bc52460810d489fb050f9de5c868c6c1b06e3849fd087629f704cc724bc0d09" +
        "84d5c339686fcdd75f9a9cdd25f37f855f6f4c584d84f716864f546b696d620c5bd41a811498de84ff9740ba3003ba24" +
        "22d26b91eb745c084758974642a42078201543246ddb58030ea8e722376aa82484dca9610a8fb7e018e396165462e17a" +
        "03e40ea7e128c090a911ecc708066cb201833010c1ebd4e910fc8e27a1be467f78671836a508257123a45e4e0ae2180a" +
        "434bd1037713466347a8ebe46439d3da1970"),
    // Test vector 2
    new("0002000e6973737565722e6578616d706c6500000e6f726967696e2e6578616d706c65",
        "000298c1345ff38a554b429b428b0f206cfe4f3892f8041995f2c24873d90e84488d11e15c91a7c2ad02abd666458023" +
        "73db1d823bea80f08d452541fb2b62b5898bca572f8982a9ca248a3056186322d93ca147266121ddeb5632c07f1f71cd" +
        "27083350a206c5e9b7c0898f97611ce0bb8d74d310bb194ab67e094e32ff6da90886924b1b9e7b569402c1101d896d2f" +
        "c3a7371ef77f02310db1dc9f81c8535828c2d0e9d9051720d182cd54e1c2c3bf417da2fc7aa72bb70ccc834ef274a2e8" +
        "09c9821b3d395d6535423f7428b3f29175d6eb840b4b7685336e57e2b6afeaabc0c17ea4f557e8a9cc2f624e245c6ccd" +
        "7cbdd6c32c97c5c6974e802f688e2d25f0aba4215f609f692244517d5d3407e0172273982c001c158f5fcbe1b5d2447c" +
        "26a87e89f5a9e72b498b0c59ce749823d2cf253d3cf6cd4e64fa0e434d95e488789247a9ceed756ff4ff33a8d2402c0d" +
        "b381236d331092838b608a42002552092897"),
    // Test vector 3
    new("0002000e6973737565722e6578616d706c65000017666f6f2e6578616d706c652c6261722e6578616d706c65",
        "00029e7a22bdc5d715682434cebc07eb5fa53f622f776a17a6d91757af1592df0e710042eee45ac4dd5acb8f6e65c4d8" +
        "dd47504f73f7463507ef96a4d7227d2774f3ca572f8982a9ca248a3056186322d93ca147266121ddeb5632c07f1f71cd" +
        "270815b010bbc0d5f55e9c856d2e9ffaefba007d33c2d5452fbeb0b15919b973e0dc9180aaeb18242043758d9fb0ac9a" +
        "c5e04da9ff74ec93644ae6cdb7068ea76ce2295b9b95e383ed3a9856e9f618dafdf4cec5d2b53ea4297c2f3990babca7" +
        "1e3ccd6c07a437daae7ed27b6b81178fb7ce5fa5dd63781cc64ac1e410f441c034b0a5cc873a2ce875e8b38c92bab563" +
        "635c4f8f4fa35d1f582ef19edf7da75aa11a503a82e32a12bd4da41e0ca7ec7f451caf586f5b910003fcbbb9ff5ffa24" +
        "08c28d6807737d03da651ea9bfafcc2747a6830e19a1d160fcd5c25d2f79dad86a8b3de8e926e08ca1addced72977f7b" +
        "56398ef59c26e725df0a976a08f2a936ca42"),
    // Test vector 4
    new("0002000e6973737565722e6578616d706c65000000",
        "0002494dae41fc7e300c2d09990afcd5d5e1fc95305337dc12f78942c45340bfe8e6b741ec1b6fd05f1e95f8982906ae" +
        "c1612896d9ca97d53eef94ad3c9fe023f7a4ca572f8982a9ca248a3056186322d93ca147266121ddeb5632c07f1f71cd" +
        "2708a55c83dc04292b5d92add1a87b37e54f22f61c58840586f390c50b231824423378ddcf50e69dc817d45bfad06c7f" +
        "2a0ac35d2acd7f26b0bc9954c192b0a0ef28a2a5650e390098dd3cb1166a7cb1716d3dd2d19dc5ca3b1ea6206359de00" +
        "02d82bc4fa7e69fb07214b06addcbd2203d1e17f57fc580bcc5a13e0ac15cf942182cc2b5d6eaa737a712704114e357e" +
        "2ec2f10047463ded02a1a0766dc346dd7212b9711e03ac95eb258ac1164104dc9a0d3e738ae742ab5ed8c5139fc07145" +
        "a788b9f891741ee68f0a66782b7b84a9bb4cb4b3d1b26b67106f397b35b641d882d7b0185168946de898ef72349a44a4" +
        "7dbdd6d46e9ba9ba543d5701b65c63d645c2"),
    // Test vector 5
    new("0002000e6973737565722e6578616d706c65208e7acc900e393381e8810b7c9e4a68b5163f1f880ab6688a6ffe780923609e880000",
        "0002a1aa8b371c37c9a8ddbd7342ab4f9dd5227d5b1600dca6517b60f63143cd43a3bb8a8cf1c59e7a251358ed76fe0c" +
        "cff61044bc79dd261f16020324d22f2d434cca572f8982a9ca248a3056186322d93ca147266121ddeb5632c07f1f71cd" +
        "27082899f4bc385b4147a650a3e7efc7d23a743cb944bb53e2ed8b88ee03a9c0b1cf1f73fd7f15c1bd1f850a5a96a34d" +
        "4ee9f295543f30ac920825e9a0ce26e924f2c145583019dd14408c565b660e8b702fbea559908b1a8c8f9d21ef22f7cc" +
        "6a4641c57c146e6c5497d2890ca230a6749f5f83a8fdd79eba0722f10dff9e81a2fb2d05fa4d989acc2e93f595ae69c9" +
        "8c3daa3b169efcdd6e59596b2f049f16ba49528761f661032da65a3ee0fe8a22409766e90daf8c60323c16522818c492" +
        "73c795f26bbab306dc63cfc16fe1702af2464028cf819cc647d6f9b8a8f54d7d6585a268fdb8c75f76618c64aba26683" +
        "6a3b2db7cdd739815a021d7ff2b36ef91f23"),
    ];

    private static byte[] Spki => Convert.FromHexString(RfcSpki);

    public static TheoryData<int> VectorIndexes() => [0, 1, 2, 3, 4];

    [Theory]
    [MemberData(nameof(VectorIndexes))]
    public async Task Each_RFC_9578_type_2_vector_verifies_on_chain(int index)
    {
        var vector = RfcVectors[index];
        var token = Convert.FromHexString(vector.Token);
        var parts = TokenParts.Of(token);

        // The vector is what it says: challenge_digest = SHA-256(challenge), token_key_id = SHA-256(pkS).
        Assert.Equal(SHA256.HashData(Convert.FromHexString(vector.Challenge)), parts.ChallengeDigest);
        Assert.Equal(SHA256.HashData(Spki), parts.KeyId);
        Assert.True(TokenVerifier.Verify(TokenPublicKey.FromSpki(Spki), Token.Parse(token), TokenChallenge.Parse(Convert.FromHexString(vector.Challenge))));

        var spki = await chain.ModulusFromSpkiAsync(Spki);
        Assert.True(spki.Ok);
        Assert.Equal(Spki[81..337], spki.Modulus);
        Assert.True(await chain.VerifyTokenAsync(spki.Modulus, parts.ChallengeDigest, parts.Nonce, parts.KeyId, parts.Authenticator));
        Assert.True(await chain.VerifyTokenWithSpkiAsync(Spki, parts.ChallengeDigest, parts.Nonce, parts.KeyId, parts.Authenticator));
        Assert.True(await chain.VerifyTokenBytesAsync(Spki, token));
    }

    [Fact]
    public async Task Flipping_any_bit_of_an_RFC_token_makes_it_fail_on_chain()
    {
        var token = Convert.FromHexString(RfcVectors[0].Token);
        var spki = Spki;
        var failures = new List<string>();
        for (var start = 0; start < token.Length * 8; start += 64)
        {
            // A few calls in flight at once; each works on its own copy.
            var batch = Enumerable.Range(start, Math.Min(64, (token.Length * 8) - start)).Select(async bit =>
            {
                var flipped = (byte[])token.Clone();
                flipped[bit / 8] ^= (byte)(0x80 >> (bit % 8));
                return (bit, valid: await chain.VerifyTokenBytesAsync(spki, flipped));
            });
            foreach (var (bit, valid) in await Task.WhenAll(batch))
            {
                if (valid)
                {
                    failures.Add($"bit {bit}");
                }
            }
        }

        Assert.Empty(failures);
        Assert.True(await chain.VerifyTokenBytesAsync(spki, token));
    }

    [Fact]
    public async Task Flipping_a_bit_in_any_byte_of_the_SPKI_makes_the_RFC_token_fail()
    {
        var token = Convert.FromHexString(RfcVectors[0].Token);
        var failures = new List<int>();
        for (var i = 0; i < Spki.Length; i++)
        {
            var spki = Spki;
            spki[i] ^= (byte)(1 << (i % 8));
            if (await chain.VerifyTokenBytesAsync(spki, token))
            {
                failures.Add(i);
            }
        }

        Assert.Empty(failures);
    }

    [Fact]
    public async Task Tokens_from_the_projects_issuer_verify_on_chain_as_TokenVerifier_says()
    {
        using var issuerKey = TokenPrivateKey.Generate();
        using var otherKey = TokenPrivateKey.Generate();
        var spki = issuerKey.PublicKey.ExportSpki();
        var modulus = issuerKey.PublicKey.RsaKey.Modulus.ToArray();
        for (var i = 0; i < 12; i++)
        {
            var challenge = i % 2 == 0
                ? TokenChallenge.ForNetwork("issuer.example")
                : TokenChallenge.Create("issuer.example", RandomNumberGenerator.GetBytes(32), $"relay{i}.example");
            Token token;
            using (var state = TokenClient.CreateRequest(issuerKey.PublicKey, challenge))
            {
                token = TokenClient.Finalize(state, TokenIssuer.Issue(issuerKey, state.Request));
            }

            var parts = TokenParts.Of(token.ToArray());
            Assert.True(TokenVerifier.Verify(issuerKey.PublicKey, token, challenge));
            Assert.True(await chain.VerifyTokenBytesAsync(spki, token.ToArray()));
            Assert.True(await chain.VerifyTokenAsync(modulus, parts.ChallengeDigest, parts.Nonce, parts.KeyId, parts.Authenticator));

            // Another challenge digest: the signature no longer matches (TokenVerifier: digest mismatch).
            var otherDigest = SHA256.HashData(RandomNumberGenerator.GetBytes(8));
            Assert.False(await chain.VerifyTokenAsync(modulus, otherDigest, parts.Nonce, parts.KeyId, parts.Authenticator));

            // Another key: its SPKI does not hash to the token's key id, and its modulus does not verify.
            Assert.False(TokenVerifier.Verify(otherKey.PublicKey, token, challenge));
            Assert.False(await chain.VerifyTokenBytesAsync(otherKey.PublicKey.ExportSpki(), token.ToArray()));
            Assert.False(await chain.VerifyTokenAsync(otherKey.PublicKey.RsaKey.Modulus.ToArray(), parts.ChallengeDigest, parts.Nonce, parts.KeyId, parts.Authenticator));

            // A wrong key id passed with the right SPKI.
            var wrongId = (byte[])parts.KeyId.Clone();
            wrongId[31] ^= 1;
            Assert.False(await chain.VerifyTokenWithSpkiAsync(spki, parts.ChallengeDigest, parts.Nonce, wrongId, parts.Authenticator));
        }
    }

    [Fact]
    public async Task The_SPKI_template_accepts_exactly_what_SimpleXLedger_Tokens_accepts()
    {
        var cases = new List<(string Name, byte[] Spki)>();
        for (var i = 0; i < 3; i++)
        {
            using var key = TokenPrivateKey.Generate();
            cases.Add(($"generated key {i}", key.PublicKey.ExportSpki()));
        }

        cases.Add(("RFC 9578 pkS", Spki));
        cases.Add(("one byte short", Spki[..^1]));
        cases.Add(("one byte more", [.. Spki, 0]));
        cases.Add(("empty", []));
        cases.Add(("rsaEncryption OID", Replace(Spki, 16, 0x01)));
        cases.Add(("SHA-256 hash parameter", Replace(Spki, 33, 0x01)));
        cases.Add(("MGF1 with SHA-256", Replace(Spki, 61, 0x01)));
        cases.Add(("salt length 32", Replace(Spki, 66, 0x20)));
        cases.Add(("even modulus", Replace(Spki, 336, (byte)(Spki[336] & 0xFE))));
        cases.Add(("modulus below 2^2047", Replace(Spki, 81, 0x7F)));

        foreach (var (name, spki) in cases)
        {
            var csharp = TokenPublicKey.TryFromSpki(spki, out var parsed, out _);
            var onChain = await chain.ModulusFromSpkiAsync(spki);
            Assert.True(csharp == onChain.Ok, $"{name}: SimpleXLedger.Tokens says {csharp}, the contract {onChain.Ok}");
            if (csharp)
            {
                Assert.Equal(parsed!.RsaKey.Modulus.ToArray(), onChain.Modulus);
            }
        }

        // e = 65539 is a valid RFC 9578 key, but neither the token core (type-2 keys are pinned to e = 65537) nor
        // this verifier takes it, so no token and no dispute can ever rest on such a key.
        var e65539 = Replace(Spki, Spki.Length - 1, 0x03);
        Assert.False(TokenPublicKey.TryFromSpki(e65539, out _, out _));
        Assert.False((await chain.ModulusFromSpkiAsync(e65539)).Ok);
    }

    [Fact]
    public async Task One_token_verification_costs_far_less_than_the_Osaka_transaction_gas_cap()
    {
        var token = Convert.FromHexString(RfcVectors[0].Token);
        var parts = TokenParts.Of(token);
        var modulus = Spki[81..337];
        object[] args = [modulus, parts.ChallengeDigest, parts.Nonce, parts.KeyId, parts.Authenticator];

        var library = await chain.Harness.GetFunction("gasOfVerifyToken").CallDeserializingToObjectAsync<GasOutput>(args);
        var libraryBytes = await chain.Harness.GetFunction("gasOfVerifyTokenBytes").CallDeserializingToObjectAsync<GasOutput>(Spki, token);
        Assert.True(library.Valid && libraryBytes.Valid);

        var measure = chain.Harness.GetFunction("measureVerifyToken");
        var estimate = await measure.EstimateGasAsync(chain.Sender, null, null, args);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var receipt = await measure.SendTransactionAndWaitForReceiptAsync(chain.Sender, new HexBigInteger(OsakaFixture.TransactionGasCap), null, timeout, args);
        Assert.Equal(BigInteger.One, receipt.Status.Value);
        var measureBytes = chain.Harness.GetFunction("measureVerifyTokenBytes");
        var receiptBytes = await measureBytes.SendTransactionAndWaitForReceiptAsync(chain.Sender, new HexBigInteger(OsakaFixture.TransactionGasCap), null, timeout, Spki, token);
        Assert.Equal(BigInteger.One, receiptBytes.Status.Value);

        output.WriteLine($"Osaka, anvil 1.7.1 (--hardfork osaka --enable-tx-gas-limit), RFC 9578 type-2 vector 1:");
        output.WriteLine($"  PrivateTokenType2.verifyToken (modulus given), library call alone: {library.GasUsed} gas");
        output.WriteLine($"  PrivateTokenType2.verifyTokenBytes (SPKI template + SHA-256 key id + verify), library call alone: {libraryBytes.GasUsed} gas");
        output.WriteLine($"  measureVerifyToken transaction: eth_estimateGas {estimate.Value}, receipt gasUsed {receipt.GasUsed.Value}");
        output.WriteLine($"  measureVerifyTokenBytes transaction: receipt gasUsed {receiptBytes.GasUsed.Value}");
        output.WriteLine($"  EIP-7825 cap {OsakaFixture.TransactionGasCap}");

        Assert.True(receipt.GasUsed.Value * 20 < OsakaFixture.TransactionGasCap, $"{receipt.GasUsed.Value} gas is not far under the cap");
        Assert.True(receiptBytes.GasUsed.Value * 20 < OsakaFixture.TransactionGasCap, $"{receiptBytes.GasUsed.Value} gas is not far under the cap");
    }

    [Fact]
    public async Task The_test_chain_enforces_the_EIP_7825_transaction_gas_cap()
    {
        var token = Convert.FromHexString(RfcVectors[0].Token);

        // From an account no other test uses: the refused transaction still consumed a nonce in
        // Nethereum's local count, so that account's later transactions would wait forever.
        var outsider = new Nethereum.Web3.Web3(new Nethereum.Web3.Accounts.Account(DevAccounts.All[9].Key, chain.Node.ChainId), chain.Node.RpcUrl);
        var overCap = outsider.Eth.GetContract(ContractArtifact.TokenVerifierHarness.Abi, chain.Harness.Address).GetFunction("measureVerifyTokenBytes");
        using (var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1)))
        {
            var refused = await Assert.ThrowsAnyAsync<Exception>(() =>
                overCap.SendTransactionAndWaitForReceiptAsync(DevAccounts.All[9].Address, new HexBigInteger(OsakaFixture.TransactionGasCap + 1), null, timeout, Spki, token));
            Assert.False(timeout.IsCancellationRequested, "the over-cap transaction was not refused: it waited for a receipt");
            output.WriteLine($"gas {OsakaFixture.TransactionGasCap + 1} refused: {refused.Message}");
        }

        using var receiptTimeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var accepted = await chain.Harness.GetFunction("measureVerifyTokenBytes").SendTransactionAndWaitForReceiptAsync(
            chain.Sender, new HexBigInteger(OsakaFixture.TransactionGasCap), null, receiptTimeout, Spki, token);
        Assert.Equal(BigInteger.One, accepted.Status.Value);
    }

    private static byte[] Replace(byte[] source, int index, byte value)
    {
        var copy = (byte[])source.Clone();
        copy[index] = value;
        return copy;
    }

    private sealed record RfcVector(string Challenge, string Token);

    private sealed record TokenParts(byte[] Nonce, byte[] ChallengeDigest, byte[] KeyId, byte[] Authenticator)
    {
        public static TokenParts Of(byte[] token)
        {
            Assert.Equal(354, token.Length);
            Assert.Equal(0x00, token[0]);
            Assert.Equal(0x02, token[1]);
            return new(token[2..34], token[34..66], token[66..98], token[98..]);
        }
    }

    [FunctionOutput]
    public sealed class GasOutput : IFunctionOutputDTO
    {
        [Parameter("bool", "valid", 1)]
        public bool Valid { get; set; }

        [Parameter("uint256", "gasUsed", 2)]
        public BigInteger GasUsed { get; set; }
    }
}
