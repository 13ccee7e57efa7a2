namespace SimpleXLedger.Tokens.Tests.Support;

/// <summary>
/// Issuer keys generated once per test run and shared by every test (RSA generation is slow).
/// The two keys differ in their truncated key id, so "wrong key" tests never collide by chance.
/// </summary>
internal static class SharedKeys
{
    private static readonly Lazy<TokenPrivateKey> IssuerKey = new(TokenPrivateKey.Generate);
    private static readonly Lazy<TokenPrivateKey> OtherKey = new(() =>
    {
        while (true)
        {
            var key = TokenPrivateKey.Generate();
            if (key.PublicKey.TruncatedKeyId != Issuer.PublicKey.TruncatedKeyId)
            {
                return key;
            }

            key.Dispose();
        }
    });

    public static TokenPrivateKey Issuer => IssuerKey.Value;

    public static TokenPrivateKey Other => OtherKey.Value;

    public static TokenChallenge NetworkChallenge { get; } = TokenChallenge.ForNetwork("issuer.sxl.test");

    /// <summary>A fresh valid token for the network challenge under the shared issuer key.</summary>
    public static Token MintToken(TokenPrivateKey? key = null, TokenChallenge? challenge = null)
    {
        key ??= Issuer;
        challenge ??= NetworkChallenge;
        using var state = TokenClient.CreateRequest(key.PublicKey, challenge);
        var response = TokenIssuer.Issue(key, state.Request);
        return TokenClient.Finalize(state, response);
    }
}
