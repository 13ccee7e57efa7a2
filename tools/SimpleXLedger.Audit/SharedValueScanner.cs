using System.Runtime.InteropServices;
using System.Text;
using SimpleXLedger.Audit.Storage;

namespace SimpleXLedger.Audit;

/// <summary>A byte string of at least <see cref="SharedValueScanner.Window"/> bytes found in both an issuer file and a relay's or the clearing house's.</summary>
public sealed record SharedValue(string IssuerFile, string OtherFile, long Offset, int Length, string Preview);

/// <summary>
/// The byte-level check: no value other than public keys and public parameters appears both in what the issuer
/// stores and in what relays or the clearing house store. Every file of each side is read raw (SQLite pages, WAL,
/// keys, certificates); every 16-byte window of the issuer's files that is not low-entropy filler is remembered, and
/// each window of the others' files is looked up. A run of matches is reported unless it lies inside one of the
/// explicitly whitelisted public values (in every encoding given) or the databases' own schema text.
/// </summary>
public static class SharedValueScanner
{
    public const int Window = 16;

    /// <summary>Windows with fewer distinct bytes than this are page filler, padding or counters, not values.</summary>
    private const int MinDistinct = 8;

    public static IReadOnlyList<SharedValue> Scan(IEnumerable<string> issuerFiles, IEnumerable<string> otherFiles, IReadOnlyCollection<byte[]> whitelist)
    {
        ArgumentNullException.ThrowIfNull(issuerFiles);
        ArgumentNullException.ThrowIfNull(otherFiles);
        ArgumentNullException.ThrowIfNull(whitelist);
        var seen = new Dictionary<UInt128, string>();
        foreach (var file in issuerFiles)
        {
            foreach (var bytes in Contents(file))
            {
                for (var i = 0; i + Window <= bytes.Length; i++)
                {
                    if (Distinct(bytes.AsSpan(i, Window)) >= MinDistinct)
                    {
                        seen.TryAdd(MemoryMarshal.Read<UInt128>(bytes.AsSpan(i, Window)), file);
                    }
                }
            }
        }

        var allowed = new HashSet<UInt128>();
        foreach (var value in whitelist)
        {
            for (var i = 0; i + Window <= value.Length; i++)
            {
                allowed.Add(MemoryMarshal.Read<UInt128>(value.AsSpan(i, Window)));
            }
        }

        var found = new List<SharedValue>();
        foreach (var file in otherFiles)
        {
            foreach (var bytes in Contents(file))
            {
                found.AddRange(Matches(file, bytes, seen, allowed));
            }
        }

        return found;
    }

    /// <summary>
    /// What a file stores: a SQLite database's every text and blob cell (read through SQLite, so the write-ahead log's
    /// pages count too; the file format's own headers and page structure are not values), any other file's bytes.
    /// </summary>
    private static IEnumerable<byte[]> Contents(string file)
    {
        if (file.EndsWith("-wal", StringComparison.Ordinal) || file.EndsWith("-shm", StringComparison.Ordinal) || file.EndsWith("-journal", StringComparison.Ordinal))
        {
            return [];
        }

        var head = new byte[16];
        try
        {
            using (var stream = File.OpenRead(file))
            {
                stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            }

            return Encoding.ASCII.GetString(head) == "SQLite format 3\0" ? Cells(file) : [File.ReadAllBytes(file)];
        }
        catch (FileNotFoundException)
        {
            // Gone since the listing: a running service's temporary file renamed over its real one (which is listed too).
            return [];
        }
    }

    private static List<byte[]> Cells(string file) => ServiceStorage.AllCells(file);

    private static List<SharedValue> Matches(string file, byte[] bytes, Dictionary<UInt128, string> seen, HashSet<UInt128> allowed)
    {
        var found = new List<SharedValue>();
        {
            var i = 0;
            while (i + Window <= bytes.Length)
            {
                var key = MemoryMarshal.Read<UInt128>(bytes.AsSpan(i, Window));
                if (!seen.TryGetValue(key, out var issuerFile) || allowed.Contains(key))
                {
                    i++;
                    continue;
                }

                // A run of matching windows is one shared value.
                var end = i + Window;
                while (end < bytes.Length && seen.ContainsKey(MemoryMarshal.Read<UInt128>(bytes.AsSpan(end - Window + 1, Window))) && !allowed.Contains(MemoryMarshal.Read<UInt128>(bytes.AsSpan(end - Window + 1, Window))))
                {
                    end++;
                }

                found.Add(new SharedValue(issuerFile, file, i, end - i, Preview(bytes.AsSpan(i, end - i))));
                i = end;
            }
        }

        return found;
    }

    /// <summary>A value in the encodings it could be stored in: raw, hex (both cases, with and without 0x), base64 and base64url.</summary>
    public static IEnumerable<byte[]> Encodings(byte[] value)
    {
        ArgumentNullException.ThrowIfNull(value);
        yield return value;
        var hex = Convert.ToHexStringLower(value);
        yield return Encoding.ASCII.GetBytes(hex);
        yield return Encoding.ASCII.GetBytes(hex.ToUpperInvariant());
        yield return Encoding.ASCII.GetBytes("0x" + hex);
        var b64 = Convert.ToBase64String(value);
        yield return Encoding.ASCII.GetBytes(b64);
        yield return Encoding.ASCII.GetBytes(b64.TrimEnd('=').Replace('+', '-').Replace('/', '_'));
    }

    private static int Distinct(ReadOnlySpan<byte> window)
    {
        Span<bool> present = stackalloc bool[256];
        var n = 0;
        foreach (var b in window)
        {
            if (!present[b])
            {
                present[b] = true;
                n++;
            }
        }

        return n;
    }

    /// <summary>Which value, without showing it: text or binary, and a SHA-256 prefix to find it again in the files.</summary>
    private static string Preview(ReadOnlySpan<byte> bytes)
    {
        var printable = bytes.ToArray().All(b => b is >= 0x20 and < 0x7f);
        return (printable ? "text" : "binary") + ", sha256 " + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes))[..12];
    }
}
