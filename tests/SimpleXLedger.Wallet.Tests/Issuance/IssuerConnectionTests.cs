using SimpleXLedger.Testing;
using SimpleXLedger.Wallet.Issuance;

namespace SimpleXLedger.Wallet.Tests.Issuance;

/// <summary>
/// The wallet library's one key-trust rule, which every front end calls: the registry when a chain is given,
/// the issuer's directory only on a development network, and a typed refusal otherwise.
/// </summary>
public sealed class IssuerConnectionTests
{
    private static readonly IssuerEndpoint Endpoint = new(new Uri("http://127.0.0.1:9"), new Uri("http://127.0.0.1:9"));

    [Fact]
    public async Task Directory_trust_without_devnet_is_refused()
    {
        var e = await Assert.ThrowsAsync<WalletException>(() => IssuerConnection.OpenAsync(Endpoint, new IssuerKeyTrust(null, null, TrustDirectory: true, Devnet: false)));
        Assert.Equal(WalletError.InvalidInput, e.Error);
        Assert.Contains("--devnet", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_chain_and_no_directory_trust_is_refused()
    {
        var e = await Assert.ThrowsAsync<WalletException>(() => IssuerConnection.OpenAsync(Endpoint, new IssuerKeyTrust(null, null, Devnet: true)));
        Assert.Equal(WalletError.InvalidInput, e.Error);
        Assert.Contains("--rpc and --ledger", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Devnet_directory_trust_warns_and_trusts_the_directory()
    {
        using var warnings = new StringWriter();
        using var session = await IssuerConnection.OpenAsync(Endpoint, IssuerKeyTrust.DevelopmentDirectory, warnings);
        Assert.True(session.Keys.TrustsDirectory);
        Assert.Contains("DEVELOPMENT", warnings.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_chain_given_is_read_even_when_directory_trust_is_remembered()
    {
        // A chain that does not answer: the registry is what the wallet went for, and it says so, typed.
        var rpc = $"http://127.0.0.1:{FreePort.Next()}";
        var e = await Assert.ThrowsAsync<WalletException>(() => IssuerConnection.OpenAsync(Endpoint, new IssuerKeyTrust(rpc, "0x0000000000000000000000000000000000000001", TrustDirectory: true, Devnet: true)));
        Assert.Equal(WalletError.Unreachable, e.Error);
    }
}
