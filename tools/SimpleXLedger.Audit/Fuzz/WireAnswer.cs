namespace SimpleXLedger.Audit.Fuzz;

/// <summary>
/// What a service answered to one request, as it came off the wire: the HTTP status, the gRPC status and message
/// (from the trailers, or the headers of a trailers-only answer), the <c>sxl-error</c> reason, the body and the
/// messages framed in it; or, when no answer came, why (the connection or stream was dropped, or it timed out).
/// </summary>
internal sealed record WireAnswer(
    int HttpStatus,
    int? GrpcStatus,
    string? GrpcMessage,
    string? Reason,
    string? ContentType,
    byte[] Body,
    IReadOnlyList<byte[]> Messages,
    string? Dropped = null,
    bool TimedOut = false)
{
    public static WireAnswer DroppedWith(string why) => new(0, null, null, null, null, [], [], why);

    public static WireAnswer Timeout() => new(0, null, null, null, null, [], [], "timed out", TimedOut: true);
}
