using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace SimpleXLedger.Hosting.BadInput;

/// <summary>
/// Checks a gRPC request before grpc-dotnet reads it: a gRPC content type, and, for methods that take one message
/// (unary and server streaming), exactly one well-framed message within the size limit that parses as the method's
/// request. A request that fails gets a trailers-only answer with a typed status; one that passes goes on unchanged
/// (its body, read here, is handed on from memory). Client streams are checked per message by
/// <see cref="GrpcStreamGuardInterceptor"/>.
/// </summary>
public sealed class GrpcRequestGuardMiddleware(RequestDelegate next, IOptions<GrpcServiceOptions> options)
{
    private const int HeaderLength = 5;
    private static readonly ConcurrentDictionary<IMethod, Func<byte[], object?>> Parsers = new();
    private static readonly MethodInfo ParserOfMethod = typeof(GrpcRequestGuardMiddleware).GetMethod(nameof(ParserOfTyped), BindingFlags.NonPublic | BindingFlags.Static)!;

    public async Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var method = context.GetEndpoint()?.Metadata.GetMetadata<GrpcMethodMetadata>()?.Method;
        if (method is null)
        {
            await next(context);
            return;
        }

        if (!IsGrpcContentType(context.Request.ContentType))
        {
            await RefuseAsync(context, StatusCode.InvalidArgument, "the content type is not application/grpc", StatusCodes.Status415UnsupportedMediaType);
            return;
        }

        if (method.Type is MethodType.Unary or MethodType.ServerStreaming)
        {
            var problem = await ReadSingleMessageAsync(context, method);
            if (problem is { } p)
            {
                await RefuseAsync(context, p.Code, p.Message);
                return;
            }
        }

