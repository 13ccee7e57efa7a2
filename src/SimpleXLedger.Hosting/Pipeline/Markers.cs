namespace SimpleXLedger.Hosting.Pipeline;

/// <summary>A command that checks its own input before anything else runs; returns null when valid.</summary>
public interface IValidated
{
    string? Validate();
}

/// <summary>A command that runs inside one database transaction (on SQLite, one writer at a time).</summary>
public interface ITransactional;

/// <summary>What the log may say about a command or its result: ids and counts only, never tokens or keys' secrets.</summary>
public interface ILogSummary
{
    string LogSummary { get; }
}

/// <summary>A command whose input was refused by its validation. The message names the rule, never a secret.</summary>
public sealed class CommandValidationException : Exception
{
    public CommandValidationException()
    {
    }

    public CommandValidationException(string message)
        : base(message)
    {
    }

    public CommandValidationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
