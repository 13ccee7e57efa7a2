namespace SimpleXLedger.Tokens;

/// <summary>Thrown by the non-Try methods. Carries only the <see cref="TokenError"/> code and its fixed description.</summary>
public sealed class TokenException : Exception
{
    public TokenException(TokenError error)
        : base(error.Describe())
    {
        Error = error;
    }

    public TokenException()
        : this(TokenError.Truncated)
    {
    }

    public TokenException(string message)
        : base(message)
    {
    }

    public TokenException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public TokenError Error { get; }
}
