using System.Numerics;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SimpleXLedger.Chain.Contracts;
using SimpleXLedger.Chain.Receipts;

namespace SimpleXLedger.Chain.Services;

/// <summary>
/// Everything the network's services do with the ledger, over one <see cref="ChainConnection"/>
/// (whose key is the sending role: governance, vendor, issuer, clearing house or operator).
/// Writes wait until mined and throw <see cref="LedgerRevertException"/> with the contract's own
/// error; operations that a crash could repeat (posting an epoch, anchoring issued totals,
/// claiming) check the chain first and report "already done" instead of sending twice.
/// </summary>
public sealed class LedgerClient
{
    private readonly ILogger _logger;

    private LedgerClient(ChainConnection connection, string ledger, string keyRegistry, string token, ILogger logger)
    {
        Connection = connection;
        Ledger = ledger;
        KeyRegistry = keyRegistry;
        Token = token;
        _logger = logger;
        Receipts = new ReceiptSigner(connection.ChainId, ledger);
    }

    public ChainConnection Connection { get; }

    public string Ledger { get; }

    public string KeyRegistry { get; }

    public string Token { get; }

    /// <summary>Signs and checks receipts in this ledger's EIP-712 domain.</summary>
    public ReceiptSigner Receipts { get; }

    /// <summary>Binds to a deployed ledger (reads its registry and token addresses).</summary>
    public static async Task<LedgerClient> AttachAsync(ChainConnection connection, string ledger, ILogger? logger = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var code = await connection.ReadAsync(() => connection.Web3.Eth.GetCode.SendRequestAsync(ledger), ct);
        if (string.IsNullOrEmpty(code) || code == "0x")
        {
            throw new InvalidOperationException($"no contract at {ledger}");
        }

        var registry = await connection.QueryAsync<KeyRegistryFunction, string>(ledger, new(), ct);
        var token = await connection.QueryAsync<TokenFunction, string>(ledger, new(), ct);
        return new LedgerClient(connection, ledger, registry, token, logger ?? NullLogger.Instance);
    }

    /// <summary>Deploys a ledger (and, inside the same transaction, its key registry).</summary>
    public static async Task<LedgerDeployment> DeployAsync(ChainConnection connection, LedgerParameters parameters, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(parameters);
        var (ledger, tx) = await connection.DeployAsync(new SxlLedgerDeployment { Params = parameters.ToAbi() }, ct);
        var registry = await connection.QueryAsync<KeyRegistryFunction, string>(ledger, new(), ct);
        return new LedgerDeployment(ledger, registry, parameters.Token, tx);
    }

    /// <summary>Deploys the dev chain's test stablecoin, owned (and minted) by <paramref name="owner"/>.</summary>
    public static async Task<string> DeployTestStablecoinAsync(ChainConnection connection, string owner, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var (address, _) = await connection.DeployAsync(new TestStablecoinDeployment { Owner = owner }, ct);
        return address;
    }

    /// <summary>The same ledger through another connection (another sending key).</summary>
    public LedgerClient With(ChainConnection connection) => new(connection, Ledger, KeyRegistry, Token, _logger);

    // ------------------------------------------------------------------ governance

    public Task<ChainTransaction> RegisterVendorAsync(string vendor, CancellationToken ct = default)
        => Connection.SendAsync(Ledger, new RegisterVendorFunction { Vendor = vendor }, ct);

    public Task<ChainTransaction> RemoveVendorAsync(string vendor, CancellationToken ct = default)
        => Connection.SendAsync(Ledger, new RemoveVendorFunction { Vendor = vendor }, ct);

    public Task<ChainTransaction> ProposeRoleChangeAsync(LedgerRole role, string account, CancellationToken ct = default)
        => Connection.SendAsync(Ledger, new ProposeRoleChangeFunction { Role = (byte)role, Account = account }, ct);

    public Task<ChainTransaction> CancelRoleChangeAsync(LedgerRole role, CancellationToken ct = default)
        => Connection.SendAsync(Ledger, new CancelRoleChangeFunction { Role = (byte)role }, ct);

