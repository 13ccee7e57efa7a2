using System.Text;

namespace SimpleXLedger.Hosting.Tracing;

/// <summary>
/// Appends <see cref="RequestTraceEntry"/> lines to the service's trace file. Lines are buffered and flushed a few
/// times a second (and on dispose), so tracing costs a memory copy per request; a crash loses at most the last
/// fraction of a second. The file is opened for appending and shared for reading, so an auditor can read it while
/// the service runs, and a restarted service continues the same file.
/// </summary>
public sealed class RequestTraceWriter : IDisposable
{
    private static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(200);

    private readonly Lock _gate = new();
    private readonly StreamWriter _writer;
    private readonly ITimer _flusher;
    private bool _dirty;
    private bool _disposed;

    public RequestTraceWriter(string path, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
        Time = time ?? TimeProvider.System;
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        var endsWithNewLine = EndsWithNewLine(Path);
        var stream = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1);
        _writer = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 64 * 1024) { NewLine = "\n" };
        if (stream.Length == 0)
        {
            _writer.WriteLine(RequestTraceEntry.Header);
        }
        else
        {
            // A crash may have cut the last line short: end it, and say that a new run starts here.
            if (!endsWithNewLine)
            {
                _writer.WriteLine();
            }

            _writer.WriteLine(RequestTraceEntry.Restarted);
        }

        _writer.Flush();

        _flusher = Time.CreateTimer(_ => Flush(), null, FlushInterval, FlushInterval);
    }

    /// <summary>The trace file.</summary>
    public string Path { get; }

    /// <summary>The clock that stamps requests.</summary>
    public TimeProvider Time { get; }

    public void Write(RequestTraceEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var line = entry.ToLine();
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _writer.WriteLine(line);
            _dirty = true;
        }
    }

    /// <summary>Writes buffered lines to the file now.</summary>
    public void Flush()
    {
        lock (_gate)
        {
            if (_disposed || !_dirty)
            {
                return;
            }

            try
            {
                _writer.Flush();
                _dirty = false;
            }
            catch (IOException)
            {
                // A full disk must not stop the service; the next flush tries again.
            }
        }
    }

    private static bool EndsWithNewLine(string path)
    {
        if (!File.Exists(path))
        {
            return true;
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        if (stream.Length == 0)
        {
            return true;
        }

        stream.Seek(-1, SeekOrigin.End);
        return stream.ReadByte() == '\n';
    }

    public void Dispose()
    {
        _flusher.Dispose();
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            try
            {
                _writer.Dispose();
            }
            catch (IOException)
            {
                // Stopping anyway.
            }
        }
    }
}
