using System.Numerics;
using SimpleXLedger.Chain.Contracts.V2;
using SimpleXLedger.Chain.Services;
using SimpleXLedger.Tokens;
using SimpleXLedger.Tokens.BlindRsa;

namespace SimpleXLedger.Watch;

/// <summary>An anchored token key as a watcher verifies against it: the key the registry stores and the network challenge of its issuer name.</summary>
public sealed record WatchedKey(ushort Index, byte[] KeyId, TokenPublicKey PublicKey, TokenChallenge Challenge);

/// <summary>What a watcher reads from ledger v2 each round: the fee terms, the windows, the keys and the epochs posted so far.</summary>
public sealed class LedgerView
{
    private static readonly byte[] Exponent = [0x01, 0x00, 0x01];

    private LedgerView(string registry, string feeRecipient, BigInteger feePerCredit, ulong challengeWindow, ulong nextEpoch, IReadOnlyList<WatchedKey> keys)
    {
        Registry = registry;
        FeeRecipient = feeRecipient;
        FeePerCredit = feePerCredit;
        ChallengeWindow = challengeWindow;
        NextEpoch = nextEpoch;
        Keys = keys;
    }

    public string Registry { get; }

    public string FeeRecipient { get; }

    public BigInteger FeePerCredit { get; }

    public ulong ChallengeWindow { get; }

    public ulong NextEpoch { get; }

    public IReadOnlyList<WatchedKey> Keys { get; }

    public static async Task<LedgerView> LoadAsync(ChainConnection chain, string ledger, CancellationToken ct = default)
    {
        var registry = await chain.QueryAsync<KeyRegistryAddressFunction, string>(ledger, new KeyRegistryAddressFunction(), ct);
        var feeRecipient = await chain.QueryAsync<FeeRecipientV2Function, string>(ledger, new FeeRecipientV2Function(), ct);
        var fee = await chain.QueryAsync<FeePerCreditFunction, BigInteger>(ledger, new FeePerCreditFunction(), ct);
        var window = await chain.QueryAsync<ChallengeWindowFunction, ulong>(ledger, new ChallengeWindowFunction(), ct);
        var next = await chain.QueryAsync<NextEpochV2Function, ulong>(ledger, new NextEpochV2Function(), ct);
        var count = (int)await chain.QueryAsync<KeyCountV2Function, BigInteger>(registry, new KeyCountV2Function(), ct);
        var keys = new List<WatchedKey>(count);
        for (var i = 0; i < count; i++)
        {
            var material = await chain.QueryDtoAsync<KeyMaterialFunction, KeyMaterialOutput>(registry, new KeyMaterialFunction { KeyIndex = i }, ct);
            var name = await chain.QueryAsync<IssuerNameOfFunction, string>(registry, new IssuerNameOfFunction { KeyIndex = i }, ct);
            var publicKey = TokenPublicKey.FromRsaKey(RsaBssaPublicKey.FromParameters(material.Modulus, Exponent));
            if (!publicKey.KeyId.SequenceEqual(material.KeyId))
            {
                throw new InvalidDataException($"registry key {i}: the stored modulus does not give the anchored key id");
            }

            keys.Add(new WatchedKey((ushort)i, material.KeyId, publicKey, TokenChallenge.ForNetwork(name)));
        }

        return new LedgerView(registry, feeRecipient, fee, window, next, keys);
    }

    public static async Task<PostedEpochRecord> EpochAsync(ChainConnection chain, string ledger, ulong epoch, CancellationToken ct = default) =>
        (await chain.QueryDtoAsync<EpochOfFunction, EpochOfOutput>(ledger, new EpochOfFunction { Epoch = epoch }, ct)).Epoch;
}
