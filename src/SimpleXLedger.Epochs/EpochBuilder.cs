using System.Buffers.Binary;

namespace SimpleXLedger.Epochs;

/// <summary>
/// Closes an epoch (docs/ledger-v2.md §5, §6 step 2): takes the epoch's redemptions one by one (<see cref="Add"/>), then
/// <see cref="Build"/> sorts them strictly by (payee, keyId, nonce) — non-paying entries (payee 0) first, positions
/// [0, R) — gives each entry its ordinal (its index among the epoch's entries under its key, in tree order), counts per
/// key, lays out the payout leaves (non-paying leaf, one leaf per operator in increasing payee order with amount
/// epochRate × count, the fee leaf), hashes both trees and the header. One sort and linear passes: O(n log n); the
/// sort and the hashing run on every core. A builder builds once.
/// </summary>
public sealed class EpochBuilder
{
    private readonly EpochParameters _parameters;
    private readonly Dictionary<Key32, byte> _rankOfKey = [];
    private readonly RegisteredKey[] _keysByRank;
    private readonly TokenLeafStore _leaves = new();
    private readonly List<byte> _ranks = [];
    private readonly List<(string Phase, double Seconds)> _phases = [];
    private bool _built;

    public EpochBuilder(EpochParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Bytes.Exact(parameters.Ledger, 20, "ledger");
        Bytes.Exact(parameters.FeeRecipient, 20, "feeRecipient");
        if (Bytes.IsZero(parameters.FeeRecipient))
        {
            throw new EpochFormatException(EpochFormatError.BadParameter, "the fee recipient is not the zero address");
        }

        ArgumentNullException.ThrowIfNull(parameters.Keys);
        if (parameters.Keys.Count > byte.MaxValue)
        {
            throw new EpochFormatException(EpochFormatError.BadKey, "at most 255 registered keys per close");
        }

        _keysByRank = [.. parameters.Keys.OrderBy(k => k?.KeyId ?? [], ByteArrayComparer.Instance)];
        var indices = new HashSet<ushort>();
        for (var rank = 0; rank < _keysByRank.Length; rank++)
        {
            var key = _keysByRank[rank] ?? throw new EpochFormatException(EpochFormatError.BadKey, "a registered key is null");
            if (!_rankOfKey.TryAdd(Key32.Of(Bytes.Exact(key.KeyId, 32, "keyId")), (byte)rank) || !indices.Add(key.Index))
            {
                throw new EpochFormatException(EpochFormatError.BadKey, "registered keys have distinct keyIds and distinct indices");
            }
        }

        _parameters = parameters;
    }

    public long Count => _leaves.Count;

    /// <summary>Seconds per phase of the last <see cref="Build"/> (for <c>sxl bench epoch</c>).</summary>
    internal IReadOnlyList<(string Phase, double Seconds)> Phases => _phases;

    /// <summary>
    /// One redemption. <paramref name="reference"/> is zero (or empty) for PAID, the replacement request digest for
    /// ROLLOVER/RECOUP; <paramref name="payee"/> is zero for those. Refuses bad lengths, kinds, payees, refs and keys not
    /// in the registry map, adding nothing. Duplicates are found by <see cref="Build"/>.
    /// </summary>
    public void Add(TokenKind kind, ReadOnlySpan<byte> payee, ReadOnlySpan<byte> keyId, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> authenticator, ReadOnlySpan<byte> reference = default)
    {
        ObjectDisposedException.ThrowIf(_built, this);
        if (payee.Length != 20 || keyId.Length != 32 || nonce.Length != 32 || authenticator.Length != TokenLeaf.AuthenticatorSize || (reference.Length != 0 && reference.Length != 32))
        {
            throw new EpochFormatException(EpochFormatError.BadLength, "payee 20, keyId 32, nonce 32, authenticator 256 and ref 32 (or none) bytes");
        }

        TokenLeaf.Check(kind, payee, reference);
        if (!_rankOfKey.TryGetValue(Key32.Of(keyId), out var rank))
        {
            throw new EpochFormatException(EpochFormatError.BadKey, $"key {Convert.ToHexStringLower(keyId)} is not in the registry map");
        }

        var leaf = _leaves.Append();
        leaf[0] = Tags.TokenLeaf;
        leaf[TokenLeaf.KindOffset] = (byte)kind;
        payee.CopyTo(leaf[TokenLeaf.PayeeOffset..]);
        keyId.CopyTo(leaf[TokenLeaf.KeyIdOffset..]);
        nonce.CopyTo(leaf[TokenLeaf.NonceOffset..]);
        BinaryPrimitives.WriteUInt32BigEndian(leaf[TokenLeaf.OrdinalOffset..], 0);
        if (reference.IsEmpty)
        {
            leaf.Slice(TokenLeaf.RefOffset, 32).Clear();
        }
        else
        {
            reference.CopyTo(leaf[TokenLeaf.RefOffset..]);
        }

        authenticator.CopyTo(leaf[TokenLeaf.AuthenticatorOffset..]);
        _ranks.Add(rank);
    }

