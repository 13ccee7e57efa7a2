using System.Numerics;
using System.Security.Cryptography;
using SimpleXLedger.Tokens.BlindRsa;

namespace SimpleXLedger.Chain.Tests.Crypto;

/// <summary>
/// contracts/src/crypto/RsaPssSha384.sol, differentially: every case is verified on-chain and by .NET's
/// RSASSA-PSS (OpenSSL underneath) and both answers must agree. Where the contract is stricter by design
/// (a modulus other than exactly 256 bytes with the top bit set), the reference is .NET's answer
/// restricted to such keys, and the test says so.
/// </summary>
[Collection(OsakaCollection.Name)]
public sealed class RsaPssSha384Tests(OsakaFixture chain) : IDisposable
{
    private readonly RsaBssaPrivateKey _key = RsaBssaPrivateKey.Generate(2048);

    public enum Flaw
    {
        SignatureEqualsModulus,
        SignatureIsModulusPlusOne,
        SignatureAllOnes,
        SignatureZero,
        SignatureOne,
        SignatureTooShort,
        SignatureWithLeadingZeroByte,
        TrailerBd,
        TrailerZero,
        TopBitSet,
        Salt32,
        Salt0,
        Salt64,
        Salt47,
        SeparatorTwo,
        SeparatorZero,
        NonZeroPaddingFirstByte,
        NonZeroPaddingMiddle,
        NonZeroPaddingLastByte,
        WrongHash,
        OtherMessage,
        OtherKey,
        ModulusTruncated,
        ModulusWithLeadingZeroByte,
        EmptyEverything,
    }

    private RSAParameters PublicKey => _key.PublicKey.Parameters();

    private byte[] Modulus => _key.PublicKey.Modulus.ToArray();

    public void Dispose() => _key.Dispose();

    [Fact]
    public async Task Signatures_by_dotnet_on_random_messages_verify_on_chain_and_any_flipped_bit_fails_on_both()
    {
        using var rsa = RSA.Create(2048);
        var parameters = rsa.ExportParameters(false);
        for (var i = 0; i < 24; i++)
        {
            var message = RandomNumberGenerator.GetBytes(RandomNumberGenerator.GetInt32(0, 400));
            var signature = rsa.SignData(message, HashAlgorithmName.SHA384, RSASignaturePadding.Pss);
            await AssertSameAsync(true, parameters, message, signature, $"message {Convert.ToHexStringLower(message)}");

            var badSignature = (byte[])signature.Clone();
            badSignature[RandomNumberGenerator.GetInt32(badSignature.Length)] ^= (byte)(1 << RandomNumberGenerator.GetInt32(8));
            await AssertSameAsync(false, parameters, message, badSignature, "flipped signature bit");

            if (message.Length > 0)
            {
                var badMessage = (byte[])message.Clone();
                badMessage[RandomNumberGenerator.GetInt32(badMessage.Length)] ^= (byte)(1 << RandomNumberGenerator.GetInt32(8));
                await AssertSameAsync(false, parameters, badMessage, signature, "flipped message bit");
            }
        }
    }

    [Fact]
    public async Task A_hand_made_encoding_with_a_48_byte_salt_verifies_on_both()
    {
        for (var i = 0; i < 8; i++)
        {
            var message = RandomNumberGenerator.GetBytes(98);
            var signature = PssKit.Sign(_key, message, 48, new PssFlaws());
            await AssertSameAsync(true, PublicKey, message, signature, "hand-made encoding");
        }
    }

    [Theory]
    [MemberData(nameof(AllFlaws))]
    public async Task A_malformed_signature_or_key_is_refused_on_chain_exactly_when_dotnet_refuses_it(Flaw flaw)
    {
        var message = RandomNumberGenerator.GetBytes(98);
        var (modulus, signature, signedMessage, referenceKey) = Build(flaw, message);

        // .NET's answer under the key the case names, restricted to what the contract supports.
        var supported = modulus.Length == 256 && modulus[0] >= 0x80;
        var reference = supported && PssKit.DotnetVerify(referenceKey, signedMessage, signature);
        Assert.False(reference, $"{flaw}: the reference accepted a malformed case");
        Assert.Equal(reference, await chain.VerifyPssAsync(modulus, signedMessage, signature));
    }

    public static TheoryData<Flaw> AllFlaws()
    {
        var data = new TheoryData<Flaw>();
        foreach (var flaw in Enum.GetValues<Flaw>())
        {
            data.Add(flaw);
        }

        return data;
    }

