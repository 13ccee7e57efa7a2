using SimpleXLedger.Tokens.BlindRsa;
using SimpleXLedger.Tokens.Tests.Support;
using static SimpleXLedger.Tokens.Tests.Support.Vectors;

namespace SimpleXLedger.Tokens.Tests.BlindRsa;

/// <summary>RFC 9474 appendix A: every variant, 4096-bit key, byte for byte with the randomness injected.</summary>
public sealed class Rfc9474VectorTests
{
    public static TheoryData<string> Variants => new(Rfc9474.Select(v => v["name"]));

    private static RsaBssa Variant(string name) => name switch
    {
        "RSABSSA-SHA384-PSS-Randomized" => RsaBssa.Sha384PssRandomized,
        "RSABSSA-SHA384-PSSZERO-Randomized" => RsaBssa.Sha384PssZeroRandomized,
        "RSABSSA-SHA384-PSS-Deterministic" => RsaBssa.Sha384PssDeterministic,
        "RSABSSA-SHA384-PSSZERO-Deterministic" => RsaBssa.Sha384PssZeroDeterministic,
        _ => throw new ArgumentException(name),
    };

    private static Dictionary<string, string> Vector(string name) => Rfc9474.Single(v => v["name"] == name);

    [Theory]
    [MemberData(nameof(Variants))]
    public void Prepare_Encode_Blind_BlindSign_Finalize_match_the_vector(string name)
    {
        var v = Vector(name);
        var variant = Variant(name);
        Assert.Equal(name, variant.Name);
        using var privateKey = RsaBssaPrivateKey.ImportParameters(PrivateParameters(v));
        var publicKey = privateKey.PublicKey;
        Assert.Equal(4096, publicKey.ModulusBits);
        Assert.Equal(Hex(v["n"]), publicKey.Modulus.ToArray());

        // Prepare
        var prepared = variant.Prepare(Hex(v["msg"]), Hex(v["msg_prefix"]));
        Assert.Equal(Hex(v["prepared_msg"]), prepared);
        Assert.Equal(Hex(v["msg"]), variant.ApplicationMessage(prepared).ToArray());

        // EMSA-PSS-ENCODE
        var salt = Hex(v["salt"]);
        Assert.Equal(variant.SaltLength, salt.Length);
        var em = new byte[(publicKey.ModulusBits - 1 + 7) / 8];
        Assert.Equal(RsaBssaError.None, EmsaPss.Encode(prepared, salt, publicKey.ModulusBits - 1, em));
        Assert.Equal(Hex(v["encoded_msg"]), em);

        // Blind, with r = inv⁻¹ so the inverse comes out as published.
        var r = BlindFromInverse(Hex(v["inv"]), Hex(v["n"]));
        Assert.Equal(RsaBssaError.None, variant.TryBlind(publicKey, prepared, salt, r, out var blinding));
        using (blinding)
        {
            Assert.Equal(Hex(v["blinded_msg"]), blinding!.BlindedMessage.ToArray());
            Assert.Equal(Hex(v["inv"]), blinding.Inverse.ToArray());

            // BlindSign (OpenSSL private operation)
            var blindSig = variant.BlindSign(privateKey, blinding.BlindedMessage);
            Assert.Equal(Hex(v["blind_sig"]), blindSig);

            // Finalize
            var sig = variant.Finalize(publicKey, prepared, blindSig, blinding);
            Assert.Equal(Hex(v["sig"]), sig);
        }

        Assert.True(variant.Verify(publicKey, prepared, Hex(v["sig"])));
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void The_vector_signature_verifies_only_under_its_own_salt_length(string name)
    {
        var v = Vector(name);
        var variant = Variant(name);
        var publicKey = RsaBssaPublicKey.FromParameters(Hex(v["n"]), Hex(v["e"]));
        var prepared = Hex(v["prepared_msg"]);
        var sig = Hex(v["sig"]);
        Assert.True(variant.Verify(publicKey, prepared, sig));

        var otherSalt = variant.SaltLength == 48 ? RsaBssa.Sha384PssZeroDeterministic : RsaBssa.Sha384PssDeterministic;
        Assert.False(otherSalt.Verify(publicKey, prepared, sig));

        // The application message alone is not what was signed for the Randomized variants.
        if (variant.RandomizesMessage)
        {
            Assert.False(variant.Verify(publicKey, Hex(v["msg"]), sig));
        }
    }
}