        await next(context);
    }

    /// <summary>Reads and checks the one request message; null when it is good (the body is then replaced by what was read).</summary>
    private async Task<(StatusCode Code, string Message)?> ReadSingleMessageAsync(HttpContext context, IMethod method)
    {
        var limit = options.Value.MaxReceiveMessageSize ?? int.MaxValue;
        var body = context.Request.Body;
        var buffer = new ArrayBufferWriter<byte>(HeaderLength + 256);
        var ct = context.RequestAborted;

        // The header first: a message declared too large is refused without reading it.
        if (!await FillAsync(body, buffer, HeaderLength, ct))
        {
            return buffer.WrittenCount == 0
                ? (StatusCode.InvalidArgument, "the request carries no message")
                : (StatusCode.InvalidArgument, "the request ends inside the message header");
        }

        var header = buffer.WrittenSpan[..HeaderLength];
        var flag = header[0];
        var declared = BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
        if (flag > 1)
        {
            return (StatusCode.InvalidArgument, "the message header's compressed flag is neither 0 nor 1");
        }

        if (declared > (uint)limit)
        {
            return (StatusCode.ResourceExhausted, "the message is larger than this service accepts");
        }

        if (!await FillAsync(body, buffer, HeaderLength + (int)declared, ct))
        {
            return (StatusCode.InvalidArgument, "the request ends before the message does (incomplete message)");
        }

        // Nothing may follow the one message.
        if (await FillAsync(body, buffer, HeaderLength + (int)declared + 1, ct))
        {
            return (StatusCode.InvalidArgument, "the request carries more than one message");
        }

        var message = buffer.WrittenSpan.Slice(HeaderLength, (int)declared).ToArray();
        if (flag == 1)
        {
            var encoding = context.Request.Headers["grpc-encoding"].ToString();
            if (encoding.Length == 0 || encoding == "identity")
            {
                return (StatusCode.InvalidArgument, "the message is flagged compressed but the request names no compression");
            }

            var provider = options.Value.CompressionProviders.FirstOrDefault(p => string.Equals(p.EncodingName, encoding, StringComparison.Ordinal));
            if (provider is null)
            {
                return (StatusCode.Unimplemented, "the request's compression is not one this service accepts");
            }

            try
            {
                message = Decompress(provider, message, limit);
            }
            catch (Exception e) when (e is InvalidDataException or IOException or InvalidOperationException)
            {
                return (StatusCode.InvalidArgument, "the compressed message does not decompress");
            }

            if (message.Length > limit)
            {
                return (StatusCode.ResourceExhausted, "the message is larger than this service accepts");
            }
        }

        try
        {
            Parsers.GetOrAdd(method, ParserOf)(message);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ArgumentException or FormatException)
        {
            // InvalidProtocolBufferException is an IOException; the text never carries the message's content.
            return (StatusCode.InvalidArgument, "the request message is not a valid " + method.Name + " request");
        }

        context.Request.Body = new MemoryStream(buffer.WrittenSpan.ToArray(), writable: false);
        return null;
    }

    /// <summary>Reads until <paramref name="buffer"/> holds <paramref name="count"/> bytes; false when the body ends first.</summary>
    private static async Task<bool> FillAsync(Stream body, ArrayBufferWriter<byte> buffer, int count, CancellationToken ct)
    {
        while (buffer.WrittenCount < count)
        {
            var memory = buffer.GetMemory(Math.Min(Math.Max(count - buffer.WrittenCount, 1), 64 * 1024));
            var read = await body.ReadAsync(memory[..Math.Min(memory.Length, count - buffer.WrittenCount)], ct);
            if (read == 0)
            {
                return false;
            }

            buffer.Advance(read);
        }

        return true;
    }

    private static byte[] Decompress(Grpc.Net.Compression.ICompressionProvider provider, byte[] compressed, int limit)
    {
        using var input = provider.CreateDecompressionStream(new MemoryStream(compressed, writable: false));
        using var output = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = input.Read(chunk)) > 0)
        {
            output.Write(chunk, 0, read);
            if (output.Length > limit)
            {
                break;
            }
        }

        return output.ToArray();
    }

    /// <summary>What grpc-dotnet serves: <c>application/grpc</c>, optionally <c>+subtype</c> or parameters.</summary>
    private static bool IsGrpcContentType(string? contentType)
    {
        const string grpc = "application/grpc";
        return contentType is not null
            && contentType.StartsWith(grpc, StringComparison.OrdinalIgnoreCase)
            && (contentType.Length == grpc.Length || contentType[grpc.Length] is '+' or ';');
    }

    /// <summary>A trailers-only answer: the status in the headers, no body.</summary>
    private static Task RefuseAsync(HttpContext context, StatusCode code, string message, int httpStatus = StatusCodes.Status200OK)
    {
        var response = context.Response;
        response.StatusCode = httpStatus;
        response.ContentType = "application/grpc";
        response.Headers["grpc-status"] = ((int)code).ToString(CultureInfo.InvariantCulture);
        response.Headers["grpc-message"] = Uri.EscapeDataString(message);
        response.Headers["sxl-error"] = GrpcRequestGuard.Reason;
        return Task.CompletedTask;
    }

    private static Func<byte[], object?> ParserOf(IMethod method)
    {
        var marshaller = method.GetType().GetProperty("RequestMarshaller")?.GetValue(method)
            ?? throw new InvalidOperationException($"gRPC method {method.FullName} has no request marshaller");
        var requestType = marshaller.GetType().GetGenericArguments()[0];
        return (Func<byte[], object?>)ParserOfMethod.MakeGenericMethod(requestType).Invoke(null, [marshaller])!;
    }

    // Generated marshallers are contextual (their plain Deserializer is not implemented): give them a context.
    private static Func<byte[], object?> ParserOfTyped<T>(Marshaller<T> marshaller) => bytes => marshaller.ContextualDeserializer(new Payload(bytes));

    /// <summary>A whole message in memory, as the marshaller reads it.</summary>
    private sealed class Payload(byte[] bytes) : DeserializationContext
    {
        public override int PayloadLength => bytes.Length;

        public override byte[] PayloadAsNewBuffer() => (byte[])bytes.Clone();

        public override ReadOnlySequence<byte> PayloadAsReadOnlySequence() => new(bytes);
    }
}
