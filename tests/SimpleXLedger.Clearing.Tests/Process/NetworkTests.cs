using Microsoft.EntityFrameworkCore;
using NSec.Cryptography;
using SimpleXLedger.Chain.Devnet;
using SimpleXLedger.Clearing.Client;
using SimpleXLedger.Clearing.Storage;
using SimpleXLedger.Clearing.Tests.Support;
using SimpleXLedger.Net;
using SimpleXLedger.Protos.Relay;
using SimpleXLedger.Relay.Client;
using SimpleXLedger.Testing;

namespace SimpleXLedger.Clearing.Tests.Process;

/// <summary>
/// Relays as real processes (<c>sxl relay serve --metering tokens --clearing … --operator-key …</c>) redeeming at a
/// real clearing-house process: a token pays at one relay only, and tokens a relay credited within its risk
/// budget while the clearing house was down are redeemed later from its outbox.
/// </summary>
public sealed class NetworkTests
{
    [Fact]
    public async Task A_token_paid_at_one_relay_is_refused_at_the_other_and_each_relay_keeps_its_receipts()
    {
        var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        await using var clearing = ClearingProcess.Create([TestTokens.Registered(TestTokens.KeyA, now - 60, now + 3600)]);
        var address = await clearing.StartAsync();
        var keyA = await RegisterAsync(clearing, address, "a", DevAccounts.OperatorA);
        var keyB = await RegisterAsync(clearing, address, "b", DevAccounts.OperatorB);
        await using var relayA = await RelayProcess.StartAsync(Path.Combine(clearing.Directory, "relay-a"), address.ToString(), keyA);
        await using var relayB = await RelayProcess.StartAsync(Path.Combine(clearing.Directory, "relay-b"), address.ToString(), keyB);
        var tokens = TokenPool.ASlice(140, 3);

        // The same token at both relays at once: exactly one queue gets created.
        var both = await Task.WhenAll(TryCreateQueueAsync(relayA.Address, tokens[0]), TryCreateQueueAsync(relayB.Address, tokens[0]));
        Assert.Single(both, created => created is null);
        Assert.Single(both, refused => refused == ErrorCode.PaymentRefused);

        // Fresh tokens are fine at either; the spent one stays refused everywhere.
        Assert.Null(await TryCreateQueueAsync(relayA.Address, tokens[1]));
        Assert.Null(await TryCreateQueueAsync(relayB.Address, tokens[2]));
        Assert.Equal(ErrorCode.PaymentRefused, await TryCreateQueueAsync(relayA.Address, tokens[0]));
        Assert.Equal(ErrorCode.PaymentRefused, await TryCreateQueueAsync(relayB.Address, tokens[0]));

        var receiptsA = ReceiptLog.ReadAll(relayA.ReceiptLogPath);
        var receiptsB = ReceiptLog.ReadAll(relayB.ReceiptLogPath);
        Assert.Equal(3, receiptsA.Sum(r => r.Accepted) + receiptsB.Sum(r => r.Accepted));
        Assert.All(receiptsA, r => Assert.Equal(DevAccounts.OperatorA.Address, r.Payee));
        Assert.All(receiptsB, r => Assert.Equal(DevAccounts.OperatorB.Address, r.Payee));
        Assert.Equal((ulong)receiptsA.Sum(r => r.Accepted), receiptsA.Max(r => r.AcceptedInEpoch));
        Assert.Equal((ulong)receiptsB.Sum(r => r.Accepted), receiptsB.Max(r => r.AcceptedInEpoch));
    }

    [Fact]
    public async Task Tokens_credited_within_the_risk_budget_while_the_clearing_house_was_down_are_redeemed_later_from_the_outbox()
    {
        var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        await using var clearing = ClearingProcess.Create([TestTokens.Registered(TestTokens.KeyA, now - 60, now + 3600)]);
        var address = await clearing.StartAsync();
        var key = await RegisterAsync(clearing, address, "a", DevAccounts.OperatorA);
        await clearing.Process!.KillAsync();

        await using var relay = await RelayProcess.StartAsync(Path.Combine(clearing.Directory, "relay"), address.ToString(), key, "riskBudget=2", "outboxRetrySeconds=1");
        var tokens = TokenPool.ASlice(150, 3);

        // Down: two queues are paid on the operator's risk, the third is beyond the budget.
        var paid = await Task.WhenAll(tokens.Take(2).Select(t => TryCreateQueueAsync(relay.Address, t)));
        Assert.All(paid, p => Assert.Null(p));
        Assert.Equal(ErrorCode.Unavailable, await TryCreateQueueAsync(relay.Address, tokens[2]));
        Assert.False(File.Exists(relay.ReceiptLogPath));

        // Up again (same port, data and certificate): the outbox is redeemed with retries, receipts kept.
        await clearing.Process.DisposeAsync();
        await clearing.StartAsync();
        var receipts = await WaitForAsync(() => ReceiptLog.ReadAll(relay.ReceiptLogPath) is { Count: > 0 } r && r.Sum(x => x.Accepted) == 2 ? r : null, TimeSpan.FromSeconds(60));
        Assert.Equal(2UL, receipts.Max(r => r.AcceptedInEpoch));

        // The clearing house holds both nonces: the same tokens are now refused at any relay, the budget is free again.
        Assert.Equal(ErrorCode.PaymentRefused, await TryCreateQueueAsync(relay.Address, tokens[0]));
        Assert.Null(await TryCreateQueueAsync(relay.Address, tokens[2]));
        await clearing.Process!.KillAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        await using var db = ClearingDatabase.Sqlite(Path.Combine(clearing.DataDirectory, ClearingDatabase.SqliteFileName)).CreateContext();
        Assert.Equal(3, await db.SpentTokens.CountAsync());
        Assert.Equal(3, await db.PayeeEpochs.SumAsync(p => p.Accepted));
    }

    private static async Task<string> RegisterAsync(ClearingProcess clearing, PinnedAddress address, string name, DevAccount payee)
    {
        var operatorKey = Path.Combine(clearing.Directory, $"operator-{name}.key");
        var payeeKey = ClearingProcess.WriteKeyFile(Path.Combine(clearing.Directory, $"payee-{name}.key"), payee);
        await using var register = ChildProcess.Start("dotnet", [RepositoryPaths.SxlDll, "operator", "register", "--clearing", address.ToString(), "--operator-key", operatorKey, "--payee", payee.Address, "--key", payeeKey]);
        Assert.Equal(0, await register.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        return operatorKey;
    }

    /// <summary>Creates a queue paid with the token; null when created, else the relay's error code.</summary>
    private static async Task<ErrorCode?> TryCreateQueueAsync(PinnedAddress relay, byte[] token)
    {
        await using var client = await RelayClient.ConnectAsync(relay);
        using var recipient = Key.Create(SignatureAlgorithm.Ed25519);
        try
        {
            await client.CreateQueueAsync(recipient, paymentToken: token);
            return null;
        }
        catch (RelayException e)
        {
            return e.Code;
        }
    }

    private static async Task<T> WaitForAsync<T>(Func<T?> condition, TimeSpan timeout)
        where T : class
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            if (condition() is { } value)
            {
                return value;
            }

            // A bounded poll of a file another process appends to.
            await Task.Delay(100, deadline.Token);
        }
    }
}
