using System.Numerics;
using System.Security.Cryptography;
using Nethereum.Contracts;
using SimpleXLedger.Chain.Contracts;
using SimpleXLedger.Chain.Contracts.V2;
using SimpleXLedger.Chain.Devnet;
using SimpleXLedger.Chain.Services;
using SimpleXLedger.Epochs;
using SimpleXLedger.Tokens;

namespace SimpleXLedger.Testing.LedgerV2;

/// <summary>
/// A fresh v2 ledger on the Osaka Anvil with a connection per role, a funded batch, a bonded clearing house and an
/// anchored token key with real tokens from the project's own issuer; helpers to post, prove, claim and move the
/// chain's clock (by block time, never the wall clock).
/// </summary>
public sealed class V2Network : IDisposable
{
    public const string IssuerName = "issuer.example";
    public static readonly BigInteger Price = 1_000_000;
    public const ulong EpochLength = 3_600;
    public const ulong ChallengeWindow = 7_200;
    public const ulong AnswerWindow = 3_600;
    public const ulong FundedCredits = 1_000;

    private readonly List<ChainConnection> _connections = [];
    private readonly TokenPrivateKey _tokenKey;

    private V2Network(TokenPrivateKey tokenKey) => _tokenKey = tokenKey;

    public ChainConnection Governance { get; private set; } = null!;
    public ChainConnection Issuer { get; private set; } = null!;
    public ChainConnection House { get; private set; } = null!;
    public ChainConnection Vendor { get; private set; } = null!;
    public ChainConnection OperatorA { get; private set; } = null!;
    public ChainConnection OperatorB { get; private set; } = null!;
    public ChainConnection Prover { get; private set; } = null!;
    public ChainConnection Stranger { get; private set; } = null!;

    public string Token { get; private set; } = "";
    public string Ledger { get; private set; } = "";
    public string Registry { get; private set; } = "";
    public ulong Genesis { get; private set; }
    public LedgerV2Params Params { get; private set; } = null!;

    public BigInteger VendorPerCredit => Price * Params.VendorShareBps / 10_000;
    public BigInteger FeePerCredit => Price * Params.FeeBps / 10_000;
    public BigInteger OperatorRate => Price - VendorPerCredit - FeePerCredit;
    public BigInteger Net => Price - VendorPerCredit;

    public static async Task<V2Network> CreateAsync(V2Chain chain, Action<LedgerV2Params>? adjust = null)
    {
        var network = new V2Network(TokenPrivateKey.Generate());
        await network.DeployAsync(chain.RpcUrl, adjust);
        return network;
    }

