using SimpleXLedger.Protos.Files;

namespace SimpleXLedger.Files.Client;

/// <summary>A refusal (or no answer) from a file relay. The message holds no secret.</summary>
public sealed class FileRelayException : Exception
{
    public FileRelayException()
    {
    }

    public FileRelayException(string message)
        : base(message)
    {
    }

    public FileRelayException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public FileRelayException(FileErrorCode code, string message, string? wwwAuthenticate = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
        WwwAuthenticate = wwwAuthenticate;
    }

    /// <summary>The typed refusal; <see cref="FileErrorCode.Unspecified"/> when the relay gave no typed answer (down, unreachable).</summary>
    public FileErrorCode Code { get; }

    /// <summary>The <c>PrivateToken</c> challenge of a payment-required refusal.</summary>
    public string? WwwAuthenticate { get; }
}
