using System.Globalization;

namespace SimpleXLedger.Audit.Soak;

/// <summary>Resident memory of every service, at one moment of the soak.</summary>
/// <param name="Seconds">Since the soak's measured phase began.</param>
/// <param name="RssBytes">Service name → resident set size (bytes); a service that is not running is left out.</param>
public sealed record MemorySample(double Seconds, IReadOnlyDictionary<string, long> RssBytes);

/// <summary>Reads a process's resident set size (VmRSS in <c>/proc/&lt;pid&gt;/status</c>, Linux).</summary>
public static class ProcessMemory
{
    /// <summary>
    /// The resident set size of a process and all its descendants, in bytes, or null when it is gone: a devnet service
    /// runs under small wrappers (setsid, a watchdog shell) whose child is the service itself.
    /// </summary>
    public static long? TreeResidentBytes(int rootId)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || ParentOf(pid) is not { } parent)
            {
                continue;
            }

            if (!children.TryGetValue(parent, out var list))
            {
                children[parent] = list = [];
            }

            list.Add(pid);
        }

        if (ResidentBytes(rootId) is not { } total)
        {
            return null;
        }

        var pending = new Stack<int>(children.GetValueOrDefault(rootId) ?? []);
        while (pending.TryPop(out var pid))
        {
            total += ResidentBytes(pid) ?? 0;
            foreach (var child in children.GetValueOrDefault(pid) ?? [])
            {
                pending.Push(child);
            }
        }

        return total;
    }

    /// <summary>The parent process id (the field after the parenthesised name in <c>/proc/&lt;pid&gt;/stat</c>).</summary>
    private static int? ParentOf(int processId)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{processId.ToString(CultureInfo.InvariantCulture)}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[1], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or ArgumentOutOfRangeException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>The process's resident set size in bytes, or null when it is gone (or this is not Linux).</summary>
    public static long? ResidentBytes(int processId)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{processId.ToString(CultureInfo.InvariantCulture)}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    var parts = line["VmRSS:".Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    return long.Parse(parts[0], CultureInfo.InvariantCulture) * (parts.Length > 1 && parts[1] == "kB" ? 1024 : 1);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Gone between listing and reading.
        }

        return null;
    }
}

/// <summary>Samples every service's memory at a steady interval until stopped.</summary>
internal sealed class MemorySampler(IReadOnlyList<(string Name, Func<int?> ProcessId)> services, TimeSpan interval, TimeProvider time)
{
    private readonly List<MemorySample> _samples = [];
    private readonly Lock _gate = new();

    public IReadOnlyList<MemorySample> Samples
    {
        get
        {
            lock (_gate)
            {
                return [.. _samples];
            }
        }
    }

    public MemorySample SampleNow(double seconds)
    {
        var rss = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (name, pid) in services)
        {
            if (pid() is { } id && ProcessMemory.TreeResidentBytes(id) is { } bytes)
            {
                rss[name] = bytes;
            }
        }

        var sample = new MemorySample(seconds, rss);
        lock (_gate)
        {
            _samples.Add(sample);
        }

        return sample;
    }

    /// <summary>Samples now and then every <c>interval</c> until <paramref name="ct"/> is cancelled, then once more.</summary>
    public async Task RunAsync(long startedAt, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(interval, time);
        SampleNow(time.GetElapsedTime(startedAt).TotalSeconds);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                SampleNow(time.GetElapsedTime(startedAt).TotalSeconds);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The soak is over.
        }

        SampleNow(time.GetElapsedTime(startedAt).TotalSeconds);
    }
}
