using SimpleXLedger.Issuer.Keys;
using SimpleXLedger.Tokens;

namespace SimpleXLedger.Issuer.Tests.Keys;

/// <summary>The issuer signs only with key handles on which OpenSSL's RSA blinding is on, checked when it starts.</summary>
public sealed class KeyBlindingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sxl-issuer-blinding-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void The_start_check_passes_with_openssl_blinding_on_this_machine()
    {
        var keyId = SaveKey();
        using var files = new KeyFiles(_dir, null);

        files.RequireBlinding(keyId);

        Assert.True(files.Open(keyId).RsaKey.OpenSslBlindingEnabled);
    }

    [Fact]
    public void A_key_handle_without_blinding_is_refused_with_a_typed_error_that_names_no_secret()
    {
        var keyId = SaveKey();
        using var files = new KeyFiles(_dir, null) { BlindingProbe = _ => false };

        var start = Assert.Throws<OpenSslBlindingDisabledException>(() => files.RequireBlinding(keyId));
        Assert.Contains(keyId, start.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", start.Message, StringComparison.Ordinal);

        // Nor can a signer open it later.
        Assert.Throws<OpenSslBlindingDisabledException>(() => files.Open(keyId));
    }

    private string SaveKey()
    {
        using var files = new KeyFiles(_dir, null);
        using var key = SharedKeys.Get(0);
        var keyId = "0x" + key.PublicKey.KeyIdHex;
        files.Save(keyId, key);
        return keyId;
    }
}