    public Task<ChainTransaction> ExecuteRoleChangeAsync(LedgerRole role, CancellationToken ct = default)
        => Connection.SendAsync(Ledger, new ExecuteRoleChangeFunction { Role = (byte)role }, ct);

    public Task<ChainTransaction> PauseAsync(CancellationToken ct = default) => Connection.SendAsync(Ledger, new PauseFunction(), ct);

    public Task<ChainTransaction> UnpauseAsync(CancellationToken ct = default) => Connection.SendAsync(Ledger, new UnpauseFunction(), ct);

    // ------------------------------------------------------------------ vendors and buyers

    /// <summary>Funds a card batch from the sender (a registered vendor): approves the price, then funds.</summary>
    public async Task<ChainTransaction> FundBatchAsync(byte[] batchId, byte[] root, ulong credits, CancellationToken ct = default)
    {
        var price = await CreditPriceAsync(ct);
        await EnsureAllowanceAsync(price * credits, ct);
        return await Connection.SendAsync(Ledger, new FundBatchFunction { BatchId = batchId, Root = root, Credits = credits }, ct);
    }

    /// <summary>Buys one card from the sender's account: registers the hash of a card secret it made.</summary>
    public async Task<ChainTransaction> BuyCardAsync(byte[] cardHash, ulong credits, string vendor, CancellationToken ct = default)
    {
        var price = await CreditPriceAsync(ct);
        await EnsureAllowanceAsync(price * credits, ct);
        return await Connection.SendAsync(Ledger, new BuyCardFunction { CardHash = cardHash, Credits = credits, Vendor = vendor }, ct);
    }

    public Task<ChainTransaction> WithdrawVendorBalanceAsync(CancellationToken ct = default)
        => Connection.SendAsync(Ledger, new WithdrawVendorBalanceFunction(), ct);

    // ------------------------------------------------------------------ issuer: keys and issued totals

    /// <summary>Anchors a token key; its id is SHA-256 of the SPKI (checked again by the contract).</summary>
    public async Task<(byte[] KeyId, ChainTransaction Transaction)> AnchorKeyAsync(byte[] spki, ulong usableFrom, ulong issueUntil, ulong redeemUntil, CancellationToken ct = default)
    {
        var keyId = SHA256.HashData(spki);
        var tx = await Connection.SendAsync(KeyRegistry, new AnchorKeyFunction { KeyId = keyId, Spki = spki, UsableFrom = usableFrom, IssueUntil = issueUntil, RedeemUntil = redeemUntil }, ct);
        return (keyId, tx);
    }

    public Task<ChainTransaction> AnchorKeyWithIdAsync(byte[] keyId, byte[] spki, ulong usableFrom, ulong issueUntil, ulong redeemUntil, CancellationToken ct = default)
        => Connection.SendAsync(KeyRegistry, new AnchorKeyFunction { KeyId = keyId, Spki = spki, UsableFrom = usableFrom, IssueUntil = issueUntil, RedeemUntil = redeemUntil }, ct);

    public Task<ChainTransaction> RevokeKeyAsync(byte[] keyId, CancellationToken ct = default)
        => Connection.SendAsync(KeyRegistry, new RevokeKeyFunction { KeyId = keyId }, ct);

    /// <summary>Anchors the cumulative tokens issued under a key; returns null (nothing sent) when the chain already has that total.</summary>
    public async Task<ChainTransaction?> AnchorIssuedAsync(byte[] keyId, ulong cumulative, CancellationToken ct = default)
    {
        var key = await GetKeyAsync(keyId, ct);
        if (key.Anchored && key.Issued == cumulative)
        {
            return null;
        }

        return await Connection.SendAsync(KeyRegistry, new AnchorIssuedFunction { KeyId = keyId, Cumulative = cumulative }, ct);
    }

    // ------------------------------------------------------------------ clearing house: bond, epochs, answers

