using System.Numerics;
using SimpleXLedger.Epochs;

namespace SimpleXLedger.Testing.LedgerV2;

/// <summary>
/// Leaf-level crafting for the contract tests: token and payout leaves laid out as an honest close would, so a test
/// changes exactly the one thing its cheat is about. (The whole-network rogue clearing house lives in tools/.)
/// </summary>
public static class RogueEpochs
{
    public static byte[] TokenLeafBytes(string payee, byte[] keyId, byte[] nonce, uint ordinal, byte[] authenticator, TokenKind kind = TokenKind.Paid)
        => new TokenLeaf(kind, V2Network.Address(payee), keyId, nonce, ordinal, new byte[32], authenticator).Encode();

    public static byte[] PayoutLeafBytes(string payee, BigInteger amount, uint start, uint count)
        => new PayoutLeaf(V2Network.Address(payee), (UInt128)amount, start, count).Encode();

    /// <summary>Packed (keyIndex u16, count u32) entries exactly as given: rogue lists too (repeated, unordered).</summary>
    public static byte[] KeyCounts(params (ushort Index, uint Count)[] counts)
    {
        var bytes = new byte[counts.Length * 6];
        for (var i = 0; i < counts.Length; i++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(i * 6), counts[i].Index);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan((i * 6) + 2), counts[i].Count);
        }

        return bytes;
    }

    /// <summary>
    /// Token leaves in (payee, keyId, nonce) order with ordinals, all PAID under key 0, and payout leaves tiling them:
    /// the honest layout for the given spends, which a test then spoils.
    /// </summary>
    public static (List<byte[]> Tokens, List<byte[]> Payouts) Layout(
        V2Network net,
        IEnumerable<(string Payee, byte[] Nonce, byte[] Authenticator)> spends,
        BigInteger epochRate)
    {
        var sorted = spends
            .OrderBy(s => s.Payee.ToLowerInvariant(), StringComparer.Ordinal)
            .ThenBy(s => Convert.ToHexString(s.Nonce), StringComparer.Ordinal)
            .ToList();
        var tokens = sorted.Select((s, i) => TokenLeafBytes(s.Payee, net.TokenKeyId, s.Nonce, (uint)i, s.Authenticator)).ToList();
        var payouts = new List<byte[]> { PayoutLeafBytes(Zero, 0, 0, 0) };
        uint start = 0;
        foreach (var group in sorted.GroupBy(s => s.Payee.ToLowerInvariant()))
        {
            var count = (uint)group.Count();
            payouts.Add(PayoutLeafBytes(group.Key, epochRate * count, start, count));
            start += count;
        }

        payouts.Add(PayoutLeafBytes(SimpleXLedger.Chain.Devnet.DevAccounts.FeeRecipient.Address, net.FeePerCredit * start, start, 0));
        return (tokens, payouts);
    }

    public const string Zero = "0x0000000000000000000000000000000000000000";
}
