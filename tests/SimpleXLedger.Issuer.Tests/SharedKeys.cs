using SimpleXLedger.Tokens;

namespace SimpleXLedger.Issuer.Tests;

/// <summary>RSA keys generated once per test run (generation is slow; the tests need only a couple).</summary>
public static class SharedKeys
{
    private static readonly Lazy<string[]> Pems = new(() =>
    [
        .. Enumerable.Range(0, 3).Select(_ =>
        {
            using var key = TokenPrivateKey.Generate();
            return key.ExportPkcs8Pem();
        }),
    ]);

    /// <summary>A fresh handle on shared key number <paramref name="index"/> (0..2).</summary>
    public static TokenPrivateKey Get(int index) => TokenPrivateKey.FromPem(Pems.Value[index]);
}