    public async Task<ChainTransaction> DepositBondAsync(BigInteger amount, CancellationToken ct = default)
    {
        await EnsureAllowanceAsync(amount, ct);
        return await Connection.SendAsync(Ledger, new DepositBondFunction { Amount = amount }, ct);
    }

    public Task<ChainTransaction> WithdrawBondAsync(BigInteger amount, CancellationToken ct = default)
        => Connection.SendAsync(Ledger, new WithdrawBondFunction { Amount = amount }, ct);

    /// <summary>
    /// Posts an epoch at most once: if the chain already holds this epoch live with the same root and
    /// totals (an earlier attempt landed before a crash), it reports that instead of sending; a
    /// different live post of the same epoch is a conflict, never overwritten.
    /// </summary>
    public async Task<EpochPostResult> PostEpochAsync(EpochPost post, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(post);
        // A post sent before a crash may still be pending: let it land before reading the chain.
        await Connection.WaitForOwnPendingAsync(ct);
        var existing = await GetEpochAsync(post.Epoch, ct);
        if (existing.Live)
        {
            return SameAsPosted(existing, post)
                ? new EpochPostResult(existing, null)
                : throw new EpochConflictException(post.Epoch);
        }

        try
        {
            var tx = await Connection.SendAsync(Ledger, new PostEpochFunction
            {
                Epoch = post.Epoch,
                Root = post.Root,
                Total = post.Total,
                OperatorTotal = post.OperatorTotal,
                LeavesHash = post.LeavesHash,
            }, ct);
            _logger.LogInformation("epoch {Epoch} posted in block {Block} ({Gas} gas)", post.Epoch, tx.BlockNumber, tx.GasUsed);
            return new EpochPostResult(await GetEpochAsync(post.Epoch, ct), tx);
        }
        catch (LedgerRevertException e) when (e.ErrorName == "EpochNotPostable")
        {
            // Another attempt of ours (sent before a crash, or still in flight) may have landed first.
            var now = await GetEpochAsync(post.Epoch, ct);
            if (now.Live && SameAsPosted(now, post))
            {
                return new EpochPostResult(now, null);
            }

            throw;
        }
    }

    public Task<ChainTransaction> AnswerDisputeAsync(ulong epoch, string payee, BigInteger leafAmount, IEnumerable<byte[]> proof, CancellationToken ct = default)
        => Connection.SendAsync(Ledger, new AnswerDisputeFunction { Epoch = epoch, Payee = payee, LeafAmount = leafAmount, Proof = proof.ToList() }, ct);

    // ------------------------------------------------------------------ payees and operators

    /// <summary>Claims a leaf for its payee (anyone may send it); returns null when it was already claimed.</summary>
    public async Task<ChainTransaction?> ClaimAsync(ulong epoch, string payee, BigInteger amount, IEnumerable<byte[]> proof, CancellationToken ct = default)
    {
        if (await IsClaimedAsync(epoch, payee, ct))
        {
            return null;
        }

        try
        {
            return await Connection.SendAsync(Ledger, new ClaimFunction { Epoch = epoch, Payee = payee, Amount = amount, Proof = proof.ToList() }, ct);
        }
        catch (LedgerRevertException e) when (e.ErrorName == "AlreadyClaimed")
        {
            return null;
        }
    }

    /// <summary>Disputes with a receipt when the payee (the sender) has no leaf in the epoch; puts up the deposit.</summary>
    public async Task<ChainTransaction> DisputeMissingAsync(SignedReceipt receipt, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        await EnsureAllowanceAsync(await Connection.QueryAsync<DisputeDepositFunction, BigInteger>(Ledger, new(), ct), ct);
        return await Connection.SendAsync(Ledger, new DisputeMissingFunction
        {
            Epoch = receipt.Receipt.Epoch,
            AcceptedInEpoch = receipt.Receipt.AcceptedInEpoch,
            BatchId = receipt.Receipt.BatchId,
            Signature = receipt.Signature,
        }, ct);
    }