    [Fact]
    public async Task A_leading_zero_modulus_is_refused_although_dotnet_would_accept_the_same_number()
    {
        // The one deliberate difference: the contract takes exactly 256 bytes; .NET reads the number.
        var message = RandomNumberGenerator.GetBytes(98);
        var signature = PssKit.Sign(_key, message, 48, new PssFlaws());
        Assert.True(PssKit.DotnetVerify(PublicKey, message, signature));
        Assert.False(await chain.VerifyPssAsync([0, .. Modulus], message, signature));
        Assert.True(await chain.VerifyPssAsync(Modulus, message, signature));
    }

    private (byte[] Modulus, byte[] Signature, byte[] Message, RSAParameters Key) Build(Flaw flaw, byte[] message)
    {
        var n = Modulus;
        var key = PublicKey;
        byte[] Signed(int saltLength, PssFlaws flaws) => PssKit.Sign(_key, message, saltLength, flaws);
        var good = Signed(48, new PssFlaws());
        return flaw switch
        {
            Flaw.SignatureEqualsModulus => (n, n, message, key),
            Flaw.SignatureIsModulusPlusOne => (n, ToBytes(FromBytes(n) + 1), message, key),
            Flaw.SignatureAllOnes => (n, Enumerable.Repeat((byte)0xFF, 256).ToArray(), message, key),
            Flaw.SignatureZero => (n, new byte[256], message, key),
            Flaw.SignatureOne => (n, ToBytes(BigInteger.One), message, key),
            Flaw.SignatureTooShort => (n, good[1..], message, key),
            Flaw.SignatureWithLeadingZeroByte => (n, [0, .. good], message, key),
            Flaw.TrailerBd => (n, Signed(48, new PssFlaws { Trailer = 0xBD }), message, key),
            Flaw.TrailerZero => (n, Signed(48, new PssFlaws { Trailer = 0x00 }), message, key),
            Flaw.TopBitSet => (n, Signed(48, new PssFlaws { SetTopBit = true }), message, key),
            Flaw.Salt32 => (n, Signed(32, new PssFlaws()), message, key),
            Flaw.Salt0 => (n, Signed(0, new PssFlaws()), message, key),
            Flaw.Salt64 => (n, Signed(64, new PssFlaws()), message, key),
            Flaw.Salt47 => (n, Signed(47, new PssFlaws()), message, key),
            Flaw.SeparatorTwo => (n, Signed(48, new PssFlaws { Separator = 0x02 }), message, key),
            Flaw.SeparatorZero => (n, Signed(48, new PssFlaws { Separator = 0x00 }), message, key),
            Flaw.NonZeroPaddingFirstByte => (n, Signed(48, new PssFlaws { NonZeroPaddingAt = 0 }), message, key),
            Flaw.NonZeroPaddingMiddle => (n, Signed(48, new PssFlaws { NonZeroPaddingAt = 100 }), message, key),
            Flaw.NonZeroPaddingLastByte => (n, Signed(48, new PssFlaws { NonZeroPaddingAt = 157 }), message, key),
            Flaw.WrongHash => (n, Signed(48, new PssFlaws { WrongHash = true }), message, key),
            Flaw.OtherMessage => (n, good, [.. message, 0], key),
            Flaw.OtherKey => OtherKey(message, good),
            Flaw.ModulusTruncated => (n[1..], good, message, key with { Modulus = n[1..] }),
            Flaw.ModulusWithLeadingZeroByte => ([0, .. n], Signed(48, new PssFlaws { WrongHash = true }), message, key),
            Flaw.EmptyEverything => ([], [], [], key),
            _ => throw new ArgumentOutOfRangeException(nameof(flaw)),
        };
    }

    private static (byte[], byte[], byte[], RSAParameters) OtherKey(byte[] message, byte[] signature)
    {
        using var other = RSA.Create(2048);
        var parameters = other.ExportParameters(false);
        return (parameters.Modulus!, signature, message, parameters);
    }

    private async Task AssertSameAsync(bool expected, RSAParameters key, byte[] message, byte[] signature, string what)
    {
        var dotnet = PssKit.DotnetVerify(key, message, signature);
        var onChain = await chain.VerifyPssAsync(key.Modulus!, message, signature);
        Assert.True(expected == dotnet, $"{what}: .NET says {dotnet}");
        Assert.True(dotnet == onChain, $"{what}: chain says {onChain}, .NET {dotnet}; signature {Convert.ToHexStringLower(signature)}");
    }

    private static BigInteger FromBytes(byte[] bigEndian) => new(bigEndian, isUnsigned: true, isBigEndian: true);

    private static byte[] ToBytes(BigInteger value)
    {
        var bytes = value.ToByteArray(isUnsigned: true, isBigEndian: true);
        var padded = new byte[256];
        bytes.CopyTo(padded.AsSpan(256 - bytes.Length));
        return padded;
    }
}
