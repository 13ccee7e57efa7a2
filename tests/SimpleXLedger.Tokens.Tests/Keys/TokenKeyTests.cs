using System.Security.Cryptography;
using SimpleXLedger.Tokens.Tests.Support;

namespace SimpleXLedger.Tokens.Tests.Keys;

/// <summary>Issuer keys: generation, PKCS#8 PEM files (owner-only), SPKI encoding and key ids.</summary>
public sealed class TokenKeyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sxl-keys-").FullName;

    private static TokenPrivateKey Key => SharedKeys.Issuer;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Generated_keys_are_rsa_2048_with_e_65537()
    {
        Assert.Equal(2048, Key.PublicKey.RsaKey.ModulusBits);
        Assert.Equal(new byte[] { 1, 0, 1 }, Key.PublicKey.RsaKey.Exponent.ToArray());
        Assert.Equal(SHA256.HashData(Key.PublicKey.Spki), Key.PublicKey.KeyId.ToArray());
        Assert.Equal(Key.PublicKey.KeyId[^1], Key.PublicKey.TruncatedKeyId);
    }

    [Theory]
    [InlineData(new byte[] { 3 })]
    [InlineData(new byte[] { 1, 0, 3 })]
    public void A_type_2_key_with_a_public_exponent_other_than_65537_is_refused(byte[] exponent)
    {
        var spki = SpkiWithExponent(Key.PublicKey, exponent);

        Assert.False(TokenPublicKey.TryFromSpki(spki, out var key, out var error));
        Assert.Null(key);
        Assert.Equal(TokenError.InvalidKey, error);
        Assert.Equal(TokenError.InvalidKey, Assert.Throws<TokenException>(() => TokenPublicKey.FromSpki(spki)).Error);
        Assert.False(TokenPublicKey.TryFromBase64Url(Base64Url.Encode(spki), out _, out error));
        Assert.Equal(TokenError.InvalidKey, error);
        var rsa = SimpleXLedger.Tokens.BlindRsa.RsaBssaPublicKey.FromParameters(Key.PublicKey.RsaKey.Modulus, exponent);
        Assert.Equal(TokenError.InvalidKey, Assert.Throws<TokenException>(() => TokenPublicKey.FromRsaKey(rsa)).Error);

        // The same SPKI with e = 65537 is the key itself.
        Assert.Equal(Key.PublicKey, TokenPublicKey.FromSpki(SpkiWithExponent(Key.PublicKey, [1, 0, 1])));
    }

    /// <summary>The canonical type-2 SPKI of the key's modulus with another public exponent.</summary>
    private static byte[] SpkiWithExponent(TokenPublicKey key, byte[] exponent)
    {
        var outer = new System.Formats.Asn1.AsnReader(key.Spki.ToArray(), System.Formats.Asn1.AsnEncodingRules.DER).ReadSequence();
        var algorithm = outer.ReadEncodedValue();
        var inner = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
        using (inner.PushSequence())
        {
            inner.WriteIntegerUnsigned(key.RsaKey.Modulus);
            inner.WriteIntegerUnsigned(exponent);
        }

        var w = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            w.WriteEncodedValue(algorithm.Span);
            w.WriteBitString(inner.Encode());
        }

        return w.Encode();
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void Save_creates_an_owner_only_file_and_load_round_trips()
    {
        var path = Path.Combine(_dir, "issuer.pem");
        Key.Save(path);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", File.ReadAllText(path), StringComparison.Ordinal);
        using var loaded = TokenPrivateKey.Load(path);
        Assert.Equal(Key.PublicKey, loaded.PublicKey);

        // The loaded key signs: a token from it verifies under the original public key.
        Assert.True(TokenVerifier.Verify(Key.PublicKey, SharedKeys.MintToken(loaded), SharedKeys.NetworkChallenge));
    }

    [Fact]
    public void Save_never_overwrites()
    {
        var path = Path.Combine(_dir, "exists.pem");
        File.WriteAllText(path, "keep me");
        Assert.Throws<IOException>(() => Key.Save(path));
        Assert.Equal("keep me", File.ReadAllText(path));
    }

    [Fact]
    public void An_encrypted_key_needs_its_passphrase()
    {
        var path = Path.Combine(_dir, "encrypted.pem");
        Key.Save(path, "correct horse");
        var pem = File.ReadAllText(path);
        Assert.StartsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----", pem, StringComparison.Ordinal);
        using (var loaded = TokenPrivateKey.Load(path, "correct horse"))
        {
            Assert.Equal(Key.PublicKey, loaded.PublicKey);
        }

        var wrong = Assert.Throws<TokenException>(() => TokenPrivateKey.Load(path, "wrong horse"));
        Assert.Equal(TokenError.InvalidKey, wrong.Error);
        Assert.Equal(TokenError.InvalidKey, Assert.Throws<TokenException>(() => TokenPrivateKey.Load(path)).Error);
    }

    [Fact]
    public void Garbage_and_other_key_sizes_are_refused_without_echoing_the_input()
    {
        var ex = Assert.Throws<TokenException>(() => TokenPrivateKey.FromPem("-----BEGIN PRIVATE KEY-----\nc2VjcmV0LXNlY3JldA==\n-----END PRIVATE KEY-----"));
        Assert.Equal(TokenError.InvalidKey, ex.Error);
        Assert.DoesNotContain("c2VjcmV0", ex.Message, StringComparison.Ordinal);

        using var rsa4096 = RSA.Create(3072);
        Assert.Equal(TokenError.InvalidKey, Assert.Throws<TokenException>(() => TokenPrivateKey.FromPem(rsa4096.ExportPkcs8PrivateKeyPem())).Error);
    }

    [Fact]
    public void The_spki_is_the_rfc_9578_pss_encoding_and_parses_back()
    {
        var spki = Key.PublicKey.Spki.ToArray();

        // SEQUENCE { SEQUENCE { rsassaPss, params { [0] sha384, [1] mgf1(sha384), [2] 48 } }, BIT STRING }
        Assert.Equal(Convert.FromHexString("30820152303d06092a864886f70d01010a3030a00d300b0609608648016503040202a11a301806092a864886f70d010108300b0609608648016503040202a2030201300382010f00"), spki[..72]);
        Assert.Equal(338 + 4, spki.Length);
        Assert.Equal(Key.PublicKey, TokenPublicKey.FromSpki(spki));
        Assert.Equal(Key.PublicKey, TokenPublicKey.FromBase64Url(Key.PublicKey.ToBase64Url()));
        Assert.Equal(0, Key.PublicKey.ToBase64Url().Length % 4);
    }

    [Fact]
    public void Spki_parsing_is_strict()
    {
        var spki = Key.PublicKey.Spki.ToArray();
        Assert.False(TokenPublicKey.TryFromSpki([.. spki, 0], out _, out var error));
        Assert.Equal(TokenError.InvalidKey, error);
        Assert.False(TokenPublicKey.TryFromSpki(spki[..^1], out _, out _));

        // rsaEncryption SPKI of the same key: a different key id, so refused.
        using var rsa = RSA.Create(Key.PublicKey.RsaKey.Parameters());
        Assert.False(TokenPublicKey.TryFromSpki(rsa.ExportSubjectPublicKeyInfo(), out _, out _));

        // Salt length 32 instead of 48.
        var salt32 = (byte[])spki.Clone();
        Assert.Equal(0x30, salt32[66]);
        salt32[66] = 0x20;
        Assert.False(TokenPublicKey.TryFromSpki(salt32, out _, out _));

        // A 3072-bit key in the right wrapper.
        using var big = RSA.Create(3072);
        var p = big.ExportParameters(false);
        Assert.Equal(TokenError.InvalidKey, Assert.Throws<TokenException>(() => TokenPublicKey.FromRsaKey(SimpleXLedger.Tokens.BlindRsa.RsaBssaPublicKey.FromParameters(p.Modulus, p.Exponent))).Error);

        Assert.False(TokenPublicKey.TryFromBase64Url("not base64!", out _, out error));
        Assert.Equal(TokenError.InvalidBase64, error);
    }
}
