using System.Collections.Concurrent;
using SimpleXLedger.Relay.Metering.Tokens;
using SimpleXLedger.Tokens;

namespace SimpleXLedger.Relay.Tests.Support;

/// <summary>One issuer key for the whole test class (RSA-2048 keygen is slow) and a token mint.</summary>
public sealed class TokenFixture : IDisposable
{
    public const string IssuerName = "issuer.sxl.test";

    public TokenPrivateKey IssuerKey { get; } = TokenPrivateKey.Generate();

    public TokenChallenge Challenge { get; } = TokenChallenge.ForNetwork(IssuerName);

    /// <summary>A fresh token for the network challenge (blind issuance, as a wallet and issuer would).</summary>
    public byte[] Mint(TokenPrivateKey? key = null, TokenChallenge? challenge = null)
    {
        key ??= IssuerKey;
        using var state = TokenClient.CreateRequest(key.PublicKey, challenge ?? Challenge);
        var response = TokenIssuer.Issue(key, state.Request);
        return TokenClient.Finalize(state, response).ToArray();
    }

    public Dictionary<string, string> Settings(string? tokenKeys = null, long riskBudget = 0) => new()
    {
        ["issuerName"] = IssuerName,
        ["tokenKeys"] = tokenKeys ?? IssuerKey.PublicKey.ToBase64Url(),
        ["creditsPerQueue"] = "0",
        ["messagesPerCredit"] = "2",
        ["riskBudget"] = riskBudget.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["outboxRetrySeconds"] = "1",
    };

    public void Dispose() => IssuerKey.Dispose();
}

/// <summary>
/// A redeemer standing in for the clearing house (which arrives with its own issue): first redemption wins. While
/// <see cref="Later"/> is set it answers every token "retry later" (not yet anchored by the issuer), recording nothing.
/// </summary>
public sealed class TestRedeemer : ITokenRedeemer
{
    private readonly ConcurrentDictionary<string, byte> _spent = new();
    private readonly ConcurrentQueue<byte[]> _accepted = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _laterAnswers;

    public volatile bool Unavailable;

    public volatile bool Later;

    public IReadOnlyCollection<byte[]> Accepted => _accepted;

    /// <summary>Tokens answered "retry later" so far.</summary>
    public int LaterAnswers => Volatile.Read(ref _laterAnswers);

    public ValueTask<IReadOnlyList<RedemptionOutcome>> RedeemAsync(IReadOnlyList<ReadOnlyMemory<byte>> tokens, CancellationToken cancellationToken)
    {
        if (Unavailable)
        {
            throw new RedeemerUnavailableException("down for the test");
        }

        var outcomes = new List<RedemptionOutcome>();
        if (Later)
        {
            outcomes.AddRange(tokens.Select(_ => RedemptionOutcome.RetryLater));
            Interlocked.Add(ref _laterAnswers, tokens.Count);
        }
        else
        {
            foreach (var t in tokens)
            {
                if (_spent.TryAdd(Convert.ToHexString(t.Span), 0))
                {
                    _accepted.Enqueue(t.ToArray());
                    outcomes.Add(RedemptionOutcome.Accepted);
                }
                else
                {
                    outcomes.Add(RedemptionOutcome.AlreadySpent);
                }
            }
        }

        Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        return ValueTask.FromResult<IReadOnlyList<RedemptionOutcome>>(outcomes);
    }

    /// <summary>Marks a token as spent elsewhere (another relay redeemed it first).</summary>
    public void SpendElsewhere(byte[] token) => _spent.TryAdd(Convert.ToHexString(token), 0);

    public Task WaitForAcceptedAsync(int count, TimeSpan timeout) => WaitForAsync(() => _accepted.Count >= count, timeout);

    public Task WaitForLaterAnswersAsync(int count, TimeSpan timeout) => WaitForAsync(() => LaterAnswers >= count, timeout);

    private async Task WaitForAsync(Func<bool> condition, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            // Taken before the check, so a call between the check and the wait still wakes it.
            var changed = Volatile.Read(ref _changed);
            if (condition())
            {
                return;
            }

            await changed.Task.WaitAsync(cts.Token);
        }
    }
}