    private async Task DeployAsync(string rpcUrl, Action<LedgerV2Params>? adjust)
    {
        Governance = await ConnectAsync(rpcUrl, DevAccounts.Governance);
        Issuer = await ConnectAsync(rpcUrl, DevAccounts.Issuer);
        House = await ConnectAsync(rpcUrl, DevAccounts.ClearingHouse);
        Vendor = await ConnectAsync(rpcUrl, DevAccounts.Vendor);
        OperatorA = await ConnectAsync(rpcUrl, DevAccounts.OperatorA);
        OperatorB = await ConnectAsync(rpcUrl, DevAccounts.OperatorB);
        Prover = await ConnectAsync(rpcUrl, DevAccounts.Users[0]);
        Stranger = await ConnectAsync(rpcUrl, DevAccounts.Users[1]);

        (Token, _) = await Governance.DeployAsync(new TestStablecoinDeployment { Owner = Governance.Address });
        var (judge, _) = await Governance.DeployAsync(new SxlEpochJudgeDeployment());
        Genesis = await NowAsync();
        Params = new LedgerV2Params
        {
            Token = Token,
            CreditPrice = Price,
            VendorShareBps = 2_000,
            FeeBps = 500,
            FeeRecipient = DevAccounts.FeeRecipient.Address,
            Governance = Governance.Address,
            Issuer = Issuer.Address,
            ClearingHouse = House.Address,
            Judge = judge,
            Genesis = Genesis,
            EpochLength = EpochLength,
            PostDeadline = 3_600,
            ChallengeWindow = ChallengeWindow,
            AnswerWindow = AnswerWindow,
            RoleChangeDelay = 14_400,
            MinBond = 1_000 * Price,
            DaDeposit = 50 * Price,
            DaPenalty = 100 * Price,
            LatePenalty = 10 * Price,
            ProverRewardBps = 1_000,
            ProverRewardCap = 50 * Price,
            MinKeyDelay = 0,
            MinIssueWindow = 1_000,
            MinRedeemWindow = 2_000,
        };
        adjust?.Invoke(Params);
        (Ledger, _) = await Governance.DeployAsync(new SxlLedgerV2Deployment { Params = Params });
        Registry = await Governance.QueryAsync<KeyRegistryAddressFunction, string>(Ledger, new KeyRegistryAddressFunction());

        foreach (var account in new[] { Vendor, House, Prover, Stranger })
        {
            await Governance.SendAsync(Token, new StablecoinMintFunction { To = account.Address, Amount = 1_000_000 * Price });
            await account.SendAsync(Token, new Erc20ApproveFunction { Spender = Ledger, Value = BigInteger.Pow(2, 255) });
        }

        await Governance.SendAsync(Ledger, new RegisterVendorV2Function { Vendor = Vendor.Address });
        await Vendor.SendAsync(Ledger, new FundBatchV2Function { BatchId = RandomNumberGenerator.GetBytes(32), Root = RandomNumberGenerator.GetBytes(32), Credits = FundedCredits });
        await House.SendAsync(Ledger, new DepositBondV2Function { Amount = Params.MinBond });

        var usableFrom = await NowAsync() + 10;
        await Issuer.SendAsync(Registry, new AnchorKeyV2Function
        {
            Spki = _tokenKey.PublicKey.ExportSpki(),
            IssuerName = IssuerName,
            UsableFrom = usableFrom,
            IssueUntil = usableFrom + 100_000,
            RedeemUntil = usableFrom + 200_000,
        });
        await Issuer.SendAsync(Registry, new AnchorIssuedV2Function { KeyIndex = 0, Cumulative = FundedCredits });
        TokenKeyId = SHA256.HashData(_tokenKey.PublicKey.ExportSpki());
    }

    public byte[] TokenKeyId { get; private set; } = [];

    /// <summary>A real token from the project's issuer under the anchored key, for the network challenge: (nonce, authenticator).</summary>
    public (byte[] Nonce, byte[] Authenticator) MintToken()
    {
        using var state = TokenClient.CreateRequest(_tokenKey.PublicKey, TokenChallenge.ForNetwork(IssuerName));
        var token = TokenClient.Finalize(state, TokenIssuer.Issue(_tokenKey, state.Request)).ToArray();
        return (token[2..34], token[98..354]);
    }

    /// <summary>Real tokens spent at each payee, <c>Count</c> of them per payee.</summary>
    public List<(string Payee, byte[] Nonce, byte[] Authenticator)> Spends(params (string Payee, int Count)[] payees)
    {
        var list = new List<(string, byte[], byte[])>();
        foreach (var (payee, count) in payees)
        {
            for (var i = 0; i < count; i++)
            {
                var (nonce, auth) = MintToken();
                list.Add((payee, nonce, auth));
            }
        }

        return list;
    }

    public static byte[] Address(string hex) => Convert.FromHexString(hex[2..]);

    /// <summary>The rate the contract will compute for a post of <paramref name="paying"/> tokens now.</summary>
    public async Task<BigInteger> EpochRateAsync(uint paying)
    {
        if (paying == 0)
        {
            return OperatorRate;
        }

        var books = await BooksAsync();
        var bonus = BigInteger.Min(OperatorRate, books.BonusPool / (30 * paying));
        return OperatorRate + bonus;
    }

