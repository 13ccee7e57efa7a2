using System.Numerics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Contracts;
using Nethereum.Hex.HexConvertors.Extensions;
using Nethereum.Hex.HexTypes;
using Nethereum.JsonRpc.Client;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.RPC.NonceServices;
using Nethereum.Signer;
using Nethereum.Util;
using Nethereum.Web3;
using Nethereum.Web3.Accounts;
using SimpleXLedger.Chain.Contracts;

namespace SimpleXLedger.Chain.Services;

/// <summary>How long and how often chain calls are retried after transient failures (network, timeouts).</summary>
public sealed record ChainRetryPolicy(int Attempts, TimeSpan FirstDelay, TimeSpan ReceiptTimeout, TimeSpan PollInterval)
{
    public static ChainRetryPolicy Default { get; } = new(5, TimeSpan.FromMilliseconds(200), TimeSpan.FromMinutes(3), TimeSpan.FromMilliseconds(100));
}

/// <summary>A mined transaction: hash, block, gas used.</summary>
public sealed record ChainTransaction(string Hash, ulong BlockNumber, ulong GasUsed, TransactionReceipt Receipt);

/// <summary>
/// One RPC endpoint and (optionally) one sending account. Reads are retried on transient failures;
/// sends are serialised per account with locally tracked nonces, signed once and re-sent unchanged
/// on transient failures (so a retry can never become a second transaction), then awaited by hash.
/// Refusals come out as <see cref="LedgerRevertException"/> with the contract's own error.
/// </summary>
public sealed class ChainConnection : IDisposable
{
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly InMemoryNonceService? _nonces;
    private readonly ILogger _logger;
    private long _reorgs;

    private ChainConnection(string rpcUrl, Web3 web3, BigInteger chainId, Account? account, ChainRetryPolicy retry, ILogger logger)
    {
        RpcUrl = rpcUrl;
        Web3 = web3;
        ChainId = chainId;
        Account = account;
        Retry = retry;
        _logger = logger;
        if (account is not null)
        {
            _nonces = new InMemoryNonceService(account.Address, web3.Client);
            account.NonceService = _nonces;
        }
    }

    public string RpcUrl { get; }

    public Web3 Web3 { get; }

    public BigInteger ChainId { get; }

    /// <summary>The sending account, or null for a read-only connection.</summary>
    public Account? Account { get; }

    public string Address => Account?.Address ?? throw new InvalidOperationException("this connection has no sending key");

    public ChainRetryPolicy Retry { get; }

    /// <summary>Connects to an RPC endpoint; with a key, transactions are signed locally by it.</summary>
    public static async Task<ChainConnection> ConnectAsync(string rpcUrl, EthECKey? key = null, ChainRetryPolicy? retry = null, ILogger? logger = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(rpcUrl);
        retry ??= ChainRetryPolicy.Default;
        logger ??= NullLogger.Instance;
        var probe = new Web3(rpcUrl);
        var chainId = (await RetryAsync(() => probe.Eth.ChainId.SendRequestAsync(), retry, logger, ct)).Value;
        if (key is null)
        {
            return new ChainConnection(rpcUrl, probe, chainId, null, retry, logger);
        }

        var account = new Account(key, chainId);
        var web3 = new Web3(account, rpcUrl);
        web3.TransactionManager.UseLegacyAsDefault = false;
        return new ChainConnection(rpcUrl, web3, chainId, account, retry, logger);
    }

    /// <summary>
    /// How many blocks (the event's own included) an event needs before the readers of this connection count it: the
    /// one confirmation depth every chain-reading service shares (<c>--confirmations</c>), 1 by default (the latest block).
    /// </summary>
    public int Confirmations { get; private set; } = 1;

    /// <summary>Chain reorganisations deeper than <see cref="Confirmations"/> that readers of this connection detected.</summary>
    public long ReorgsDetected => Interlocked.Read(ref _reorgs);

    /// <summary>Raised with the block number whose hash a reader saw and which is no longer canonical.</summary>
    public event Action<ulong>? ReorgDetected;

