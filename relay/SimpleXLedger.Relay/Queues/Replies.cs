using Google.Protobuf;
using SimpleXLedger.Protos.Relay;
using SimpleXLedger.Relay.Metering;

namespace SimpleXLedger.Relay.Queues;

/// <summary>The relay's answers that need nothing but the command's correlation id.</summary>
internal static class Replies
{
    public static Reply Ok(ByteString correlation) => new() { CorrelationId = correlation, Ok = new Ok() };

    /// <summary>One answer for every authentication failure: no oracle telling which part failed.</summary>
    public static Reply Auth(ByteString correlation) => Error(correlation, ErrorCode.Auth, "not authorized");

    public static Reply Error(ByteString correlation, ErrorCode code, string message, string? wwwAuthenticate = null) => new()
    {
        CorrelationId = correlation,
        Error = new Error { Code = code, Message = message, WwwAuthenticate = wwwAuthenticate ?? string.Empty },
    };

    public static Reply Denied(ByteString correlation, MeteringDenial denial) => Error(correlation, denial.Kind switch
    {
        DenialKind.PaymentRequired => ErrorCode.PaymentRequired,
        DenialKind.PaymentRefused => ErrorCode.PaymentRefused,
        DenialKind.QuotaExceeded => ErrorCode.Quota,
        _ => ErrorCode.Unavailable,
    }, denial.Message, denial.WwwAuthenticate);

    public static Reply AlreadySpent(ByteString correlation) => Error(correlation, ErrorCode.PaymentRefused, "the payment token was already spent");
}
