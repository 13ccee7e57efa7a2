using System.Security.Cryptography;
using Nethereum.JsonRpc.Client;
using SimpleXLedger.Chain.Services;
using SimpleXLedger.Tokens;

namespace SimpleXLedger.Wallet.Issuance;

/// <summary>A token key as the registry anchors it, with its windows (Unix seconds of chain time).</summary>
public sealed record AnchoredKey(TokenPublicKey Key, long UsableFrom, long IssueUntil, long RedeemUntil);

/// <summary>Where the wallet learns which key the issuer must be issuing with.</summary>
public interface IIssuingKeySource
{
    /// <summary>True only for <see cref="DirectoryTrust"/>: the key comes from the issuer itself (development).</summary>
    bool TrustsDirectory { get; }

    /// <summary>The key issuing now by the registry's clock, or null when none is.</summary>
    Task<AnchoredKey?> GetCurrentIssuingKeyAsync(CancellationToken cancellationToken);
}

/// <summary>
/// The on-chain key registry, read through the wallet's own RPC endpoint: the only trustworthy answer to "which key
/// issues now" (every user sees the same one, so an issuer cannot give one user a key of their own).
/// </summary>
public sealed class RegistryKeySource : IIssuingKeySource, IDisposable
{
    private readonly ChainConnection _connection;
    private readonly LedgerClient _ledger;

    private RegistryKeySource(ChainConnection connection, LedgerClient ledger)
    {
        _connection = connection;
        _ledger = ledger;
    }

    public bool TrustsDirectory => false;

    public string Ledger => _ledger.Ledger;

    public static async Task<RegistryKeySource> ConnectAsync(string rpcUrl, string ledger, CancellationToken cancellationToken = default)
    {
        ChainConnection? connection = null;
        try
        {
            connection = await ChainConnection.ConnectAsync(rpcUrl, ct: cancellationToken);
            var client = await LedgerClient.AttachAsync(connection, ledger, ct: cancellationToken);
            return new RegistryKeySource(connection, client);
        }
        catch (InvalidOperationException e)
        {
            connection?.Dispose();
            throw new WalletException(WalletError.InvalidInput, e.Message, e);
        }
        catch (Exception e) when (ChainErrors.IsUnreachable(e))
        {
            connection?.Dispose();
            throw new WalletException(WalletError.Unreachable, "the chain's RPC endpoint cannot be reached", e);
        }
    }

    public async Task<AnchoredKey?> GetCurrentIssuingKeyAsync(CancellationToken cancellationToken)
    {
        IssuingKey? current;
        try
        {
            current = await _ledger.GetCurrentIssuingKeyAsync(cancellationToken);
        }
        catch (Exception e) when (ChainErrors.IsUnreachable(e))
        {
            throw new WalletException(WalletError.Unreachable, "the chain's RPC endpoint cannot be reached", e);
        }

        if (current is null)
        {
            return null;
        }

        if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(current.Spki), current.KeyId)
            || !TokenPublicKey.TryFromSpki(current.Spki, out var key, out _))
        {
            throw new KeyConsistencyException(KeyConsistencyFailure.RegistryKeyMalformed, "the registry's issuing key is not a valid token key");
        }

        return new AnchoredKey(key, (long)current.UsableFrom, (long)current.IssueUntil, (long)current.RedeemUntil);
    }

    public void Dispose() => _connection.Dispose();
}

/// <summary>
/// Development only (<c>--devnet --trust-directory</c>): no chain, so the key is whatever the issuer's directory
/// says. Still refuses a directory with more than one key. Never use it against a real network.
/// </summary>
public sealed class DirectoryTrust : IIssuingKeySource
{
    public static DirectoryTrust Development { get; } = new();

    public bool TrustsDirectory => true;

    public Task<AnchoredKey?> GetCurrentIssuingKeyAsync(CancellationToken cancellationToken) => Task.FromResult<AnchoredKey?>(null);
}

internal static class ChainErrors
{
    public static bool IsUnreachable(Exception e) => e is HttpRequestException or RpcClientUnknownException or RpcClientTimeoutException or TaskCanceledException
        || e.InnerException is HttpRequestException;
}