    /// <summary>Proves the sender's leaf pays less than its receipt: the epoch freezes and the bond pays.</summary>
    public Task<ChainTransaction> DisputeUnderpaidAsync(SignedReceipt receipt, BigInteger leafAmount, IEnumerable<byte[]> proof, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        return Connection.SendAsync(Ledger, new DisputeUnderpaidFunction
        {
            Epoch = receipt.Receipt.Epoch,
            AcceptedInEpoch = receipt.Receipt.AcceptedInEpoch,
            BatchId = receipt.Receipt.BatchId,
            Signature = receipt.Signature,
            LeafAmount = leafAmount,
            Proof = proof.ToList(),
        }, ct);
    }

    public Task<ChainTransaction> SettleDisputeAsync(ulong epoch, string payee, CancellationToken ct = default)
        => Connection.SendAsync(Ledger, new SettleDisputeFunction { Epoch = epoch, Payee = payee }, ct);

    public Task<ChainTransaction> ClaimLateAsync(SignedReceipt receipt, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        return Connection.SendAsync(Ledger, new ClaimLateFunction
        {
            Epoch = receipt.Receipt.Epoch,
            AcceptedInEpoch = receipt.Receipt.AcceptedInEpoch,
            BatchId = receipt.Receipt.BatchId,
            Signature = receipt.Signature,
        }, ct);
    }

    // ------------------------------------------------------------------ token

    public Task<BigInteger> TokenBalanceAsync(string account, CancellationToken ct = default)
        => Connection.QueryAsync<Erc20BalanceOfFunction, BigInteger>(Token, new() { Account = account }, ct);

    public Task<ChainTransaction> TransferTokenAsync(string to, BigInteger amount, CancellationToken ct = default)
        => Connection.SendAsync(Token, new Erc20TransferFunction { To = to, Value = amount }, ct);

    /// <summary>Mints test stablecoin (the sender must own the TestStablecoin; dev chains only).</summary>
    public Task<ChainTransaction> MintTestTokensAsync(string to, BigInteger amount, CancellationToken ct = default)
        => Connection.SendAsync(Token, new StablecoinMintFunction { To = to, Amount = amount }, ct);

    private async Task EnsureAllowanceAsync(BigInteger amount, CancellationToken ct)
    {
        var allowance = await Connection.QueryAsync<Erc20AllowanceFunction, BigInteger>(Token, new() { Owner = Connection.Address, Spender = Ledger }, ct);
        if (allowance < amount)
        {
            await Connection.SendAsync(Token, new Erc20ApproveFunction { Spender = Ledger, Value = amount }, ct);
        }
    }

    // ------------------------------------------------------------------ reads

    public async Task<LedgerInfo> GetInfoAsync(CancellationToken ct = default)
    {
        Task<T> Q<TF, T>()
            where TF : Nethereum.Contracts.FunctionMessage, new()
            => Connection.QueryAsync<TF, T>(Ledger, new TF(), ct);
        Task<T> R<TF, T>()
            where TF : Nethereum.Contracts.FunctionMessage, new()
            => Connection.QueryAsync<TF, T>(KeyRegistry, new TF(), ct);
        return new LedgerInfo(
            Ledger,
            KeyRegistry,
            Token,
            await Q<CreditPriceFunction, BigInteger>(),
            await Q<VendorShareBpsFunction, ushort>(),
            await Q<FeeBpsFunction, ushort>(),
            await Q<FeeRecipientFunction, string>(),
            await Q<OperatorRateFunction, BigInteger>(),
            await Q<DisputeWindowFunction, ulong>(),
            await Q<AnswerWindowFunction, ulong>(),
            await Q<PostDeadlineFunction, ulong>(),
            await Q<MinBondFunction, BigInteger>(),
            await Q<DisputeDepositFunction, BigInteger>(),
            await Q<DisputePenaltyFunction, BigInteger>(),
            await Q<RoleChangeDelayFunction, ulong>(),
            await Q<MaxPauseFunction, ulong>(),
            await Q<PauseCooldownFunction, ulong>(),
            await R<MinKeyDelayFunction, ulong>(),
            await R<MinIssueWindowFunction, ulong>(),
            await R<MinRedeemWindowFunction, ulong>(),
            await Q<GovernanceFunction, string>(),
            await Q<IssuerFunction, string>(),
            await Q<ClearingHouseFunction, string>());
    }

