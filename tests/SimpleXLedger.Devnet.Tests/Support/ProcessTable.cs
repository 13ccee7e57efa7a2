using System.Globalization;

namespace SimpleXLedger.Devnet.Tests.Support;

/// <summary>What /proc says about the processes on this machine: the tests look for leftovers by what they were started with.</summary>
internal static class ProcessTable
{
    /// <summary>Live processes whose command line contains <paramref name="fragment"/> (zombies excluded: they hold nothing).</summary>
    public static IReadOnlyList<(int Pid, string CommandLine)> Matching(string fragment)
    {
        var found = new List<(int, string)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                var commandLine = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ').Trim();
                if (commandLine.Contains(fragment, StringComparison.Ordinal) && IsAlive(pid))
                {
                    found.Add((pid, commandLine));
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone while we looked.
            }
        }

        return found;
    }

    /// <summary>True while the process exists and is not a zombie.</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            // Field 3, after the parenthesised name: the state letter.
            var state = stat[(stat.LastIndexOf(')') + 2)..][0];
            return state is not ('Z' or 'X');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Waits (polling /proc, bounded) until none of the processes is alive; returns those still alive at the deadline.</summary>
    public static async Task<IReadOnlyList<int>> WaitAllGoneAsync(IEnumerable<int> pids, TimeSpan timeout)
    {
        var watched = pids.ToList();
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var alive = watched.Where(IsAlive).ToList();
            if (alive.Count == 0 || DateTime.UtcNow > deadline)
            {
                return alive;
            }

            await Task.Delay(100);
        }
    }
}
