namespace SimpleXLedger.Devnet.Network;

/// <summary>Where the devnet reports what it is doing (a spinner on a terminal, plain lines otherwise; always stderr).</summary>
public interface IDevnetProgress
{
    /// <summary>A step begins (replaces the previous "doing" line).</summary>
    void Doing(string what);

    /// <summary>A step finished.</summary>
    void Done(string what);

    /// <summary>A step was left out or skipped (a piece not there yet).</summary>
    void Noted(string what);

    /// <summary>A step failed.</summary>
    void Failed(string what);

    /// <summary>A line of detail (npm's output while Anvil is installed, say).</summary>
    void Detail(string line);
}

/// <summary>Reports nothing.</summary>
public sealed class SilentProgress : IDevnetProgress
{
    public static SilentProgress Instance { get; } = new();

    public void Doing(string what)
    {
    }

    public void Done(string what)
    {
    }

    public void Noted(string what)
    {
    }

    public void Failed(string what)
    {
    }

    public void Detail(string line)
    {
    }
}