    public Task<BigInteger> CreditPriceAsync(CancellationToken ct = default) => Connection.QueryAsync<CreditPriceFunction, BigInteger>(Ledger, new(), ct);

    public Task<BigInteger> OperatorRateAsync(CancellationToken ct = default) => Connection.QueryAsync<OperatorRateFunction, BigInteger>(Ledger, new(), ct);

    public async Task<EscrowAccounts> GetAccountsAsync(CancellationToken ct = default)
        => EscrowAccounts.From(await Connection.QueryDtoAsync<AccountsFunction, AccountsOutput>(Ledger, new(), ct));

    public Task<bool> InvariantHoldsAsync(CancellationToken ct = default) => Connection.QueryAsync<InvariantHoldsFunction, bool>(Ledger, new(), ct);

    public async Task<EpochRecord> GetEpochAsync(ulong epoch, CancellationToken ct = default)
        => EpochRecord.From(epoch, (await Connection.QueryDtoAsync<EpochInfoFunction, EpochInfoOutput>(Ledger, new() { Epoch = epoch }, ct)).Info);

    public Task<ulong> NextEpochAsync(CancellationToken ct = default) => Connection.QueryAsync<NextEpochFunction, ulong>(Ledger, new(), ct);

    public Task<bool> IsClaimedAsync(ulong epoch, string payee, CancellationToken ct = default)
        => Connection.QueryAsync<ClaimedFunction, bool>(Ledger, new() { Epoch = epoch, Payee = payee }, ct);

    public async Task<DisputeRecord> GetDisputeAsync(ulong epoch, string payee, CancellationToken ct = default)
    {
        var d = await Connection.QueryDtoAsync<DisputeOfFunction, DisputeOfOutput>(Ledger, new() { Epoch = epoch, Payee = payee }, ct);
        return new DisputeRecord((DisputeStatus)d.Status, d.Round, d.AnswerBy, d.AcceptedInEpoch, d.Owed);
    }

    public Task<BigInteger> VendorBalanceAsync(string vendor, CancellationToken ct = default)
        => Connection.QueryAsync<VendorBalanceFunction, BigInteger>(Ledger, new() { Account = vendor }, ct);

    public Task<bool> IsVendorAsync(string vendor, CancellationToken ct = default)
        => Connection.QueryAsync<IsVendorFunction, bool>(Ledger, new() { Account = vendor }, ct);

    public Task<BigInteger> BondOfAsync(string clearingHouse, CancellationToken ct = default)
        => Connection.QueryAsync<BondOfFunction, BigInteger>(Ledger, new() { Account = clearingHouse }, ct);

    public Task<ulong> CreditsFundedAsync(CancellationToken ct = default) => Connection.QueryAsync<CreditsFundedFunction, ulong>(Ledger, new(), ct);

    public Task<ulong> TotalIssuedAsync(CancellationToken ct = default) => Connection.QueryAsync<TotalIssuedFunction, ulong>(Ledger, new(), ct);

    public Task<ulong> ActiveTimeAsync(CancellationToken ct = default) => Connection.QueryAsync<ActiveTimeFunction, ulong>(Ledger, new(), ct);

    public async Task<PauseInfo> GetPauseAsync(CancellationToken ct = default)
    {
        var p = await Connection.QueryDtoAsync<PauseStateFunction, PauseStateOutput>(Ledger, new(), ct);
        return new PauseInfo(p.Start, p.End, p.PausedBefore, p.Paused);
    }

    public Task<string> RoleHolderAsync(LedgerRole role, CancellationToken ct = default) => role switch
    {
        LedgerRole.Governance => Connection.QueryAsync<GovernanceFunction, string>(Ledger, new(), ct),
        LedgerRole.Issuer => Connection.QueryAsync<IssuerFunction, string>(Ledger, new(), ct),
        _ => Connection.QueryAsync<ClearingHouseFunction, string>(Ledger, new(), ct),
    };

