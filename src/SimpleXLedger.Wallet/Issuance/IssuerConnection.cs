namespace SimpleXLedger.Wallet.Issuance;

/// <summary>
/// Where the wallet takes the issuer's token key from. The privacy rule (design, point 2: key consistency) is that
/// a wallet blinds only for the on-chain registry's current issuing key, read through the user's own chain endpoint;
/// taking the key from the issuer's own directory is for a development network only.
/// </summary>
/// <param name="Rpc">The user's JSON-RPC endpoint of the chain.</param>
/// <param name="Ledger">The ledger contract whose key registry names the issuing key.</param>
/// <param name="TrustDirectory">Development only: no chain; the key is whatever the issuer's directory says.</param>
/// <param name="Devnet">The wallet was started for a development network (<c>--devnet</c>).</param>
public sealed record IssuerKeyTrust(string? Rpc, string? Ledger, bool TrustDirectory = false, bool Devnet = false)
{
    /// <summary>The registry of <paramref name="ledger"/>, read through <paramref name="rpc"/>: the only choice outside development.</summary>
    public static IssuerKeyTrust Registry(string rpc, string ledger) => new(rpc, ledger);

    /// <summary>Development networks only: the issuer's own directory, no registry check.</summary>
    public static IssuerKeyTrust DevelopmentDirectory { get; } = new(null, null, TrustDirectory: true, Devnet: true);
}

/// <summary>The one way every front end (the CLI, the devnet scenarios, a second app) opens an issuer session.</summary>
public static class IssuerConnection
{
    /// <summary>
    /// Opens a session with <paramref name="endpoint"/> whose key comes from where <paramref name="trust"/> allows:
    /// the registry when a chain is given, else the directory on a development network (with a warning written to
    /// <paramref name="warnings"/>), else a typed refusal. The session owns and disposes its key source.
    /// </summary>
    /// <exception cref="WalletException">The trust asked for is not allowed, or the registry cannot be read.</exception>
    public static async Task<IssuerSession> OpenAsync(IssuerEndpoint endpoint, IssuerKeyTrust trust, TextWriter? warnings = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(trust);
        if (trust.Rpc is not null && trust.Ledger is not null)
        {
            var registry = await RegistryKeySource.ConnectAsync(trust.Rpc, trust.Ledger, cancellationToken);
            return new IssuerSession(endpoint, registry, ownsKeys: true);
        }

        if (trust.TrustDirectory)
        {
            if (!trust.Devnet)
            {
                throw new WalletException(WalletError.InvalidInput, "--trust-directory is for development only and needs --devnet");
            }

            if (warnings is not null)
            {
                await warnings.WriteLineAsync("warning: DEVELOPMENT: the issuer's key is taken from its own directory, not checked against a registry (--devnet --trust-directory)");
            }

            return new IssuerSession(endpoint, DirectoryTrust.Development, ownsKeys: false);
        }

        throw new WalletException(WalletError.InvalidInput, "give --rpc and --ledger (the registry names the issuer's key), or on a development network --devnet --trust-directory");
    }
}
