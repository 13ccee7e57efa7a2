namespace SimpleXLedger.Epochs;

/// <summary>Epoch data that is malformed or inconsistent; <see cref="Error"/> says how. Nothing was changed.</summary>
public sealed class EpochFormatException : Exception
{
    public EpochFormatException()
        : this(EpochFormatError.BadParameter, "bad epoch data")
    {
    }

    public EpochFormatException(string message)
        : this(EpochFormatError.BadParameter, message)
    {
    }

    public EpochFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
        Error = EpochFormatError.BadParameter;
    }

    public EpochFormatException(EpochFormatError error, string message)
        : base(message)
    {
        Error = error;
    }

    public EpochFormatError Error { get; }
}
