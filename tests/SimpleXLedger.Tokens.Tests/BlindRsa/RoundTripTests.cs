using SimpleXLedger.Tokens.BlindRsa;
using SimpleXLedger.Tokens.Tests.Support;

namespace SimpleXLedger.Tokens.Tests.BlindRsa;

/// <summary>All four RSABSSA variants end to end on the shared RSA-2048 key, and their refusals.</summary>
public sealed class RoundTripTests
{
    public static TheoryData<string> Variants => new(AllVariants.Select(v => v.Name));

    private static readonly RsaBssa[] AllVariants =
    [
        RsaBssa.Sha384PssRandomized, RsaBssa.Sha384PssZeroRandomized, RsaBssa.Sha384PssDeterministic, RsaBssa.Sha384PssZeroDeterministic,
    ];

    private static RsaBssa Variant(string name) => AllVariants.Single(v => v.Name == name);

    private static RsaBssaPrivateKey Key => SharedKeys.Issuer.RsaKey;

    private static RsaBssaPrivateKey OtherKey => SharedKeys.Other.RsaKey;

    private static (byte[] Prepared, byte[] Signature) Sign(RsaBssa variant, byte[] message)
    {
        var prepared = variant.Prepare(message);
        using var blinding = variant.Blind(Key.PublicKey, prepared);
        var blindSig = variant.BlindSign(Key, blinding.BlindedMessage);
        return (prepared, variant.Finalize(Key.PublicKey, prepared, blindSig, blinding));
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Blind_sign_finalize_verify_round_trips(string name)
    {
        var variant = Variant(name);
        var message = "a message the signer never sees"u8.ToArray();
        var (prepared, signature) = Sign(variant, message);
        Assert.Equal(256, signature.Length);
        Assert.True(variant.Verify(Key.PublicKey, prepared, signature));
        Assert.Equal(message, variant.ApplicationMessage(prepared).ToArray());
        Assert.Equal(variant.RandomizesMessage ? 32 + message.Length : message.Length, prepared.Length);
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void A_signature_does_not_verify_under_another_key_message_or_salt_length(string name)
    {
        var variant = Variant(name);
        var (prepared, signature) = Sign(variant, "m"u8.ToArray());
        Assert.False(variant.Verify(OtherKey.PublicKey, prepared, signature));

        var otherMessage = (byte[])prepared.Clone();
        otherMessage[^1] ^= 1;
        Assert.False(variant.Verify(Key.PublicKey, otherMessage, signature));

        var otherSalt = variant.SaltLength == 48 ? RsaBssa.Sha384PssZeroDeterministic : RsaBssa.Sha384PssDeterministic;
        Assert.False(otherSalt.Verify(Key.PublicKey, prepared, signature));

        Assert.False(variant.Verify(Key.PublicKey, prepared, signature.AsSpan(1).ToArray()));
        Assert.False(variant.Verify(Key.PublicKey, prepared, [.. signature, 0]));
    }

    [Fact]
    public void Every_flipped_bit_of_a_signature_fails_verification()
    {
        var variant = RsaBssa.Sha384PssDeterministic;
        var (prepared, signature) = Sign(variant, "flip me"u8.ToArray());
        for (var bit = 0; bit < signature.Length * 8; bit++)
        {
            signature[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(variant.Verify(Key.PublicKey, prepared, signature), $"bit {bit}");
            signature[bit / 8] ^= (byte)(1 << (bit % 8));
        }

        Assert.True(variant.Verify(Key.PublicKey, prepared, signature));
    }

    [Fact]
    public void Blinding_hides_the_message_each_time_and_randomized_preparation_differs()
    {
        var variant = RsaBssa.Sha384PssZeroDeterministic;
        var prepared = variant.Prepare("same"u8);
        using var a = variant.Blind(Key.PublicKey, prepared);
        using var b = variant.Blind(Key.PublicKey, prepared);
        Assert.False(a.BlindedMessage.SequenceEqual(b.BlindedMessage));

        // PSSZERO-Deterministic: the unblinded signature is the same for the same message.
        var sa = variant.Finalize(Key.PublicKey, prepared, variant.BlindSign(Key, a.BlindedMessage), a);
        var sb = variant.Finalize(Key.PublicKey, prepared, variant.BlindSign(Key, b.BlindedMessage), b);
        Assert.Equal(sa, sb);

        var randomized = RsaBssa.Sha384PssZeroRandomized;
        Assert.False(randomized.Prepare("same"u8).AsSpan().SequenceEqual(randomized.Prepare("same"u8)));
    }

    [Fact]
    public void Finalize_refuses_a_response_from_the_wrong_key_a_flipped_bit_or_a_wrong_size()
    {
        var variant = RsaBssa.Sha384PssDeterministic;
        var prepared = variant.Prepare("m"u8);
        using var blinding = variant.Blind(Key.PublicKey, prepared);
        var good = variant.BlindSign(Key, blinding.BlindedMessage);

        // The other key's answer (top byte cleared so the input is below either modulus).
        var probe = blinding.BlindedMessage.ToArray();
        probe[0] = 0;
        var wrongKey = variant.BlindSign(OtherKey, probe);
        Assert.Equal(RsaBssaError.InvalidSignature, variant.TryFinalize(Key.PublicKey, prepared, wrongKey, blinding, out _));

        var flipped = (byte[])good.Clone();
        flipped[100] ^= 0x10;
        Assert.Equal(RsaBssaError.InvalidSignature, variant.TryFinalize(Key.PublicKey, prepared, flipped, blinding, out _));

        Assert.Equal(RsaBssaError.UnexpectedInputSize, variant.TryFinalize(Key.PublicKey, prepared, good[1..], blinding, out _));
        Assert.Equal(RsaBssaError.InvalidSignature, variant.TryFinalize(Key.PublicKey, prepared, Key.PublicKey.Modulus.ToArray(), blinding, out _));

        var ex = Assert.Throws<RsaBssaException>(() => variant.Finalize(Key.PublicKey, prepared, flipped, blinding));
        Assert.Equal(RsaBssaError.InvalidSignature, ex.Error);
        Assert.Equal("invalid signature", ex.Message);

        Assert.Equal(RsaBssaError.None, variant.TryFinalize(Key.PublicKey, prepared, good, blinding, out var signature));
        Assert.True(variant.Verify(Key.PublicKey, prepared, signature!));
    }

    [Fact]
    public void BlindSign_refuses_out_of_range_and_wrong_size_input()
    {
        var variant = RsaBssa.Sha384PssDeterministic;
        var destination = new byte[256];
        Assert.Equal(RsaBssaError.MessageOutOfRange, variant.TryBlindSign(Key, Key.PublicKey.Modulus, destination));
        var allOnes = Enumerable.Repeat((byte)0xFF, 256).ToArray();
        Assert.Equal(RsaBssaError.MessageOutOfRange, variant.TryBlindSign(Key, allOnes, destination));
        Assert.Equal(RsaBssaError.UnexpectedInputSize, variant.TryBlindSign(Key, new byte[255], destination));
        Assert.Equal(RsaBssaError.UnexpectedInputSize, variant.TryBlindSign(Key, new byte[257], destination));
        Assert.Equal(RsaBssaError.MessageOutOfRange, Assert.Throws<RsaBssaException>(() => variant.BlindSign(Key, allOnes)).Error);
    }

    [Fact]
    public void A_disposed_blinding_cannot_be_finalized()
    {
        var variant = RsaBssa.Sha384PssDeterministic;
        var prepared = variant.Prepare("m"u8);
        var blinding = variant.Blind(Key.PublicKey, prepared);
        var blindSig = variant.BlindSign(Key, blinding.BlindedMessage);
        blinding.Dispose();
        Assert.Throws<ObjectDisposedException>(() => variant.Finalize(Key.PublicKey, prepared, blindSig, blinding));
    }

    [Fact]
    public void OpenSsl_blinding_is_on_for_generated_and_imported_keys()
    {
        Assert.True(Key.OpenSslBlindingEnabled);
        using var imported = RsaBssaPrivateKey.ImportPem(Key.ExportPkcs8Pem());
        Assert.True(imported.OpenSslBlindingEnabled);
        using var fromParameters = RsaBssaPrivateKey.ImportParameters(Vectors.PrivateParameters(Vectors.Rfc9474[0]));
        Assert.True(fromParameters.OpenSslBlindingEnabled);
    }

    [Fact]
    public void BlindSign_is_safe_from_many_threads_at_once()
    {
        var variant = RsaBssa.Sha384PssDeterministic;
        var prepared = variant.Prepare("concurrent"u8);
        var blindings = Enumerable.Range(0, 16).Select(_ => variant.Blind(Key.PublicKey, prepared)).ToArray();
        var signatures = new byte[blindings.Length][];
        Parallel.For(0, blindings.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
            signatures[i] = variant.BlindSign(Key, blindings[i].BlindedMessage));
        for (var i = 0; i < blindings.Length; i++)
        {
            Assert.True(variant.Verify(Key.PublicKey, prepared, variant.Finalize(Key.PublicKey, prepared, signatures[i], blindings[i])));
            blindings[i].Dispose();
        }
    }

    [Fact]
    public void Public_keys_refuse_bad_parameters()
    {
        var n = Key.PublicKey.Modulus.ToArray();
        Assert.False(RsaBssaPublicKey.TryFromParameters(n, [0x01, 0x00, 0x00], out _)); // even e
        Assert.False(RsaBssaPublicKey.TryFromParameters(n, [0x01], out _)); // e = 1
        Assert.False(RsaBssaPublicKey.TryFromParameters(n[..128], [0x01, 0x00, 0x01], out _)); // 1024-bit
        var even = (byte[])n.Clone();
        even[^1] &= 0xFE;
        Assert.False(RsaBssaPublicKey.TryFromParameters(even, [0x01, 0x00, 0x01], out _));
        Assert.True(RsaBssaPublicKey.TryFromParameters([0, 0, .. n], [0, 0x01, 0x00, 0x01], out var padded));
        Assert.Equal(Key.PublicKey, padded);
        Assert.Equal(RsaBssaError.InvalidKey, Assert.Throws<RsaBssaException>(() => RsaBssaPublicKey.FromParameters(n, [2])).Error);
    }
}