    /// <summary>
    /// Sorts, counts, lays out and hashes. Throws <see cref="EpochFormatException"/> (<see cref="EpochFormatError.DuplicateToken"/>)
    /// when a (keyId, nonce) appears twice, (<see cref="EpochFormatError.BadKey"/>) when more than five keys are used, and
    /// (<see cref="EpochFormatError.Overflow"/>) when an amount does not fit uint128.
    /// </summary>
    public EpochData Build() => Build(null);

    /// <summary>
    /// <see cref="Build"/>, writing the <c>sxl-epoch</c> export (trailer zero, for <see cref="EpochExport.WriteTrailer"/>)
    /// to <paramref name="export"/> from its current position while the trees are hashed: everything but the header is
    /// known once the entries are laid out, so the disk and the hashing overlap; the header goes in last. The stream must be
    /// writable and seekable. On an error nothing more is written, and what was is not a valid export.
    /// </summary>
    public EpochData BuildAndExport(Stream export)
    {
        ArgumentNullException.ThrowIfNull(export);
        if (!export.CanWrite || !export.CanSeek)
        {
            throw new EpochFormatException(EpochFormatError.BadParameter, "the export stream is writable and seekable");
        }

        return Build(export);
    }

    private EpochData Build(Stream? export)
    {
        ObjectDisposedException.ThrowIf(_built, this);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        void Phase(string name)
        {
            _phases.Add((name, watch.Elapsed.TotalSeconds));
            watch.Restart();
        }

        var n = (int)_leaves.Count;
        var keys = new SortKey[n];
        PositionTree.ForRanges(n, (from, to) =>
        {
            for (var i = (int)from; i < to; i++)
            {
                keys[i] = SortKey.Of(_leaves.Slot(i), _ranks[i], i);
            }
        });
        keys = ParallelSort.Sort(keys);
        Phase("sort");
        CheckDuplicates(keys);
        Phase("duplicates");
        _built = true;

        // Linear pass: R, ordinals and counts per key, operator leaves.
        var p = _parameters;
        var counts = new uint[_keysByRank.Length];
        var order = new int[n];
        var payouts = new List<PayoutLeaf>();
        var nonPaying = 0;
        while (nonPaying < n && !keys[nonPaying].IsPaying)
        {
            nonPaying++;
        }

        payouts.Add(new PayoutLeaf(new byte[20], UInt128.Zero, 0, (uint)nonPaying));
        var runStart = nonPaying;
        Span<byte> payee = stackalloc byte[20];
        for (var i = 0; i < n; i++)
        {
            var key = keys[i];
            order[i] = key.Index;
            var rank = key.Rank;
            BinaryPrimitives.WriteUInt32BigEndian(_leaves.Slot(key.Index)[TokenLeaf.OrdinalOffset..], counts[rank]++);
            if (i >= nonPaying && (i + 1 == n || !keys[i + 1].SamePayee(key)))
            {
                var count = (uint)(i + 1 - runStart);
                _leaves.Slot(key.Index).Slice(TokenLeaf.PayeeOffset, 20).CopyTo(payee);
                payouts.Add(new PayoutLeaf(payee, Multiply(p.EpochRate, count), (uint)runStart, count));
                runStart = i + 1;
            }
        }

        var paying = (uint)(n - nonPaying);
        payouts.Add(new PayoutLeaf(p.FeeRecipient, Multiply(p.FeePerCredit, paying), (uint)n, 0));
        var total = Multiply(Add(p.EpochRate, p.FeePerCredit), paying);
        _leaves.SetOrder(order);

        var keyCounts = Enumerable.Range(0, counts.Length)
            .Where(rank => counts[rank] > 0)
            .Select(rank => new KeyCount(_keysByRank[rank].Index, counts[rank]))
            .OrderBy(k => k.KeyIndex)
            .ToList();
        if (keyCounts.Count > KeyCount.MaxPerEpoch)
        {
            throw new EpochFormatException(EpochFormatError.BadKey, $"an epoch counts tokens under at most {KeyCount.MaxPerEpoch} keys, this one {keyCounts.Count}");
        }

        Phase("layout");
        var start = export?.Position ?? 0;
        var writing = export is null
            ? null
            : Task.Factory.StartNew(() => EpochExport.WriteAll(export, new byte[EpochHeader.Size], keyCounts, _leaves, payouts, new byte[32], 0), TaskCreationOptions.LongRunning);
        try
        {
            var leafHashes = HashLeaves(_leaves);
            Phase("leafHashes");
            var tokenTree = PositionTree.Build(Tags.TokenNode, leafHashes);
            Phase("tokenTree");
            var payoutTree = SumTree.Build(payouts);
            Phase("payoutTree");
            if (payoutTree.RootSum != total)
            {
                throw new EpochFormatException(EpochFormatError.Mismatch, "the payout leaves do not add up to the total");
            }

            var header = new EpochHeader(
                p.ChainId, p.Ledger, p.Epoch, p.Round,
                tokenTree.Root, (uint)n, (uint)nonPaying,
                payoutTree.RootHash, (uint)payouts.Count,
                total, p.EpochRate, KeyCount.Hash(keyCounts));
            if (writing is not null)
            {
                writing.GetAwaiter().GetResult();
                EpochExport.PatchHeader(export!, start, header);
                Phase("exportWait");
            }

            return new EpochData(header, keyCounts, _leaves, payouts, tokenTree, payoutTree);
        }
        finally
        {
            // Never leave a writer running on the caller's stream, whatever happened here.
            if (writing is { IsCompleted: false })
            {
                ((IAsyncResult)writing).AsyncWaitHandle.WaitOne();
            }
        }
    }