    public async Task<(string Account, ulong ExecutableAt)> PendingRoleChangeAsync(LedgerRole role, CancellationToken ct = default)
    {
        var p = await Connection.QueryDtoAsync<PendingRoleChangeFunction, PendingRoleChangeOutput>(Ledger, new() { Role = (byte)role }, ct);
        return (p.Account, p.ExecutableAt);
    }

    public async Task<(string Vendor, ulong Credits, byte[] Root)> GetBatchAsync(byte[] batchId, CancellationToken ct = default)
    {
        var b = await Connection.QueryDtoAsync<BatchOfFunction, BatchOfOutput>(Ledger, new() { BatchId = batchId }, ct);
        return (b.Vendor, b.Credits, b.Root);
    }

    public async Task<(string Vendor, ulong Credits)> GetCardAsync(byte[] cardHash, CancellationToken ct = default)
    {
        var c = await Connection.QueryDtoAsync<CardOfFunction, CardOfOutput>(Ledger, new() { CardHash = cardHash }, ct);
        return (c.Vendor, c.Credits);
    }

    public async Task<TokenKeyRecord> GetKeyAsync(byte[] keyId, CancellationToken ct = default)
    {
        var k = await Connection.QueryDtoAsync<KeyWindowsFunction, KeyWindowsOutput>(KeyRegistry, new() { KeyId = keyId }, ct);
        return new TokenKeyRecord(keyId, k.UsableFrom, k.IssueUntil, k.RedeemUntil, k.RevokedAt, k.AnchoredAt, k.Issued);
    }

    public Task<byte[]> GetKeySpkiAsync(byte[] keyId, CancellationToken ct = default)
        => Connection.QueryAsync<KeySpkiFunction, byte[]>(KeyRegistry, new() { KeyId = keyId }, ct);

    /// <summary>The key that issues now by the chain's clock, or null when none does.</summary>
    public async Task<IssuingKey?> GetCurrentIssuingKeyAsync(CancellationToken ct = default)
    {
        var k = await Connection.QueryDtoAsync<CurrentIssuingKeyFunction, CurrentIssuingKeyOutput>(KeyRegistry, new(), ct);
        return k.KeyId.All(b => b == 0) ? null : new IssuingKey(k.KeyId, k.UsableFrom, k.IssueUntil, k.RedeemUntil, k.Spki);
    }

    /// <summary>All anchored keys, in window order.</summary>
    public async Task<IReadOnlyList<TokenKeyRecord>> GetKeysAsync(CancellationToken ct = default)
    {
        var count = await GetKeyCountAsync(ct);
        var keys = new List<TokenKeyRecord>(count);
        for (var i = 0; i < count; i++)
        {
            keys.Add(await GetKeyAsync(await GetKeyIdAtAsync(i, ct), ct));
        }

        return keys;
    }

    /// <summary>How many keys the registry has anchored (its list only grows).</summary>
    public async Task<int> GetKeyCountAsync(CancellationToken ct = default) =>
        (int)await Connection.QueryAsync<KeyCountFunction, BigInteger>(KeyRegistry, new(), ct);

    /// <summary>The id of the key anchored <paramref name="index"/>-th (never changes once anchored).</summary>
    public Task<byte[]> GetKeyIdAtAsync(int index, CancellationToken ct = default) =>
        Connection.QueryAsync<KeyIdAtFunction, byte[]>(KeyRegistry, new() { Index = index }, ct);

    /// <summary>Who signed a receipt, by the contract's own EIP-712 verification (zero address if malformed).</summary>
    public Task<string> ReceiptSignerOnChainAsync(SignedReceipt receipt, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        return Connection.QueryAsync<ReceiptSignerFunction, string>(Ledger, new()
        {
            Payee = receipt.Receipt.Payee,
            Epoch = receipt.Receipt.Epoch,
            AcceptedInEpoch = receipt.Receipt.AcceptedInEpoch,
            BatchId = receipt.Receipt.BatchId,
            Signature = receipt.Signature,
        }, ct);
    }

