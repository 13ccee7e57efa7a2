using SimpleXLedger.Chain.Accounts;
using SimpleXLedger.Chain.Devnet;

namespace SimpleXLedger.Testing.Chain;

/// <summary>Key files for the devnet's test accounts, as the services and the CLI read them (64 hex digits, owner-only).</summary>
public static class DevKeyFile
{
    /// <summary>Writes <paramref name="account"/>'s key to <paramref name="path"/> and returns the path.</summary>
    public static string Write(string path, DevAccount account)
    {
        ArgumentNullException.ThrowIfNull(account);
        EthereumKeyFile.Write(path, account.Key);
        return path;
    }
}
