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

/// <summary>A redeemer standing in for the clearing house (which arrives with its own issue): first redemption wins.</summary>
public sealed class TestRedeemer : ITokenRedeemer
{
    private readonly ConcurrentDictionary<string, byte> _spent = new();
    private readonly ConcurrentQueue<byte[]> _accepted = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public volatile bool Unavailable;

    public IReadOnlyCollection<byte[]> Accepted => _accepted;

    public ValueTask<IReadOnlyList<RedemptionOutcome>> RedeemAsync(IReadOnlyList<ReadOnlyMemory<byte>> tokens, CancellationToken cancellationToken)
    {
        if (Unavailable)
        {
            throw new RedeemerUnavailableException("down for the test");
        }

        var outcomes = new List<RedemptionOutcome>();
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

        Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        return ValueTask.FromResult<IReadOnlyList<RedemptionOutcome>>(outcomes);
    }

    /// <summary>Marks a token as spent elsewhere (another relay redeemed it first).</summary>
    public void SpendElsewhere(byte[] token) => _spent.TryAdd(Convert.ToHexString(token), 0);

    public async Task WaitForAcceptedAsync(int count, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (_accepted.Count < count)
        {
            await _changed.Task.WaitAsync(cts.Token);
        }
    }
}
