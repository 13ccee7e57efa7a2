using SimpleXLedger.Epochs;

namespace SimpleXLedger.Watch;

/// <summary>
/// Epoch data (<c>sxl-epoch</c> v1 files, docs/ledger-v2.md §5.8) in a directory: the clearing house's exports, a
/// mirror's, or the watcher's own archive. Files are found by what they commit to, not by name: an export is the
/// epoch's data only if its header hashes to the commitment posted on-chain.
/// </summary>
public sealed class EpochDirectory(string path)
{
    public string Path { get; } = path;

    /// <summary>The data posted as <paramref name="commitment"/>, re-verified; null when no file here holds it.</summary>
    public EpochData? Find(ReadOnlySpan<byte> commitment)
    {
        if (!Directory.Exists(Path))
        {
            return null;
        }

        foreach (var file in Directory.EnumerateFiles(Path, "*.sxle").Order(StringComparer.Ordinal))
        {
            try
            {
                using var stream = File.OpenRead(file);
                return EpochExport.Read(stream, commitment).Data;
            }
            catch (EpochFormatException)
            {
                // Another epoch's file, or one that does not match what it claims: keep looking.
            }
        }

        return null;
    }
}
