using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using SimpleXLedger.Net;
using SimpleXLedger.Net.Crash;
using SimpleXLedger.Protos.Relay;
using SimpleXLedger.Relay.Client;
using SimpleXLedger.Relay.Tests.Support;
using SimpleXLedger.Testing;

namespace SimpleXLedger.Relay.Tests;

/// <summary>
/// The real relay process (sxl relay serve, token metering) killed with SIGKILL under load, at labelled
/// points and at a random time, then restarted on the same data: no acknowledged message and no
/// credit is lost, and every stored message was paid for exactly once.
/// </summary>
public sealed class CrashTests(TokenFixture tokens) : IClassFixture<TokenFixture>
{
    private const long Price = 1_000; // microcredits per message (messagesPerCredit = 1000)

    private IEnumerable<string> ServeArguments(string data, int port)
    {
        string[] args =
        [
            RepositoryPaths.SxlDll, "relay", "serve", "--data", data, "--listen", $"127.0.0.1:{port}", "--metering", "tokens",
            "--metering-setting", $"issuerName={TokenFixture.IssuerName}",
            "--metering-setting", $"tokenKeys={tokens.IssuerKey.PublicKey.ToBase64Url()}",
            "--metering-setting", "creditsPerQueue=0",
            "--metering-setting", "messagesPerCredit=1000",
        ];
        return args;
    }

    private async Task<(ChildProcess Process, PinnedAddress Address)> StartRelayAsync(string data, int port, string? crashAt = null)
    {
        var env = new Dictionary<string, string?> { [CrashPoint.EnvironmentVariable] = crashAt };
        var process = ChildProcess.Start("dotnet", ServeArguments(data, port), env);
        var line = await process.WaitForLineAsync(l => l.StartsWith("sxl://", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        return (process, PinnedAddress.Parse(line));
    }

    [Theory]
    [InlineData("relay.send.after-commit@40")]
    [InlineData("relay.store.before-commit@60")]
    [InlineData("relay.store.after-commit@90")]
    [InlineData("random")]
    public async Task A_relay_killed_under_load_loses_no_acknowledged_message_and_no_credit(string crashAt)
    {
        using var dir = new TempDirectory();
        var port = FreePort.Next();
        using var recipientKey = RelayProtocol.NewKey();
        using var senderKey = RelayProtocol.NewKey();
        var (relay, address) = await StartRelayAsync(dir.Path, port, crashAt == "random" ? null : crashAt);
        // (Setup takes 24 commits: crash points counting commits are armed beyond them.)
        // Eight senders, each to a queue of its own (so no queue reaches its quota), send until the relay dies.
        const int Senders = 8;
        var queues = new List<(byte[] Rid, byte[] Sid)>();
        var acked = new ConcurrentDictionary<string, byte>();
        await using (relay)
        {
            await using var client = await RelayClient.ConnectAsync(address);
            for (var s = 0; s < Senders; s++)
            {
                var q = await client.CreateQueueAsync(recipientKey);
                await client.SecureAsync(q.RecipientId.Memory, recipientKey, senderKey.PublicKey);
                await client.TopUpAsync(q.RecipientId.Memory, recipientKey, tokens.Mint());
                queues.Add((q.RecipientId.ToByteArray(), q.SenderId.ToByteArray()));
            }

            // The random kill comes from outside (SIGKILL) once a random number of sends were acknowledged:
            // a random moment of the load, whatever the machine's speed.
            var killAfter = RandomNumberGenerator.GetInt32(20, 600);
            var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var senders = Enumerable.Range(0, Senders).Select(s => Task.Run(async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested && i < 100; i++)
                {
                    var body = $"s{s}-m{i}";
                    try
                    {
                        await client.SendAsync(queues[s].Sid, senderKey, Encoding.UTF8.GetBytes(body), cancellationToken: stop.Token);
                        acked[body] = 0;
                        if (acked.Count >= killAfter)
                        {
                            reached.TrySetResult();
                        }
                    }
                    catch (Exception e) when (e is RelayException or OperationCanceledException or Grpc.Core.RpcException)
                    {
                        return;
                    }
                }
            })).ToList();

            if (crashAt == "random")
            {
                await reached.Task.WaitAsync(TimeSpan.FromSeconds(60));
                await relay.KillAsync();
            }

            await Task.WhenAll(senders);
            await relay.WaitForExitAsync(TimeSpan.FromSeconds(30));
            Assert.True(acked.Count < Senders * 100, "the relay must have died before the load ended");
        }

        var (restarted, sameAddress) = await StartRelayAsync(dir.Path, port);
        await using (restarted)
        {
            Assert.Equal(address.ToString(), sameAddress.ToString());
            await using var client = await RelayClient.ConnectAsync(sameAddress);
            var allStored = new List<string>();
            for (var s = 0; s < Senders; s++)
            {
                var (rid, sid) = queues[s];
                var info = await client.InfoAsync(rid, recipientKey);
                var stored = new List<string>();
                while (await client.GetAsync(rid, recipientKey) is { } m)
                {
                    Assert.False(m.QuotaNotice);
                    stored.Add(Encoding.UTF8.GetString(m.Body.Span));
                    await client.AckAsync(rid, recipientKey, m.MessageId.Memory);
                }

                Assert.Equal((int)info.PendingMessages, stored.Count);
                Assert.Equal(stored.Count, stored.Distinct().Count());
                Assert.All(stored, b => Assert.StartsWith($"s{s}-", b, StringComparison.Ordinal));
                // Credit: the top-up survived and each stored message was charged exactly once.
                Assert.Equal(1_000_000 - (Price * stored.Count), info.Balance.Amount);
                allStored.AddRange(stored);

                // The relay works on after the restart.
                await client.SendAsync(sid, senderKey, "after restart"u8.ToArray());
                Assert.Equal(1_000_000 - (Price * (stored.Count + 1)), (await client.InfoAsync(rid, recipientKey)).Balance.Amount);
            }

            Assert.Empty(acked.Keys.Except(allStored)); // every acknowledged send survived
            Assert.True(allStored.Count - acked.Count <= Senders, "at most one unacknowledged commit per sender");
        }
    }

    [Fact]
    public async Task A_top_up_committed_just_before_a_crash_keeps_its_credit_and_its_token_stays_spent()
    {
        using var dir = new TempDirectory();
        var port = FreePort.Next();
        using var recipientKey = RelayProtocol.NewKey();
        var token = tokens.Mint();
        var (relay, address) = await StartRelayAsync(dir.Path, port, "relay.topup.after-commit");
        byte[] rid;
        await using (relay)
        {
            await using var client = await RelayClient.ConnectAsync(address);
            rid = (await client.CreateQueueAsync(recipientKey)).RecipientId.ToByteArray();
            await Assert.ThrowsAnyAsync<Exception>(() => client.TopUpAsync(rid, recipientKey, token));
            await relay.WaitForExitAsync(TimeSpan.FromSeconds(30));
        }

        var (restarted, sameAddress) = await StartRelayAsync(dir.Path, port);
        await using (restarted)
        {
            await using var client = await RelayClient.ConnectAsync(sameAddress);
            Assert.Equal(1_000_000, (await client.InfoAsync(rid, recipientKey)).Balance.Amount);
            var retry = await Assert.ThrowsAsync<RelayException>(() => client.TopUpAsync(rid, recipientKey, token));
            Assert.Equal(ErrorCode.PaymentRefused, retry.Code);
            Assert.Equal(1_000_000, (await client.InfoAsync(rid, recipientKey)).Balance.Amount);
        }
    }
}