    /// <summary>Sets the confirmation depth (at least 1) every event reader of this connection uses.</summary>
    public ChainConnection WithConfirmations(int confirmations)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(confirmations, 1);
        Confirmations = confirmations;
        return this;
    }

    /// <summary>The hash of the canonical block <paramref name="number"/>, or null when there is none (yet).</summary>
    public async Task<string?> BlockHashAsync(ulong number, CancellationToken ct = default)
    {
        var block = await ReadAsync(() => Web3.Eth.Blocks.GetBlockWithTransactionsHashesByNumber.SendRequestAsync(new BlockParameter(number)), ct);
        return block?.BlockHash;
    }

    internal void ReportReorg(ulong block)
    {
        Interlocked.Increment(ref _reorgs);
        _logger.LogWarning("chain reorganisation deeper than {Confirmations} confirmations: block {Block} is no longer the one read; reading again", Confirmations, block);
        ReorgDetected?.Invoke(block);
    }

    /// <summary>Reports every failed JSON-RPC call of this connection to <paramref name="observer"/> (one observer at a time).</summary>
    public ChainConnection Observe(ChainRpcObserver observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        Web3.Client.OverridingRequestInterceptor = observer;
        return this;
    }

    /// <summary>A second connection to the same endpoint sending with another key.</summary>
    public Task<ChainConnection> WithKeyAsync(EthECKey key, CancellationToken ct = default)
        => ConnectAsync(RpcUrl, key, Retry, _logger, ct);

    public Task<T> ReadAsync<T>(Func<Task<T>> read, CancellationToken ct = default) => RetryAsync(read, Retry, _logger, ct);

    /// <summary>Calls a view; a revert comes out as <see cref="LedgerRevertException"/>.</summary>
    public Task<TOut> QueryAsync<TFunction, TOut>(string contract, TFunction message, CancellationToken ct = default)
        where TFunction : FunctionMessage, new()
        => ReadAsync(async () =>
        {
            try
            {
                return await Web3.Eth.GetContractQueryHandler<TFunction>().QueryAsync<TOut>(contract, message);
            }
            catch (Exception e) when (LedgerErrors.Translate(e) is { } refused)
            {
                throw refused;
            }
        }, ct);

    public Task<TOut> QueryDtoAsync<TFunction, TOut>(string contract, TFunction message, CancellationToken ct = default)
        where TFunction : FunctionMessage, new()
        where TOut : IFunctionOutputDTO, new()
        => ReadAsync(async () =>
        {
            try
            {
                return await Web3.Eth.GetContractQueryHandler<TFunction>().QueryDeserializingToObjectAsync<TOut>(message, contract);
            }
            catch (Exception e) when (LedgerErrors.Translate(e) is { } refused)
            {
                throw refused;
            }
        }, ct);

    /// <summary>Sends a contract call and waits until it is mined; throws the contract's error if it reverts.</summary>
    public async Task<ChainTransaction> SendAsync<TFunction>(string contract, TFunction message, CancellationToken ct = default)
        where TFunction : FunctionMessage, new()
    {
        ArgumentNullException.ThrowIfNull(message);
        var handler = Web3.Eth.GetContractTransactionHandler<TFunction>();
        return await SendSignedAsync(
            async () =>
            {
                message.Gas ??= WithHeadroom(await EstimateAsync(() => handler.EstimateGasAsync(contract, message), ct));
                return await handler.SignTransactionAsync(contract, message);
            },
            () => message.Gas = null,
            receipt => ReplayRevertAsync(contract, message.CreateTransactionInput(contract), receipt),
            ct);
    }

    /// <summary>Deploys a contract and waits for it; returns its address.</summary>
    public async Task<(string Address, ChainTransaction Transaction)> DeployAsync<TDeployment>(TDeployment deployment, CancellationToken ct = default)
        where TDeployment : ContractDeploymentMessage, new()
    {
        ArgumentNullException.ThrowIfNull(deployment);
        var handler = Web3.Eth.GetContractDeploymentHandler<TDeployment>();
        var tx = await SendSignedAsync(
            async () =>
            {
                deployment.Gas ??= WithHeadroom(await EstimateAsync(() => handler.EstimateGasAsync(deployment), ct));
                return await handler.SignTransactionAsync(deployment);
            },
            () => deployment.Gas = null,
            _ => Task.FromResult<Exception?>(null),
            ct);
        return (tx.Receipt.ContractAddress, tx);
    }

    public async Task<ulong> BlockNumberAsync(CancellationToken ct = default)
        => (ulong)(await ReadAsync(() => Web3.Eth.Blocks.GetBlockNumber.SendRequestAsync(), ct)).Value;

    /// <summary>The latest block's timestamp: the clock every window on the chain is measured by.</summary>
    public async Task<ulong> LatestBlockTimeAsync(CancellationToken ct = default)
    {
        var block = await ReadAsync(() => Web3.Eth.Blocks.GetBlockWithTransactionsHashesByNumber.SendRequestAsync(BlockParameter.CreateLatest()), ct);
        return (ulong)block.Timestamp.Value;
    }

    /// <summary>Waits until <paramref name="confirmations"/> blocks (the transaction's own included) are on the chain.</summary>
    public async Task WaitForConfirmationsAsync(ChainTransaction tx, int confirmations, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(tx);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(Retry.ReceiptTimeout);
        while (await BlockNumberAsync(timeout.Token) + 1 < tx.BlockNumber + (ulong)Math.Max(confirmations, 1))
        {
            await Task.Delay(Retry.PollInterval, timeout.Token);
        }
    }

    /// <summary>
    /// Waits until no transaction of this account is pending (one sent by an earlier run that crashed
    /// before its receipt, say), so that what the chain says afterwards is final for this account.
    /// </summary>
    public async Task WaitForOwnPendingAsync(CancellationToken ct = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(Retry.ReceiptTimeout);
        var transactions = Web3.Eth.Transactions.GetTransactionCount;
        while (true)
        {
            var pending = await ReadAsync(() => transactions.SendRequestAsync(Address, BlockParameter.CreatePending()), timeout.Token);
            var mined = await ReadAsync(() => transactions.SendRequestAsync(Address, BlockParameter.CreateLatest()), timeout.Token);
            if (pending.Value <= mined.Value)
            {
                return;
            }

            try
            {
                await Task.Delay(Retry.PollInterval, timeout.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException($"transactions of {Address} still pending after {Retry.ReceiptTimeout}");
            }
        }
    }

    /// <summary>Decoded events of one type from a contract, from a block up to the newest block with enough confirmations (default: <see cref="Confirmations"/>).</summary>
    public async Task<EventPage<TEvent>> GetEventsAsync<TEvent>(string contract, ulong fromBlock, int? confirmations = null, CancellationToken ct = default)
        where TEvent : IEventDTO, new()
    {
        var latest = await BlockNumberAsync(ct);
        var depth = (ulong)Math.Max(confirmations ?? Confirmations, 1) - 1;
        if (latest < depth || latest - depth < fromBlock)
        {
            return new EventPage<TEvent>([], fromBlock == 0 ? 0 : fromBlock - 1);
        }

        var toBlock = latest - depth;
        var handler = Web3.Eth.GetEvent<TEvent>(contract);
        var filter = handler.CreateFilterInput(new BlockParameter(fromBlock), new BlockParameter(toBlock));
        var logs = await ReadAsync(() => handler.GetAllChangesAsync(filter), ct);
        var events = logs
            .Select(l => new ChainEvent<TEvent>(l.Event, (ulong)l.Log.BlockNumber.Value, l.Log.TransactionHash, (ulong)l.Log.LogIndex.Value))
            .OrderBy(e => e.BlockNumber).ThenBy(e => e.LogIndex)
            .ToList();
        return new EventPage<TEvent>(events, toBlock);
    }

    /// <summary>Raw JSON-RPC, for node-specific methods (Anvil's evm_* in tests).</summary>
    public Task<T> RpcAsync<T>(string method, params object[] parameters)
        => Web3.Client.SendRequestAsync<T>(new RpcRequest(Guid.NewGuid().ToString("N"), method, parameters));

    public void Dispose() => _sendLock.Dispose();

    private async Task<ChainTransaction> SendSignedAsync(Func<Task<string>> sign, Action clearGas, Func<TransactionReceipt, Task<Exception?>> explainRevert, CancellationToken ct)
    {
        if (Account is null)
        {
            throw new InvalidOperationException("this connection has no sending key");
        }

        await _sendLock.WaitAsync(ct);
        try
        {
            string signed;
            try
            {
                signed = await sign();
            }
            catch
            {
                clearGas();
                throw;
            }

            var hash = TransactionUtils.CalculateTransactionHash(signed).EnsureHexPrefix();
            try
            {
                await RetryAsync(
                    async () =>
                    {
                        try
                        {
                            return await Web3.Eth.Transactions.SendRawTransaction.SendRequestAsync(signed);
                        }
                        catch (RpcResponseException e) when (IsAlreadyKnown(e))
                        {
                            // An earlier attempt of this very transaction reached the node.
                            return hash;
                        }
                    },
                    Retry,
                    _logger,
                    ct);
            }
            catch
            {
                // Not sent: the next transaction must reuse the nonce this one would have taken.
                await _nonces!.ResetNonceAsync();
                clearGas();
                throw;
            }

            var receipt = await WaitForReceiptAsync(hash, ct);
            var tx = new ChainTransaction(hash, (ulong)receipt.BlockNumber.Value, (ulong)receipt.GasUsed.Value, receipt);
            if (receipt.Status?.Value != 1)
            {
                var why = await explainRevert(receipt);
                throw why ?? new LedgerRevertException($"transaction {hash} reverted in block {tx.BlockNumber}");
            }

            return tx;
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private async Task<TransactionReceipt> WaitForReceiptAsync(string hash, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(Retry.ReceiptTimeout);
        while (true)
        {
            var receipt = await ReadAsync(() => Web3.Eth.Transactions.GetTransactionReceipt.SendRequestAsync(hash), timeout.Token);
            if (receipt is not null && receipt.BlockNumber is not null)
            {
                return receipt;
            }

            try
            {
                await Task.Delay(Retry.PollInterval, timeout.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException($"transaction {hash} was not mined within {Retry.ReceiptTimeout}");
            }
        }
    }

    /// <summary>Replays a reverted transaction as a call on the state before its block to learn the contract's error.</summary>
    private async Task<Exception?> ReplayRevertAsync(string contract, TransactionInput input, TransactionReceipt receipt)
    {
        input.From = Account!.Address;
        input.To = contract;
        input.Gas = null;
        input.GasPrice = null;
        input.MaxFeePerGas = null;
        input.MaxPriorityFeePerGas = null;
        try
        {
            await Web3.Eth.Transactions.Call.SendRequestAsync(input, new BlockParameter(new HexBigInteger(receipt.BlockNumber.Value - 1)));
            return null;
        }
        catch (RpcResponseException e)
        {
            return LedgerErrors.Decode(e.RpcError?.Data?.ToString()) ?? LedgerErrors.Translate(e);
        }
        catch (Exception e) when (LedgerErrors.Translate(e) is { } refused)
        {
            return refused;
        }
    }

    private static async Task<BigInteger> EstimateAsync(Func<Task<HexBigInteger>> estimate, CancellationToken ct)
    {
        try
        {
            return (await estimate()).Value;
        }
        catch (Exception e) when (LedgerErrors.Translate(e) is { } refused)
        {
            throw refused;
        }
        catch (RpcResponseException e) when (LedgerErrors.Decode(e.RpcError?.Data?.ToString()) is { } decoded)
        {
            throw decoded;
        }
        finally
        {
            ct.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Estimates are exact for the current state; a margin keeps a transaction from running out of gas if state moves.</summary>
    private static HexBigInteger WithHeadroom(BigInteger estimate) => new(estimate * 5 / 4 + 10_000);

    private static bool IsAlreadyKnown(RpcResponseException e)
    {
        var message = e.RpcError?.Message ?? e.Message;
        return message.Contains("already known", StringComparison.OrdinalIgnoreCase)
            || message.Contains("already imported", StringComparison.OrdinalIgnoreCase);
    }

    internal static async Task<T> RetryAsync<T>(Func<Task<T>> action, ChainRetryPolicy retry, ILogger logger, CancellationToken ct)
    {
        var delay = retry.FirstDelay;
        for (var attempt = 1; ; attempt++)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                return await action();
            }
            catch (Exception e) when (attempt < retry.Attempts && IsTransient(e, ct))
            {
                logger.LogWarning("chain call failed ({Error}); retry {Attempt} of {Attempts} in {Delay} ms", e.GetType().Name, attempt, retry.Attempts - 1, delay.TotalMilliseconds);
                await Task.Delay(delay, ct);
                delay *= 2;
            }
        }
    }

    private static bool IsTransient(Exception e, CancellationToken ct) => e switch
    {
        HttpRequestException => true,
        RpcClientTimeoutException => true,
        RpcClientUnknownException => true,
        TaskCanceledException => !ct.IsCancellationRequested,
        IOException => true,
        _ => false,
    };
}

/// <summary>One decoded event with where it was found.</summary>
public sealed record ChainEvent<TEvent>(TEvent Event, ulong BlockNumber, string TransactionHash, ulong LogIndex);

/// <summary>Events found up to <see cref="ScannedTo"/> (inclusive): the next read starts at ScannedTo + 1.</summary>
public sealed record EventPage<TEvent>(IReadOnlyList<ChainEvent<TEvent>> Events, ulong ScannedTo);
