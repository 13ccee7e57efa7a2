using System.Buffers.Binary;
using System.Numerics;
using SimpleXLedger.Chain.Contracts.V2;
using SimpleXLedger.Epochs;
using SimpleXLedger.Tokens;

namespace SimpleXLedger.Watch;

/// <summary>Where a (keyId, nonce) is counted in another standing epoch: for the across-epochs duplicate proof.</summary>
public sealed record SpentElsewhere(EpochData Data, long Position);

/// <summary>How much of an epoch a check covered.</summary>
public sealed record CheckStats(long Tokens, long SignaturesVerified, int PayoutLeaves);

/// <summary>
/// Checks one epoch's data the way the judge would (docs/ledger-v2.md §14.1): the leaves' kinds and places, the
/// declared counts and ordinals, order, duplicates within the epoch and against every other standing epoch, every
/// token's signature under its key for the network challenge, and every payout leaf: amounts, the fee leaf, tiling
/// and the payee of every token in each range. Returns the first deviation with the call that proves it, cheapest
/// checks first; the signatures are verified on all cores.
/// </summary>
public static class EpochChecker
{
    public static (CheckStats Stats, Finding? Finding) Check(
        EpochData data,
        IReadOnlyList<WatchedKey> keys,
        byte[] feeRecipient,
        BigInteger feePerCredit,
        Func<byte[], SpentElsewhere?> spentElsewhere)
    {
        var header = EpochEvidence.Header(data);
        var n = data.TokenLeaves.Count;
        var r = data.Header.NonPayingCount;
        var byId = keys.ToDictionary(k => Convert.ToHexString(k.KeyId), k => k);
        var declared = data.KeyCounts.ToDictionary(k => k.KeyIndex, k => k.Count);
        var ordinals = new Dictionary<(ushort, uint), long>();
        var nonces = new Dictionary<string, long>(StringComparer.Ordinal);

        for (long i = 0; i < n; i++)
        {
            var leaf = data.TokenLeaves[i];
            var kind = leaf[1];
            var payeeZero = leaf.Slice(2, 20).IndexOfAnyExcept((byte)0) < 0;
            var paying = kind == (byte)TokenKind.Paid;
            var inPlace = i < r ? !paying && payeeZero : paying && !payeeZero;
            if (leaf[0] != Tags.TokenLeaf || kind is < 1 or > 3 || !inPlace)
            {
                return Found(i, Finding.Of("kind-range", $"token {i} is malformed or out of its place", new KindRangeProof { Header = header, Token = EpochEvidence.Token(data, i) }));
            }

            var keyId = leaf.Slice(22, 32).ToArray();
            var ordinal = BinaryPrimitives.ReadUInt32BigEndian(leaf[86..]);
            if (!byId.TryGetValue(Convert.ToHexString(keyId), out var key) || !declared.TryGetValue(key.Index, out var count) || ordinal >= count)
            {
                return Found(i, Finding.Of("undeclared", $"token {i}: its key is not declared or its ordinal is not below the declared count", new UndeclaredProof { Header = header, Token = EpochEvidence.Token(data, i) }));
            }

            if (ordinals.TryGetValue((key.Index, ordinal), out var sameOrdinal))
            {
                return Found(i, Finding.Of("duplicate-ordinal", $"tokens {sameOrdinal} and {i} share an ordinal", new ConflictProof { Header = header, A = EpochEvidence.Token(data, sameOrdinal), B = EpochEvidence.Token(data, i) }));
            }

            ordinals[(key.Index, ordinal)] = i;
            var spentKey = Convert.ToHexString(leaf.Slice(22, 64));
            if (nonces.TryGetValue(spentKey, out var same))
            {
                return Found(i, Finding.Of("duplicate", $"tokens {same} and {i} are one token", new ConflictProof { Header = header, A = EpochEvidence.Token(data, same), B = EpochEvidence.Token(data, i) }));
            }

            nonces[spentKey] = i;
            if (i > 0 && data.TokenLeaves[i - 1].Slice(2, 84).SequenceCompareTo(leaf.Slice(2, 84)) >= 0)
            {
                return Found(i, Finding.Of("order", $"tokens {i - 1} and {i} are not in order", new OrderProof { Header = header, A = EpochEvidence.Token(data, i - 1), B = EpochEvidence.Token(data, i) }));
            }

            if (spentElsewhere(leaf.Slice(22, 64).ToArray()) is { } other)
            {
                return Found(i, Finding.Of("duplicate-across", $"token {i} is also counted in epoch {other.Data.Header.Epoch}", new DuplicateAcrossProof
                {
                    Header = header,
                    A = EpochEvidence.Token(data, i),
                    Other = EpochEvidence.Header(other.Data),
                    B = EpochEvidence.Token(other.Data, other.Position),
                }));
            }
        }

        var invalid = FirstInvalidSignature(data, byId);
        if (invalid >= 0)
        {
            return (new CheckStats(n, n, 0), Finding.Of("invalid-token", $"token {invalid} does not verify under its key", new InvalidTokenProof { Header = header, Token = EpochEvidence.Token(data, invalid) }));
        }

        var payouts = data.PayoutLeaves;
        var m = payouts.Count;
        var rate = (BigInteger)data.Header.EpochRate;
        for (var j = 0; j < m; j++)
        {
            var p = payouts[j];
            var payeeZero = p.Payee.IndexOfAnyExcept((byte)0) < 0;
            bool right;
            if (j == 0)
            {
                right = payeeZero && p.Amount == UInt128.Zero && p.Start == 0 && p.Count == r;
            }
            else if (j == m - 1)
            {
                right = p.Payee.SequenceEqual(feeRecipient) && (BigInteger)p.Amount == feePerCredit * (n - r) && p.Start == n && p.Count == 0;
            }
            else
            {
                right = !payeeZero && p.Count > 0 && (BigInteger)p.Amount == rate * p.Count;
            }

            if (!right)
            {
                return (new CheckStats(n, n, j), Finding.Of("payout-leaf", $"payout leaf {j} pays the wrong payee or amount", new PayoutLeafProof { Header = header, Payout = EpochEvidence.Payout(data, j) }));
            }

            if (j + 1 < m)
            {
                var q = payouts[j + 1];
                var ordered = j == 0 || j + 1 == m - 1 || p.Payee.SequenceCompareTo(q.Payee) < 0;
                if ((long)q.Start != (long)p.Start + p.Count || !ordered)
                {
                    return (new CheckStats(n, n, j), Finding.Of("tiling", $"payout leaves {j} and {j + 1} do not tile", new TilingProof { Header = header, A = EpochEvidence.Payout(data, j), B = EpochEvidence.Payout(data, j + 1) }));
                }
            }

            for (long t = p.Start; j > 0 && j < m - 1 && t < (long)p.Start + p.Count && t < n; t++)
            {
                if (!data.TokenLeaves[t].Slice(2, 20).SequenceEqual(p.Payee))
                {
                    return (new CheckStats(n, n, j), Finding.Of("range-payee", $"token {t} lies in payout leaf {j}'s range under another payee", new RangePayeeProof { Header = header, Payout = EpochEvidence.Payout(data, j), Token = EpochEvidence.Token(data, t) }));
                }
            }
        }

        return (new CheckStats(n, n, m), null);

        (CheckStats, Finding?) Found(long at, Finding finding) => (new CheckStats(at + 1, 0, 0), finding);
    }