    /// <summary>An honest close of <paramref name="spends"/> (payee, nonce, authenticator), as the clearing house builds it.</summary>
    public async Task<PostedEpoch> HonestAsync(ulong epoch, byte round, IEnumerable<(string Payee, byte[] Nonce, byte[] Authenticator)> spends)
    {
        var list = spends.ToList();
        var builder = new EpochBuilder(new EpochParameters(
            (ulong)House.ChainId,
            Address(Ledger),
            epoch,
            round,
            Address(DevAccounts.FeeRecipient.Address),
            (UInt128)FeePerCredit,
            (UInt128)await EpochRateAsync((uint)list.Count),
            [new RegisteredKey(TokenKeyId, 0)]));
        foreach (var (payee, nonce, authenticator) in list)
        {
            builder.Add(TokenKind.Paid, Address(payee), TokenKeyId, nonce, authenticator);
        }

        return PostedEpoch.FromBuilder(builder.Build());
    }

    public Task<ChainTransaction> PostAsync(PostedEpoch e) => House.SendAsync(Ledger, new PostEpochV2Function { Input = e.PostInput });

    public Task<ChainTransaction> ProveAsync<TProof>(TProof judgeCall, ChainConnection? by = null)
        where TProof : FunctionMessage, new()
        => (by ?? Prover).SendAsync(Ledger, new ProveFunction { JudgeCall = judgeCall.GetCallData() });

    public ulong EpochEnd(ulong epoch) => Genesis + (epoch * EpochLength);

    /// <summary>Mines one block at exactly <paramref name="time"/> (block time).</summary>
    public async Task MineAtAsync(ulong time)
    {
        await Governance.RpcAsync<object>("evm_setNextBlockTimestamp", (long)time);
        await Governance.RpcAsync<object>("evm_mine");
    }

    public async Task PassChallengeWindowAsync() => await MineAtAsync(await NowAsync() + ChallengeWindow + 1);

    public Task<ulong> NowAsync() => Governance.LatestBlockTimeAsync();

    public Task<BigInteger> BalanceAsync(string account) =>
        Governance.QueryAsync<Erc20BalanceOfFunction, BigInteger>(Token, new Erc20BalanceOfFunction { Account = account });

    public Task<BigInteger> OwedAsync(string account) =>
        Governance.QueryAsync<OwedFunction, BigInteger>(Ledger, new OwedFunction { Account = account });

    public Task<BigInteger> BondAsync(string house) =>
        Governance.QueryAsync<BondOfV2Function, BigInteger>(Ledger, new BondOfV2Function { House = house });

    public async Task<BooksTuple> BooksAsync() =>
        (await Governance.QueryDtoAsync<BooksFunction, BooksOutput>(Ledger, new BooksFunction())).Books;

    public Task<KeyWindowsV2Output> KeyAsync() =>
        Governance.QueryDtoAsync<KeyWindowsV2Function, KeyWindowsV2Output>(Registry, new KeyWindowsV2Function { KeyIndex = 0 });

    /// <summary>The contract's own invariants, and conservation from outside: every unit that came in is accounted for. Throws if not.</summary>
    public async Task AssertBooksAsync()
    {
        var inv = await Governance.QueryDtoAsync<InvariantsFunction, InvariantsOutput>(Ledger, new InvariantsFunction());
        var b = await BooksAsync();
        var problems = new List<string>();
        if (!inv.BooksBalance) problems.Add("books do not balance");
        if (!inv.Covered) problems.Add("the token balance does not cover what the ledger owes");
        if (!inv.Backed) problems.Add("unallocated is not net × credits backed + bonus pool");
        if (b.Balance != b.OwedTotal + b.AllocatedUnclaimed + b.Unallocated + b.BondsHeld + b.DepositsHeld) problems.Add("the balance is not exactly what the ledger holds");
        if (problems.Count > 0)
        {
            throw new InvalidOperationException("ledger v2 invariants broken: " + string.Join("; ", problems));
        }
    }

    public void Dispose()
    {
        _tokenKey.Dispose();
        foreach (var c in _connections)
        {
            c.Dispose();
        }
    }

    private async Task<ChainConnection> ConnectAsync(string rpcUrl, DevAccount account)
    {
        var connection = await ChainConnection.ConnectAsync(rpcUrl, account.Key);
        _connections.Add(connection);
        return connection;
    }
}
