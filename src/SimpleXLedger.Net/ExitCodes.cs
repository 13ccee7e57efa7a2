namespace SimpleXLedger.Net;

/// <summary>Exit codes every SimpleXLedger program shares (<c>sxl</c> and its tools).</summary>
public static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;

    /// <summary>The command ran and the answer is "no" (invalid token, failed check), or the operation failed.</summary>
    public const int Failed = 1;

    /// <summary>The command line itself is wrong: unknown command, missing or malformed option.</summary>
    public const int Usage = 2;
}
