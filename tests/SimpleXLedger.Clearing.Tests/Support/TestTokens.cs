using SimpleXLedger.Clearing.Registry;
using SimpleXLedger.Tokens;

namespace SimpleXLedger.Clearing.Tests.Support;

/// <summary>Issuer keys made once per test run (RSA-2048 generation is slow) and tokens minted with them.</summary>
public static class TestTokens
{
    public const string IssuerName = "issuer.test";

    private static readonly Lazy<TokenPrivateKey> First = new(TokenPrivateKey.Generate);
    private static readonly Lazy<TokenPrivateKey> Second = new(TokenPrivateKey.Generate);

    public static TokenPrivateKey KeyA => First.Value;

    public static TokenPrivateKey KeyB => Second.Value;

    /// <summary>Real type 2 tokens: blinded, blind-signed by the issuer key, finalized, for the network challenge.</summary>
    public static byte[][] Mint(TokenPrivateKey key, int count, string issuerName = IssuerName)
    {
        ArgumentNullException.ThrowIfNull(key);
        var challenge = TokenChallenge.ForNetwork(issuerName);
        var tokens = new byte[count][];
        for (var i = 0; i < count; i++)
        {
            var state = TokenClient.CreateRequest(key.PublicKey, challenge);
            var response = TokenIssuer.Issue(key, state.Request);
            tokens[i] = TokenClient.Finalize(state, response).ToArray();
        }

        return tokens;
    }

    /// <summary>A registry entry for a key: usable over [from, until), with <paramref name="issued"/> anchored.</summary>
    public static RegisteredKey Registered(TokenPrivateKey key, ulong from, ulong until, ulong issued = 1_000_000) =>
        new(key.PublicKey, from, until, until, 0, issued);
}
