using SimpleXLedger.Tokens;

namespace SimpleXLedger.Files.Tests.Support;

/// <summary>One issuer key for a test class and a token mint (blind issuance, as a wallet and issuer would).</summary>
public sealed class TokenMint : IDisposable
{
    public const string IssuerName = "issuer.sxl.test";

    public TokenPrivateKey IssuerKey { get; } = TokenPrivateKey.Generate();

    public TokenChallenge Challenge { get; } = TokenChallenge.ForNetwork(IssuerName);

    public byte[] Mint()
    {
        using var state = TokenClient.CreateRequest(IssuerKey.PublicKey, Challenge);
        var response = TokenIssuer.Issue(IssuerKey, state.Request);
        return TokenClient.Finalize(state, response).ToArray();
    }

    /// <summary>The tokens plugin's settings: this key, no clearing house (the relay's spent-set is the only check).</summary>
    public Dictionary<string, string> Settings() => new()
    {
        ["issuerName"] = IssuerName,
        ["tokenKeys"] = IssuerKey.PublicKey.ToBase64Url(),
    };

    public void Dispose() => IssuerKey.Dispose();
}
