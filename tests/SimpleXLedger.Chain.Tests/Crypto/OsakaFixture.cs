using System.Numerics;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Contracts;
using Nethereum.Hex.HexTypes;
using Nethereum.Web3;
using SimpleXLedger.Chain.Contracts;
using SimpleXLedger.Chain.Devnet;
using SimpleXLedger.Chain.Services;

namespace SimpleXLedger.Chain.Tests.Crypto;

/// <summary>
/// Its own Anvil for the crypto tests, not the shared "anvil" collection's: Osaka rules (the MODEXP
/// pricing of EIP-7883) and the EIP-7825 per-transaction gas cap of 2^24 enforced, with the
/// <c>TokenVerifierHarness</c> deployed.
/// </summary>
public sealed class OsakaFixture : IAsyncLifetime
{
    /// <summary>EIP-7825: no transaction may ask for more gas than this.</summary>
    public const long TransactionGasCap = 16_777_216;

    private AnvilNode? _node;
    private ChainConnection? _connection;

    public AnvilNode Node => _node ?? throw new InvalidOperationException("anvil is not started");

    public Web3 Web3 => (_connection ?? throw new InvalidOperationException("not connected")).Web3;

    public string Sender => DevAccounts.Deployer.Address;

    public Contract Harness { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _node = await AnvilNode.StartAsync(new AnvilOptions { ExtraArguments = ["--hardfork", "osaka", "--enable-tx-gas-limit"] });
        _connection = await ChainConnection.ConnectAsync(_node.RpcUrl, DevAccounts.Deployer.Key);
        var artifact = ContractArtifact.TokenVerifierHarness;
        var receipt = await Web3.Eth.DeployContract.SendRequestAndWaitForReceiptAsync(
            artifact.Abi, artifact.Bytecode, Sender, new HexBigInteger(5_000_000), CancellationToken.None);
        Assert.Equal(BigInteger.One, receipt.Status.Value);
        Harness = Web3.Eth.GetContract(artifact.Abi, receipt.ContractAddress);
    }

    public async Task DisposeAsync()
    {
        _connection?.Dispose();
        if (_node is not null)
        {
            await _node.DisposeAsync();
        }
    }

    public Task<bool> VerifyPssAsync(byte[] modulus, byte[] message, byte[] signature) =>
        Harness.GetFunction("verifyPss").CallAsync<bool>(modulus, message, signature);

    public Task<bool> VerifyTokenAsync(byte[] modulus, byte[] challengeDigest, byte[] nonce, byte[] keyId, byte[] authenticator) =>
        Harness.GetFunction("verifyToken").CallAsync<bool>(modulus, challengeDigest, nonce, keyId, authenticator);

    public Task<bool> VerifyTokenBytesAsync(byte[] spki, byte[] token) =>
        Harness.GetFunction("verifyTokenBytes").CallAsync<bool>(spki, token);

    public Task<bool> VerifyTokenWithSpkiAsync(byte[] spki, byte[] challengeDigest, byte[] nonce, byte[] keyId, byte[] authenticator) =>
        Harness.GetFunction("verifyTokenWithSpki").CallAsync<bool>(spki, challengeDigest, nonce, keyId, authenticator);

    public Task<SpkiOutput> ModulusFromSpkiAsync(byte[] spki) =>
        Harness.GetFunction("modulusFromSpki").CallDeserializingToObjectAsync<SpkiOutput>(spki);

    public Task<byte[]> Sha384Async(byte[] data) => Harness.GetFunction("sha384").CallAsync<byte[]>(data);

    [FunctionOutput]
    public sealed class SpkiOutput : IFunctionOutputDTO
    {
        [Parameter("bool", "ok", 1)]
        public bool Ok { get; set; }

        [Parameter("bytes", "modulus", 2)]
        public byte[] Modulus { get; set; } = [];
    }
}

[CollectionDefinition(Name)]
public sealed class OsakaCollection : ICollectionFixture<OsakaFixture>
{
    public const string Name = "osaka-crypto";
}
