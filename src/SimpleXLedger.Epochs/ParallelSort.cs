namespace SimpleXLedger.Epochs;

/// <summary>Sorts slices on every core, then merges them pairwise (each round of merges in parallel).</summary>
internal static class ParallelSort
{
    public static SortKey[] Sort(SortKey[] keys)
    {
        var comparer = default(SortKey.Comparer);
        var slices = keys.Length < (1 << 16) ? 1 : (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Environment.ProcessorCount);
        var bounds = Enumerable.Range(0, slices + 1).Select(s => (int)((long)keys.Length * s / slices)).ToArray();
        System.Threading.Tasks.Parallel.For(0, slices, s => keys.AsSpan(bounds[s], bounds[s + 1] - bounds[s]).Sort(comparer));
        if (slices == 1)
        {
            return keys;
        }

        var source = keys;
        var target = GC.AllocateUninitializedArray<SortKey>(keys.Length);
        for (var width = 1; width < slices; width *= 2)
        {
            var step = width;
            var (from, to) = (source, target);
            System.Threading.Tasks.Parallel.For(0, slices / (2 * step), pair =>
            {
                var lo = bounds[pair * 2 * step];
                var mid = bounds[(pair * 2 * step) + step];
                var hi = bounds[(pair + 1) * 2 * step];
                Merge(from, lo, mid, hi, to, comparer);
            });
            (source, target) = (target, source);
        }

        return source;
    }

    private static void Merge(SortKey[] from, int lo, int mid, int hi, SortKey[] to, SortKey.Comparer comparer)
    {
        int i = lo, j = mid, k = lo;
        while (i < mid && j < hi)
        {
            to[k++] = comparer.Compare(from[j], from[i]) < 0 ? from[j++] : from[i++];
        }

        while (i < mid)
        {
            to[k++] = from[i++];
        }

        while (j < hi)
        {
            to[k++] = from[j++];
        }
    }
}
