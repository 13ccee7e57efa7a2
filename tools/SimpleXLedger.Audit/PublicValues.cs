using System.Security.Cryptography;
using System.Text;
using SimpleXLedger.Audit.Storage;
using SimpleXLedger.Chain.Devnet;
using SimpleXLedger.Devnet.Network;

namespace SimpleXLedger.Audit;

/// <summary>The audit's explicit lists: what is public (may be stored on both sides), and the secrets the logs must not hold.</summary>
internal static class PublicValues
{
    /// <summary>
    /// Public keys and parameters, in every encoding: the token keys (SPKI, modulus, key id, from the issuer's table —
    /// the same the registry publishes), the contracts' and dev accounts' addresses; and the databases' schema text
    /// (table and column names, migration ids: format, not values).
    /// </summary>
    public static IReadOnlyCollection<byte[]> Collect(DevnetNetwork network)
    {
        var values = new List<byte[]>();
        foreach (var (id, spki) in ServiceStorage.IssuerTokenKeys(network.Issuer.DataDirectory))
        {
            values.AddRange(SharedValueScanner.Encodings(spki));
            values.AddRange(SharedValueScanner.Encodings(SHA256.HashData(spki)));
            values.Add(Encoding.ASCII.GetBytes(id));
        }

        foreach (var address in new[] { network.Ledger, network.Chain.Deployment.KeyRegistry, network.Chain.Deployment.Token }
            .Concat(DevAccounts.All.Select(a => a.Address)))
        {
            values.Add(Encoding.ASCII.GetBytes(address));
            values.Add(Encoding.ASCII.GetBytes(address.ToLowerInvariant()));
            values.AddRange(SharedValueScanner.Encodings(Convert.FromHexString(address[2..])));
        }

        foreach (var db in Directory.GetFiles(network.Options.DataDirectory, "*.db", SearchOption.AllDirectories))
        {
            values.AddRange(ServiceStorage.SchemaText(db).Select(Encoding.UTF8.GetBytes));
        }

        return values;
    }

    /// <summary>Every nonce the clearing house recorded as spent (the tokens relays saw).</summary>
    public static IReadOnlyList<byte[]> SpentNonces(string clearingDataDirectory) => ServiceStorage.ClearingSpentNonces(clearingDataDirectory);

    /// <summary>The issuer's RSA private keys (each private component) and every service's key file.</summary>
    public static IEnumerable<(string Kind, byte[] Value)> PrivateKeys(DevnetNetwork network)
    {
        foreach (var pem in Directory.GetFiles(Path.Combine(network.Issuer.DataDirectory, "keys"), "*.pem"))
        {
            using var rsa = RSA.Create();
            rsa.ImportFromPem(File.ReadAllText(pem));
            var p = rsa.ExportParameters(true);
            foreach (var part in new[] { p.D!, p.P!, p.Q!, p.DP!, p.DQ!, p.InverseQ! })
            {
                yield return ("private key", part);
            }
        }

        foreach (var file in Directory.GetFiles(network.Options.KeyDirectory, "*.key"))
        {
            var text = File.ReadAllText(file).Trim();
            var hex = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? text[2..] : text;
            yield return ("private key", hex.Length % 2 == 0 && hex.All(Uri.IsHexDigit) ? Convert.FromHexString(hex) : Encoding.UTF8.GetBytes(text));
        }
    }
}
