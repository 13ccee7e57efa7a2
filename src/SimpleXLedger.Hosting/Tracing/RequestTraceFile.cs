namespace SimpleXLedger.Hosting.Tracing;

/// <summary>Reads a trace file back (what an auditor or an adversary does with it).</summary>
public static class RequestTraceFile
{
    /// <summary>
    /// Every entry, in file order. A line cut short by a crash (the file's last line, or one followed by the restart
    /// marker) is skipped; any other line that is not strictly an entry is an <see cref="InvalidDataException"/> naming
    /// its line number (never its text: it could hold what must not be there).
    /// </summary>
    public static IReadOnlyList<RequestTraceEntry> Read(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string text;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        using (var reader = new StreamReader(stream))
        {
            text = reader.ReadToEnd();
        }

        var lines = text.Split('\n');
        var entries = new List<RequestTraceEntry>(lines.Length);
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.Length == 0 || line == RequestTraceEntry.Header || line == RequestTraceEntry.Restarted)
            {
                continue;
            }

            if (RequestTraceEntry.TryParse(line, out var entry))
            {
                entries.Add(entry);
                continue;
            }

            var cutShort = i == lines.Length - 1 || lines[i + 1] == RequestTraceEntry.Restarted;
            if (!cutShort)
            {
                throw new InvalidDataException($"{Path.GetFileName(path)} line {i + 1} is not a request trace entry");
            }
        }

        return entries;
    }
}
