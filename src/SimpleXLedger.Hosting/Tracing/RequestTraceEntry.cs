using System.Globalization;
using System.Text.RegularExpressions;

namespace SimpleXLedger.Hosting.Tracing;

/// <summary>Whether a traced request came over gRPC or plain HTTP.</summary>
public enum RequestKind
{
    Grpc,
    Http,
}

/// <summary>
/// One request a service received, as any operator could record it at its front door: when it started, how long it
/// took, which call (a gRPC method or an HTTP route pattern from the service's own definition, never the path the
/// client sent), how many messages and bytes went each way, and the status. Never a payload, id, token or secret.
/// </summary>
/// <param name="At">When the request started.</param>
/// <param name="DurationMicros">How long it ran, in microseconds.</param>
/// <param name="Kind">gRPC or HTTP.</param>
/// <param name="Call">The method (<c>/package.Service/Method</c>), <c>METHOD /route/pattern</c>, or <see cref="RequestTraceEntry.Unmatched"/>.</param>
/// <param name="RequestMessages">Messages received (1 for unary and HTTP; -1 unknown).</param>
/// <param name="RequestBytes">Bytes received (protobuf message sizes, or the HTTP body; -1 unknown).</param>
/// <param name="ResponseMessages">Messages sent.</param>
/// <param name="ResponseBytes">Bytes sent.</param>
/// <param name="Status">The gRPC status name (<c>OK</c>, <c>PermissionDenied</c>, …) or the HTTP status code.</param>
public sealed partial record RequestTraceEntry(
    DateTimeOffset At,
    long DurationMicros,
    RequestKind Kind,
    string Call,
    int RequestMessages,
    long RequestBytes,
    int ResponseMessages,
    long ResponseBytes,
    string Status)
{
    /// <summary>The call name of a request that matched none of the service's calls (what the client asked for is not kept).</summary>
    public const string Unmatched = "unmatched";

    /// <summary>The first line of every trace file: what the columns are.</summary>
    public const string Header = "# sxl request trace v1\tunix_ms\tduration_us\tkind\tcall\trequest_messages\trequest_bytes\tresponse_messages\tresponse_bytes\tstatus";

    /// <summary>The line a restarted service writes before its first entry (the line before it may have been cut short by a crash).</summary>
    public const string Restarted = "# restarted";

    /// <summary>One tab-separated line (no newline).</summary>
    public string ToLine() => string.Create(CultureInfo.InvariantCulture,
        $"{At.ToUnixTimeMilliseconds()}\t{DurationMicros}\t{(Kind == RequestKind.Grpc ? "grpc" : "http")}\t{Call}\t{RequestMessages}\t{RequestBytes}\t{ResponseMessages}\t{ResponseBytes}\t{Status}");

    /// <summary>
    /// Parses a line strictly: anything that is not a time, a known call shape, numbers and a status is refused, so a
    /// trace that ever held a payload or an identifier fails to read instead of passing unnoticed.
    /// </summary>
    public static bool TryParse(string line, out RequestTraceEntry entry)
    {
        ArgumentNullException.ThrowIfNull(line);
        entry = null!;
        var f = line.Split('\t');
        if (f.Length != 9
            || !long.TryParse(f[0], NumberStyles.None, CultureInfo.InvariantCulture, out var at)
            || !long.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out var duration)
            || f[2] is not ("grpc" or "http")
            || !IsCallName(f[3])
            || !int.TryParse(f[4], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var inMessages) || inMessages < -1
            || !long.TryParse(f[5], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var inBytes) || inBytes < -1
            || !int.TryParse(f[6], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var outMessages) || outMessages < -1
            || !long.TryParse(f[7], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var outBytes) || outBytes < -1
            || !StatusShape().IsMatch(f[8]))
        {
            return false;
        }

        entry = new RequestTraceEntry(DateTimeOffset.FromUnixTimeMilliseconds(at), duration, f[2] == "grpc" ? RequestKind.Grpc : RequestKind.Http, f[3], inMessages, inBytes, outMessages, outBytes, f[8]);
        return true;
    }

    /// <summary>A gRPC method path, an HTTP method with a route pattern, or <see cref="Unmatched"/>.</summary>
    public static bool IsCallName(string call) => call == Unmatched || GrpcMethodShape().IsMatch(call) || HttpRouteShape().IsMatch(call);

    [GeneratedRegex(@"^/[A-Za-z][A-Za-z0-9_.]{0,127}/[A-Za-z][A-Za-z0-9_]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex GrpcMethodShape();

    [GeneratedRegex(@"^(GET|POST|PUT|DELETE|PATCH|HEAD|OPTIONS) /[A-Za-z0-9_./{}:-]{0,127}$", RegexOptions.CultureInvariant)]
    private static partial Regex HttpRouteShape();

    [GeneratedRegex(@"^([A-Z][A-Za-z]{1,31}|[1-5][0-9][0-9])$", RegexOptions.CultureInvariant)]
    private static partial Regex StatusShape();
}
