namespace SimpleXLedger.Devnet;

/// <summary>The devnet could not be started or a scenario could not run: the message says what and what to do.</summary>
public sealed class DevnetException : Exception
{
    public DevnetException()
    {
    }

    public DevnetException(string message)
        : base(message)
    {
    }

    public DevnetException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
