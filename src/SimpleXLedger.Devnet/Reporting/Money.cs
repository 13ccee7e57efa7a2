using System.Globalization;
using System.Numerics;

namespace SimpleXLedger.Devnet.Reporting;

/// <summary>How amounts read in summaries: the devnet's test dollar has 6 decimals (JSON keeps whole units as decimal strings).</summary>
public static class Money
{
    /// <summary>7500 units print as 0.007500; thousands are grouped.</summary>
    public static string Dollars(BigInteger units)
    {
        var sign = units.Sign < 0 ? "-" : "";
        var whole = BigInteger.DivRem(BigInteger.Abs(units), 1_000_000, out var fraction);
        return $"{sign}{whole.ToString("N0", CultureInfo.InvariantCulture)}.{fraction.ToString("D6", CultureInfo.InvariantCulture)}";
    }
}
