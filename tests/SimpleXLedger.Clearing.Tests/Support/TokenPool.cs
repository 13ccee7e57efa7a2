using SimpleXLedger.Tokens;

namespace SimpleXLedger.Clearing.Tests.Support;

/// <summary>
/// Tokens minted once per test run. Every test starts on a fresh database, so tests may share them; a test
/// takes disjoint slices when it needs distinct tokens.
/// </summary>
public static class TokenPool
{
    private static readonly Lazy<byte[][]> PoolA = new(() => TestTokens.Mint(TestTokens.KeyA, 240));
    private static readonly Lazy<byte[][]> PoolB = new(() => TestTokens.Mint(TestTokens.KeyB, 12));
    private static readonly Lazy<byte[][]> OtherIssuer = new(() => TestTokens.Mint(TestTokens.KeyA, 2, "other.issuer"));

    /// <summary>Tokens under key A (240).</summary>
    public static IReadOnlyList<byte[]> A => PoolA.Value;

    /// <summary>Tokens under key B (12).</summary>
    public static IReadOnlyList<byte[]> B => PoolB.Value;

    /// <summary>Valid signatures under key A, but made for another issuer's challenge.</summary>
    public static IReadOnlyList<byte[]> ForOtherIssuer => OtherIssuer.Value;

    public static byte[][] ASlice(int start, int count) => PoolA.Value.Skip(start).Take(count).ToArray();

    public static Token Parse(byte[] token) => Token.Parse(token);
}
