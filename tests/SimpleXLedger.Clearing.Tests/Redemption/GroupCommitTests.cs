using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using SimpleXLedger.Chain.Devnet;
using SimpleXLedger.Clearing.Client;
using SimpleXLedger.Clearing.Redemption;
using SimpleXLedger.Clearing.Storage;
using SimpleXLedger.Clearing.Tests.Support;
using SimpleXLedger.Hosting.Pipeline;

namespace SimpleXLedger.Clearing.Tests.Redemption;

/// <summary>
/// SQLite's group commit: batches that wait for the writer are recorded in one transaction, each as if alone (its
/// own outcomes, its own place in the payee's running count, the first redemption of a token winning), and a batch
/// that fails is undone by itself while the rest of its group is committed.
/// </summary>
public sealed class GroupCommitTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sxl-clearing-group-").FullName;

    [Fact]
    public async Task Batches_waiting_for_the_writer_are_committed_as_one_group_each_with_its_own_outcomes_and_a_failing_one_is_undone_alone()
    {
        await using var h = await ClearingHarness.CreateAsync(ClearingDatabase.Sqlite(Path.Combine(_directory, "clearing.db")));
        using var a = await h.RegisterOperatorAsync(DevAccounts.OperatorA);
        using var b = await h.RegisterOperatorAsync(DevAccounts.OperatorB);
        var groupCommit = h.Services.GetRequiredService<SqliteGroupCommit>();

        // A first batch opens the epoch (which needs the writer) and is committed on its own.
        Assert.Equal(2, (await h.RedeemAsync(a, TokenPool.ASlice(200, 2))).Accepted);
        var groupsBefore = groupCommit.GroupsCommitted;

        // While the writer is busy, four batches arrive: two of operator A's relay, one of A's other relay repeating a
        // token of the first, one of B's with a token of the second, and a record that cannot be written (its operator
        // does not exist).
        var a2 = a.WithRedeemer(RandomNumberGenerator.GetBytes(ClearingProtocol.RedeemerIdLength));
        var tokens = TokenPool.ASlice(210, 30);
        var failing = new RecordBatch(RandomNumberGenerator.GetBytes(ClearingProtocol.BatchIdLength), 987_654, DevAccounts.OperatorA.Address, a.RedeemerId, new byte[32], [TokenOutcomeCode.Malformed], [], h.Clock.UnixSeconds);
        Task<RedeemBatchOutcome>[] redemptions;
        Task<BatchRecord> failed;
        using (await h.Services.GetRequiredService<WriteGate>().EnterAsync(CancellationToken.None))
        {
            redemptions =
            [
                Task.Run(() => h.RedeemAsync(a, tokens[0..10])),
                Task.Run(() => h.RedeemAsync(a, tokens[10..20])),
                Task.Run(() => h.RedeemAsync(a2, [.. tokens[20..25], tokens[0]])),
                Task.Run(() => h.RedeemAsync(b, [tokens[15], .. tokens[25..30]])),
            ];
            failed = Task.Run(() => groupCommit.RecordAsync(failing, CancellationToken.None));
            await WaitUntilAsync(() => groupCommit.Waiting == 5);
        }

        var outcomes = await Task.WhenAll(redemptions);
        await Assert.ThrowsAsync<SqliteException>(() => failed);
        Assert.Equal(groupsBefore + 1, groupCommit.GroupsCommitted);

        Assert.All(outcomes, o => Assert.Equal(RedeemStatus.Recorded, o.Status));

        // Within the group the batches are recorded one after another: the repeated token is spent by whichever came
        // first, and B's copy of A's token likewise; every token is accepted exactly once.
        var accepted = new Dictionary<byte[], int>(ByteArrayComparer.Instance);
        var inputs = new[] { tokens[0..10], tokens[10..20], [.. tokens[20..25], tokens[0]], [tokens[15], .. tokens[25..30]] };
        for (var i = 0; i < outcomes.Length; i++)
        {
            for (var j = 0; j < inputs[i].Length; j++)
            {
                Assert.Contains(outcomes[i].Outcomes[j], new[] { TokenOutcomeCode.Accepted, TokenOutcomeCode.Spent });
                if (outcomes[i].Outcomes[j] == TokenOutcomeCode.Accepted)
                {
                    accepted[inputs[i][j]] = accepted.GetValueOrDefault(inputs[i][j]) + 1;
                }
            }
        }

        Assert.Equal(30, accepted.Count);
        Assert.All(accepted.Values, n => Assert.Equal(1, n));
        Assert.Equal(30, outcomes.Sum(o => o.Accepted));

        // Each payee's receipts count on from the one before, as if the batches had been committed one by one.
        var ofA = outcomes[..3].Select(o => o.Receipt!.Receipt.AcceptedInEpoch).Order().ToArray();
        var acceptedOfA = outcomes[..3].Sum(o => o.Accepted);
        Assert.Equal((ulong)(2 + acceptedOfA), ofA[^1]);
        Assert.Equal((ulong)outcomes[3].Accepted, outcomes[3].Receipt!.Receipt.AcceptedInEpoch);
        Assert.Equal(2 + 30, await h.SpentRowsAsync());
        Assert.Equal(2 + acceptedOfA, await h.PayeeAcceptedAsync(a.Payee, 1));
        Assert.Equal(outcomes[3].Accepted, await h.PayeeAcceptedAsync(b.Payee, 1));

        // The failing record left nothing behind; the five batches recorded are the first and the group's four.
        Assert.Equal(5, await h.BatchesAsync());
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!condition())
        {
            await Task.Delay(10, deadline.Token);
        }
    }

    private sealed class ByteArrayComparer : IEqualityComparer<byte[]>
    {
        public static readonly ByteArrayComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj) => BitConverter.ToInt32(obj, 2);
    }
}
