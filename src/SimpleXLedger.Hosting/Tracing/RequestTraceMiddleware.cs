using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;

namespace SimpleXLedger.Hosting.Tracing;

/// <summary>
/// Traces every HTTP request: the matched route's pattern (never the path the client sent), the body bytes each way,
/// the duration and the status. gRPC calls are traced by <see cref="RequestTraceInterceptor"/>; a gRPC request that
/// reaches no method (unknown service, malformed) is traced here as <see cref="RequestTraceEntry.Unmatched"/>.
/// </summary>
public sealed class RequestTraceMiddleware(RequestDelegate next, RequestTraceWriter writer)
{
    public async Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var at = writer.Time.GetUtcNow();
        var started = Stopwatch.GetTimestamp();
        if (context.Request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true)
        {
            // gRPC bodies are left alone (framing, flow control, trailers): the interceptor sees the messages.
            var failed = false;
            try
            {
                await next(context);
            }
            catch
            {
                failed = true;
                throw;
            }
            finally
            {
                if (!context.Items.ContainsKey(RequestTraceInterceptor.TracedItem))
                {
                    writer.Write(new RequestTraceEntry(at, Elapsed(started), RequestKind.Grpc, RequestTraceEntry.Unmatched, -1, context.Request.ContentLength ?? -1, -1, -1,
                        failed ? "Unknown" : GrpcStatus(context)));
                }
            }

            return;
        }

        var request = new CountingStream(context.Request.Body);
        var originalResponse = context.Response.Body;
        var response = new CountingStream(originalResponse);
        context.Request.Body = request;
        context.Response.Body = response;
        var status = 500;
        try
        {
            await next(context);
            status = context.Response.StatusCode;
        }
        finally
        {
            context.Response.Body = originalResponse;
            var call = context.GetEndpoint() is RouteEndpoint { RoutePattern.RawText: { } pattern }
                ? $"{context.Request.Method} {(pattern.StartsWith('/') ? pattern : "/" + pattern)}"
                : RequestTraceEntry.Unmatched;
            writer.Write(new RequestTraceEntry(at, Elapsed(started), RequestKind.Http, RequestTraceEntry.IsCallName(call) ? call : RequestTraceEntry.Unmatched,
                1, request.Count, 1, response.Count, status.ToString(CultureInfo.InvariantCulture)));
        }
    }

    private static long Elapsed(long started) => (long)Stopwatch.GetElapsedTime(started).TotalMicroseconds;

    /// <summary>The grpc-status a reply carried (in its trailers, or its headers for a trailers-only reply), as a status name.</summary>
    private static string GrpcStatus(HttpContext context)
    {
        var value = context.Features.Get<IHttpResponseTrailersFeature>()?.Trailers["grpc-status"].ToString();
        if (string.IsNullOrEmpty(value))
        {
            value = context.Response.Headers["grpc-status"].ToString();
        }

        return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var code) && Enum.IsDefined(typeof(Grpc.Core.StatusCode), code)
            ? ((Grpc.Core.StatusCode)code).ToString()
            : context.Response.StatusCode.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Counts the bytes that pass through a body stream, in either direction.</summary>
    private sealed class CountingStream(Stream inner) : Stream
    {
        private long _count;

        public long Count => Interlocked.Read(ref _count);

        public override bool CanRead => inner.CanRead;

        public override bool CanSeek => false;

        public override bool CanWrite => inner.CanWrite;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => Counted(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Counted(await inner.ReadAsync(buffer, cancellationToken));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count)
        {
            inner.Write(buffer, offset, count);
            Interlocked.Add(ref _count, count);
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await inner.WriteAsync(buffer, cancellationToken);
            Interlocked.Add(ref _count, buffer.Length);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        private int Counted(int read)
        {
            Interlocked.Add(ref _count, read);
            return read;
        }
    }
}
