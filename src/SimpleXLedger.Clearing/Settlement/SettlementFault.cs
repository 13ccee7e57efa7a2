namespace SimpleXLedger.Clearing.Settlement;

/// <summary>
/// A test-only fault that makes this clearing house dishonest, to prove the dispute game catches it:
/// env <c>SXL_TEST_FAULT=underpay:&lt;payee address&gt;</c> posts that payee's leaf one operator rate short (first
/// round only). Honoured only on a development network (<c>--devnet</c>); ignored, with a warning, otherwise.
/// </summary>
public sealed record SettlementFault(string UnderpaidPayee)
{
    public const string EnvironmentVariable = "SXL_TEST_FAULT";

    public static SettlementFault? FromEnvironment(bool devnet)
    {
        var value = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!devnet || string.IsNullOrEmpty(value) || !value.StartsWith("underpay:", StringComparison.Ordinal))
        {
            return null;
        }

        return new SettlementFault(value["underpay:".Length..]);
    }
}
