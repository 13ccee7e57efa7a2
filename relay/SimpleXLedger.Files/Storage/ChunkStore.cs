using System.Globalization;
using System.Runtime.InteropServices;

namespace SimpleXLedger.Files.Storage;

/// <summary>
/// Chunk bodies as files under <c>&lt;data&gt;/chunks/</c>, named by a random storage id that is neither the sender's
/// nor any recipient's id. An upload is written to <c>tmp/</c>, flushed to disk, then renamed into place and the
/// directory flushed: a body in place is whole and durable. Whether it may be served is the metadata's call, so a
/// body renamed just before a crash (its record not yet marked uploaded) is never served and is removed at start.
/// </summary>
internal sealed partial class ChunkStore
{
    private readonly string _root;
    private readonly string _tmp;

    public ChunkStore(string dataDirectory)
    {
        _root = Path.Combine(dataDirectory, "chunks");
        _tmp = Path.Combine(_root, "tmp");
        Directory.CreateDirectory(_tmp);
    }

    public string PathOf(ReadOnlySpan<byte> storageId) => Path.Combine(_root, Convert.ToHexStringLower(storageId));

    /// <summary>A new temporary file for an upload.</summary>
    public (string Path, FileStream Stream) CreateTemporary()
    {
        var path = Path.Combine(_tmp, Guid.NewGuid().ToString("N", CultureInfo.InvariantCulture));
        return (path, new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16));
    }

    /// <summary>Makes a flushed temporary file the body of <paramref name="storageId"/>, durably.</summary>
    public void Commit(string temporary, ReadOnlySpan<byte> storageId)
    {
        File.Move(temporary, PathOf(storageId), overwrite: true);
        SyncDirectory(_root);
    }

    public FileStream? Open(ReadOnlySpan<byte> storageId)
    {
        try
        {
            return new FileStream(PathOf(storageId), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16, FileOptions.SequentialScan);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    public void Delete(ReadOnlySpan<byte> storageId) => File.Delete(PathOf(storageId));

    public static void DeleteTemporary(string path) => File.Delete(path);

    /// <summary>Bodies on disk (storage ids), for the sweep at start.</summary>
    public IEnumerable<byte[]> Bodies()
    {
        foreach (var file in Directory.EnumerateFiles(_root))
        {
            var name = Path.GetFileName(file);
            byte[] id;
            try
            {
                id = Convert.FromHexString(name);
            }
            catch (FormatException)
            {
                continue;
            }

            yield return id;
        }
    }

    /// <summary>Removes what an upload interrupted by a crash left in <c>tmp/</c>.</summary>
    public int ClearTemporary()
    {
        var n = 0;
        foreach (var file in Directory.EnumerateFiles(_tmp))
        {
            File.Delete(file);
            n++;
        }

        return n;
    }

    private static void SyncDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        // fsync(2) on the directory makes the rename durable (.NET will not open a directory as a file).
        var fd = LibC.Open(path, LibC.ReadOnly | LibC.Directory);
        if (fd < 0)
        {
            throw new IOException($"cannot open the chunk directory to flush it (errno {Marshal.GetLastPInvokeError()})");
        }

        try
        {
            if (LibC.Fsync(fd) != 0)
            {
                throw new IOException($"cannot flush the chunk directory (errno {Marshal.GetLastPInvokeError()})");
            }
        }
        finally
        {
            _ = LibC.Close(fd);
        }
    }

    private static partial class LibC
    {
        public const int ReadOnly = 0;
        public const int Directory = 0x10000; // O_DIRECTORY on Linux

        [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        public static partial int Open(string path, int flags);

        [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
        public static partial int Fsync(int fd);

        [LibraryImport("libc", EntryPoint = "close")]
        public static partial int Close(int fd);
    }
}
