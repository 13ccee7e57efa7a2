using Microsoft.EntityFrameworkCore;
using SimpleXLedger.Chain.Devnet;
using SimpleXLedger.Clearing.Client;
using SimpleXLedger.Clearing.Redemption;
using SimpleXLedger.Clearing.Storage;
using SimpleXLedger.Clearing.Tests.Support;
using SimpleXLedger.Relay.Metering.Tokens;
using SimpleXLedger.Testing;

namespace SimpleXLedger.Clearing.Tests.Process;

/// <summary>The real <c>sxl clearing serve</c> process, SIGKILLed between recording a batch and replying to it, on either database.</summary>
[Collection(PostgresCollection.Name)]
public sealed class CrashTests(PostgresFixture postgres)
{
    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task A_clearing_house_killed_after_recording_a_batch_loses_nothing_and_the_relays_retry_counts_it_once(string db)
    {
        var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var connection = db == "postgres" ? await postgres.Server.CreateDatabaseAsync("crash") : null;
        await using var clearing = ClearingProcess.Create(
            [TestTokens.Registered(TestTokens.KeyA, now - 60, now + 3600)],
            connection is null ? null : ["--db", "postgres", "--connection", connection]);
        var address = await clearing.StartAsync(crashAt: RedeemBatchHandler.CrashAfterRecord);

        // The operator registers with the real CLI.
        var operatorKeyFile = Path.Combine(clearing.Directory, "operator.key");
        var payeeKeyFile = ClearingProcess.WriteKeyFile(Path.Combine(clearing.Directory, "payee.key"), DevAccounts.OperatorA);
        await using (var register = ChildProcess.Start("dotnet", [RepositoryPaths.SxlDll, "operator", "register", "--clearing", address.ToString(), "--operator-key", operatorKeyFile, "--payee", DevAccounts.OperatorA.Address, "--key", payeeKeyFile]))
        {
            Assert.Equal(0, await register.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        }

        using var operatorKey = OperatorKey.Load(operatorKeyFile);
        var receipts = Path.Combine(clearing.Directory, ReceiptLog.DefaultFileName);
        var tokens = TokenPool.ASlice(100, 10).Select(t => (ReadOnlyMemory<byte>)t).ToArray();
        await using var redeemer = new ClearingTokenRedeemer(
            new ClearingRedeemerOptions { Address = address, RetryFor = TimeSpan.FromSeconds(90), ReceiptLogPath = receipts },
            operatorKey,
            new byte[16]);

        var redeeming = redeemer.RedeemAsync(tokens, CancellationToken.None).AsTask();

        // The batch is committed, then the process dies before it replies.
        Assert.Equal(137, await clearing.Process!.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.False(redeeming.IsCompleted);
        await clearing.Process.DisposeAsync();
        await clearing.StartAsync();

        // The redeemer's retry (same batch id) is answered from the stored batch.
        var outcomes = await redeeming.WaitAsync(TimeSpan.FromSeconds(90));
        Assert.All(outcomes, o => Assert.Equal(RedemptionOutcome.Accepted, o));
        var receipt = Assert.Single(ReceiptLog.ReadAll(receipts));
        Assert.Equal((10UL, 10), (receipt.AcceptedInEpoch, receipt.Accepted));

        // The next batch counts on from 10, not 20; the database holds one batch and ten nonces.
        Assert.All(await redeemer.RedeemAsync([TokenPool.ASlice(110, 1)[0]], CancellationToken.None), o => Assert.Equal(RedemptionOutcome.Accepted, o));
        Assert.Equal(11UL, ReceiptLog.ReadAll(receipts)[^1].AcceptedInEpoch);
        await clearing.Process!.KillAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var database = connection is null ? ClearingDatabase.Sqlite(Path.Combine(clearing.DataDirectory, ClearingDatabase.SqliteFileName)) : ClearingDatabase.Postgres(connection);
        await using var context = database.CreateContext();
        Assert.Equal(2, await context.Batches.CountAsync());
        Assert.Equal(11, await context.SpentTokens.CountAsync());
        Assert.Equal(11, await context.PayeeEpochs.SumAsync(p => p.Accepted));
        Assert.Equal(11, await context.TokenKeys.SumAsync(k => k.Accepted));
    }

    [Fact]
    public async Task Serve_refuses_a_command_line_without_a_key_source()
    {
        await using var serve = ChildProcess.Start("dotnet", [RepositoryPaths.SxlDll, "clearing", "serve", "--data", Path.GetTempPath(), "--ledger", ClearingHarness.Ledger, "--key", "/nonexistent"]);
        Assert.Equal(2, await serve.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("--rpc", serve.AllOutput, StringComparison.Ordinal);
    }
}
