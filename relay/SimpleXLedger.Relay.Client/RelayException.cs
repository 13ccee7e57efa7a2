using Grpc.Core;
using SimpleXLedger.Protos.Relay;

namespace SimpleXLedger.Relay.Client;

/// <summary>The relay refused a command: a typed code, a message without secrets, and for payment-required the challenge.</summary>
public sealed class RelayException : Exception
{
    public RelayException()
    {
    }

    public RelayException(string message)
        : base(message)
    {
    }

    public RelayException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public RelayException(ErrorCode code, string message, string? wwwAuthenticate = null, Exception? inner = null)
        : base($"{code}: {message}", inner)
    {
        Code = code;
        WwwAuthenticate = string.IsNullOrEmpty(wwwAuthenticate) ? null : wwwAuthenticate;
    }

    public ErrorCode Code { get; }

    /// <summary>The <c>PrivateToken</c> challenge when <see cref="Code"/> is PAYMENT_REQUIRED.</summary>
    public string? WwwAuthenticate { get; }

    internal static RelayException From(Error error) => new(error.Code, error.Message, error.WwwAuthenticate);

    internal static Exception FromRpc(RpcException e, PinnedFingerprintCheck pin)
    {
        if (pin.Mismatched)
        {
            return new RelayCertificateMismatchException(e);
        }

        var code = e.Trailers.GetValue(RelayHeaders.Error);
        if (code is not null && Enum.TryParse<ErrorCode>(code, out var parsed))
        {
            return new RelayException(parsed, e.Status.Detail, e.Trailers.GetValue(RelayHeaders.WwwAuthenticate), e);
        }

        return new RelayException(e.StatusCode switch
        {
            StatusCode.ResourceExhausted => ErrorCode.LargeMessage,
            StatusCode.Unavailable => ErrorCode.Unavailable,
            _ => ErrorCode.Internal,
        }, $"{e.StatusCode}: {e.Status.Detail}", null, e);
    }
}

/// <summary>The relay presented a certificate whose fingerprint is not the one in its address: possibly not the relay at all.</summary>
public sealed class RelayCertificateMismatchException : Exception
{
    public RelayCertificateMismatchException()
        : base("the relay's TLS certificate does not match the fingerprint in its address; refusing to talk to it")
    {
    }

    public RelayCertificateMismatchException(Exception innerException)
        : base("the relay's TLS certificate does not match the fingerprint in its address; refusing to talk to it", innerException)
    {
    }

    public RelayCertificateMismatchException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>Header and trailer names of the relay's gRPC calls.</summary>
public static class RelayHeaders
{
    public const string Error = "sxl-error";
    public const string WwwAuthenticate = "www-authenticate";
    public const string Authorization = "authorization";
}