    /// <summary>True when the contract accepts the receipt as signed by the serving clearing house.</summary>
    public Task<bool> IsValidReceiptOnChainAsync(SignedReceipt receipt, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        return Connection.QueryAsync<IsValidReceiptFunction, bool>(Ledger, new()
        {
            Payee = receipt.Receipt.Payee,
            Epoch = receipt.Receipt.Epoch,
            AcceptedInEpoch = receipt.Receipt.AcceptedInEpoch,
            BatchId = receipt.Receipt.BatchId,
            Signature = receipt.Signature,
        }, ct);
    }

    public Task<byte[]> ReceiptDigestOnChainAsync(Receipt receipt, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        return Connection.QueryAsync<ReceiptDigestFunction, byte[]>(Ledger, new()
        {
            Payee = receipt.Payee,
            Epoch = receipt.Epoch,
            AcceptedInEpoch = receipt.AcceptedInEpoch,
            BatchId = receipt.BatchId,
        }, ct);
    }

    /// <summary>Ledger events of one type with at least <paramref name="confirmations"/> confirmations (default: the connection's).</summary>
    public Task<EventPage<TEvent>> GetEventsAsync<TEvent>(ulong fromBlock, int? confirmations = null, CancellationToken ct = default)
        where TEvent : Nethereum.ABI.FunctionEncoding.Attributes.IEventDTO, new()
        => Connection.GetEventsAsync<TEvent>(Ledger, fromBlock, confirmations, ct);

    /// <summary>
    /// The EpochPosted event of an epoch's round, looked up by its indexed epoch number, or null when it is not on the
    /// chain: how a poster that found its post already there (its answer lost to a crash or an outage) learns the transaction.
    /// </summary>
    public async Task<ChainEvent<EpochPostedEvent>?> FindEpochPostedAsync(ulong epoch, byte round, CancellationToken ct = default)
    {
        var handler = Connection.Web3.Eth.GetEvent<EpochPostedEvent>(Ledger);
        var filter = handler.CreateFilterInput(epoch, Nethereum.RPC.Eth.DTOs.BlockParameter.CreateEarliest(), Nethereum.RPC.Eth.DTOs.BlockParameter.CreateLatest());
        var logs = await Connection.ReadAsync(() => handler.GetAllChangesAsync(filter), ct);
        return logs
            .Where(l => l.Event.Epoch == epoch && l.Event.Round == round)
            .Select(l => new ChainEvent<EpochPostedEvent>(l.Event, (ulong)l.Log.BlockNumber.Value, l.Log.TransactionHash, (ulong)l.Log.LogIndex.Value))
            .FirstOrDefault();
    }

    /// <summary>Key-registry events (KeyAnchored, KeyRevoked, IssuedAnchored).</summary>
    public Task<EventPage<TEvent>> GetRegistryEventsAsync<TEvent>(ulong fromBlock, int? confirmations = null, CancellationToken ct = default)
        where TEvent : Nethereum.ABI.FunctionEncoding.Attributes.IEventDTO, new()
        => Connection.GetEventsAsync<TEvent>(KeyRegistry, fromBlock, confirmations, ct);

    public Task<ulong> LatestBlockTimeAsync(CancellationToken ct = default) => Connection.LatestBlockTimeAsync(ct);

    private static bool SameAsPosted(EpochRecord onChain, EpochPost post)
        => onChain.Root.AsSpan().SequenceEqual(post.Root) && onChain.OperatorTotal == post.OperatorTotal && onChain.Unclaimed <= post.Total;
}

/// <summary>The chain already holds a different live post of this epoch: never overwritten, never re-sent.</summary>
public sealed class EpochConflictException : Exception
{
    public EpochConflictException()
    {
    }

    public EpochConflictException(ulong epoch)
        : base($"epoch {epoch} is already posted on the chain with a different root or totals")
    {
        Epoch = epoch;
    }

    public EpochConflictException(string message)
        : base(message)
    {
    }

    public EpochConflictException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public ulong Epoch { get; }
}