    /// <summary>The lowest position whose token does not verify, or -1; all cores.</summary>
    private static long FirstInvalidSignature(EpochData data, Dictionary<string, WatchedKey> byId)
    {
        var first = long.MaxValue;
        Parallel.For(0L, data.TokenLeaves.Count, (i, state) =>
        {
            var leaf = data.TokenLeaves[i];
            var key = byId[Convert.ToHexString(leaf.Slice(22, 32))];
            var token = new byte[2 + 32 + 32 + 32 + 256];
            BinaryPrimitives.WriteUInt16BigEndian(token, TokenTypes.BlindRsa2048);
            leaf.Slice(54, 32).CopyTo(token.AsSpan(2));
            key.Challenge.Digest.CopyTo(token.AsSpan(34));
            key.KeyId.CopyTo(token.AsSpan(66));
            leaf.Slice(122, 256).CopyTo(token.AsSpan(98));
            if (!Token.TryParse(token, out var parsed, out _) || !TokenVerifier.Verify(key.PublicKey, parsed, key.Challenge))
            {
                InterlockedMin(ref first, i);
            }
        });
        return first == long.MaxValue ? -1 : first;
    }

    private static void InterlockedMin(ref long target, long value)
    {
        var current = Interlocked.Read(ref target);
        while (value < current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