    /// <summary>keccak256 of every leaf in tree order, 32 bytes each, on every core.</summary>
    internal static byte[] HashLeaves(TokenLeafStore leaves)
    {
        var hashes = GC.AllocateUninitializedArray<byte>(checked((int)leaves.Count * 32));
        PositionTree.ForRanges(leaves.Count, (from, to) =>
        {
            for (var i = from; i < to; i++)
            {
                Keccak.Hash(leaves[i], hashes.AsSpan((int)i * 32, 32));
            }
        });
        return hashes;
    }

    /// <summary>Adjacent after the sort when under one payee; across payees by a hash set per nonce slice, in parallel.</summary>
    private static void CheckDuplicates(SortKey[] keys)
    {
        for (var i = 1; i < keys.Length; i++)
        {
            if (keys[i].SameToken(keys[i - 1]) && keys[i].SamePayee(keys[i - 1]))
            {
                throw Duplicate(keys[i]);
            }
        }

        var slices = keys.Length < (1 << 16) ? 1 : Math.Max(1, Environment.ProcessorCount);
        var found = new SortKey?[slices];
        System.Threading.Tasks.Parallel.For(0, slices, slice =>
        {
            var seen = new HashSet<TokenId>(keys.Length / slices + 1);
            foreach (var key in keys)
            {
                if ((int)(key.N3 % (ulong)slices) == slice && !seen.Add(new TokenId(key.Rank, key.N0, key.N1, key.N2, key.N3)))
                {
                    found[slice] = key;
                    return;
                }
            }
        });
        foreach (var key in found)
        {
            if (key is { } duplicate)
            {
                throw Duplicate(duplicate);
            }
        }
    }

    private static EpochFormatException Duplicate(SortKey key)
    {
        Span<byte> nonce = stackalloc byte[32];
        BinaryPrimitives.WriteUInt64BigEndian(nonce, key.N0);
        BinaryPrimitives.WriteUInt64BigEndian(nonce[8..], key.N1);
        BinaryPrimitives.WriteUInt64BigEndian(nonce[16..], key.N2);
        BinaryPrimitives.WriteUInt64BigEndian(nonce[24..], key.N3);
        return new EpochFormatException(EpochFormatError.DuplicateToken, $"token nonce {Convert.ToHexStringLower(nonce)} appears twice under one key");
    }

    private static UInt128 Multiply(UInt128 a, uint b)
    {
        try
        {
            return checked(a * b);
        }
        catch (OverflowException)
        {
            throw new EpochFormatException(EpochFormatError.Overflow, "an amount does not fit uint128");
        }
    }

    private static UInt128 Add(UInt128 a, UInt128 b)
    {
        try
        {
            return checked(a + b);
        }
        catch (OverflowException)
        {
            throw new EpochFormatException(EpochFormatError.Overflow, "epochRate + feePerCredit does not fit uint128");
        }
    }

    /// <summary>(key, nonce); hashed with <see cref="HashCode"/>'s per-process seed, so wallets cannot choose nonces that collide.</summary>
    private readonly record struct TokenId(byte Rank, ulong N0, ulong N1, ulong N2, ulong N3)
    {
        public override int GetHashCode() => HashCode.Combine(N0, N1, N2, N3, Rank);
    }
}
