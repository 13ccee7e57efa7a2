using SimpleXLedger.Protos.Files;

namespace SimpleXLedger.Files.Engine;

/// <summary>A typed refusal: nothing was stored or changed. The message holds no secret.</summary>
public sealed class FileRefusedException : Exception
{
    public FileRefusedException()
    {
    }

    public FileRefusedException(string message)
        : base(message)
    {
    }

    public FileRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public FileRefusedException(FileErrorCode code, string message, string? wwwAuthenticate = null)
        : base(message)
    {
        Code = code;
        WwwAuthenticate = wwwAuthenticate;
    }

    public FileErrorCode Code { get; }

    public string? WwwAuthenticate { get; }

    internal static FileRefusedException Auth() => new(FileErrorCode.Auth, "AUTH");
}
