using System.Runtime.InteropServices;
using System.Text;

namespace SimpleXLedger.Audit;

/// <summary>A secret found in a log: its kind and the file (never the value).</summary>
public sealed record LogLeak(string Kind, string File);

/// <summary>
/// Log hygiene: searches every log for every secret of the run (card codes, tokens, nonces, private keys, queue ids)
/// in the encodings it could be written in: raw, hex, base64 and base64url, also embedded inside a longer base64 value
/// at any alignment. Matching is on 16-character windows, case-folded and with the two base64 alphabets merged, so a
/// secret is found even if only part of it was written.
/// </summary>
public static class LogLeakScanner
{
    private const int Window = 16;

    public static IReadOnlyList<LogLeak> Scan(IEnumerable<string> logFiles, IEnumerable<(string Kind, byte[] Value)> secrets, IEnumerable<(string Kind, string Text)> secretTexts)
    {
        ArgumentNullException.ThrowIfNull(logFiles);
        ArgumentNullException.ThrowIfNull(secrets);
        ArgumentNullException.ThrowIfNull(secretTexts);
        var windows = new Dictionary<UInt128, string>();
        foreach (var file in logFiles)
        {
            var bytes = Fold(File.ReadAllBytes(file));
            for (var i = 0; i + Window <= bytes.Length; i++)
            {
                windows.TryAdd(MemoryMarshal.Read<UInt128>(bytes.AsSpan(i, Window)), file);
            }
        }

        var leaks = new List<LogLeak>();
        void Check(string kind, byte[] encoded)
        {
            var folded = Fold(encoded);
            for (var i = 0; i + Window <= folded.Length; i++)
            {
                if (windows.TryGetValue(MemoryMarshal.Read<UInt128>(folded.AsSpan(i, Window)), out var file))
                {
                    leaks.Add(new LogLeak(kind, file));
                    return;
                }
            }
        }

        foreach (var (kind, text) in secretTexts)
        {
            Check(kind, Encoding.UTF8.GetBytes(text));
        }

        foreach (var (kind, value) in secrets)
        {
            foreach (var encoded in Encodings(value))
            {
                Check(kind, encoded);
            }
        }

        return leaks;
    }

    /// <summary>Raw, hex, and base64 at each of the three alignments a value can have inside a longer base64 string.</summary>
    public static IEnumerable<byte[]> Encodings(byte[] value)
    {
        ArgumentNullException.ThrowIfNull(value);
        yield return value;
        yield return Encoding.ASCII.GetBytes(Convert.ToHexStringLower(value));
        for (var shift = 0; shift < 3; shift++)
        {
            var padded = new byte[shift + value.Length];
            value.CopyTo(padded, shift);
            var b64 = Convert.ToBase64String(padded);

            // Characters that depend only on the value: skip those mixed with the shift's bytes and the tail's padding.
            var from = shift == 0 ? 0 : (shift * 4 / 3) + 1;
            var to = b64.Length - 4;
            if (to - from >= Window)
            {
                yield return Encoding.ASCII.GetBytes(b64[from..to]);
            }
        }
    }

    /// <summary>Case-folded, base64url's alphabet mapped onto base64's.</summary>
    private static byte[] Fold(byte[] bytes)
    {
        var folded = new byte[bytes.Length];
        for (var i = 0; i < bytes.Length; i++)
        {
            var b = bytes[i];
            folded[i] = b switch
            {
                >= (byte)'A' and <= (byte)'Z' => (byte)(b + 32),
                (byte)'-' => (byte)'+',
                (byte)'_' => (byte)'/',
                _ => b,
            };
        }

        return folded;
    }
}
