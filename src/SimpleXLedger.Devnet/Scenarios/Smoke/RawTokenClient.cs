using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using NSec.Cryptography;
using SimpleXLedger.Devnet.Network;
using SimpleXLedger.Net;
using SimpleXLedger.Protos.Issuer;
using SimpleXLedger.Relay.Client;
using SimpleXLedger.Tokens;
using IssuerClient = SimpleXLedger.Protos.Issuer.Issuer.IssuerClient;

namespace SimpleXLedger.Devnet.Scenarios.Smoke;

/// <summary>A queue a user made: its relay, the recipient's id and key, and the link given to senders.</summary>
public sealed class UserQueue(string name, RelayService relay, byte[] recipientId, Key recipientKey, SenderLink link) : IDisposable
{
    public string Name { get; } = name;

    public RelayService Relay { get; } = relay;

    internal byte[] RecipientId { get; } = recipientId;

    internal Key RecipientKey { get; } = recipientKey;

    public SenderLink Link { get; } = link;

    public void Dispose() => RecipientKey.Dispose();
}

/// <summary>
/// A client that holds tokens outside any wallet, as someone copying tokens would: it redeems a card straight over the
/// issuer's gRPC (blinded requests in fixed batches, RFC 9578), keeps the finalized tokens in memory, and presents one
/// token wherever it likes. The smoke scenario uses it to try one token at both relays at once. Tokens are never printed.
/// </summary>
public sealed class RawTokenClient(string name) : IAsyncDisposable
{
    /// <summary>Token requests per redemption call: the design's fixed batch.</summary>
    public const int BatchSize = 100;

    private readonly Queue<byte[]> _tokens = new();
    private readonly Dictionary<string, RelayClient> _relays = new(StringComparer.Ordinal);

    public string Name { get; } = name;

    public int Tokens => _tokens.Count;

    /// <summary>Tokens this user got from the issuer.</summary>
    public int Issued { get; private set; }

    /// <summary>Tokens this user handed to relays that were accepted.</summary>
    public int Spent { get; private set; }

    /// <summary>Redeems every credit on the card, in batches of <see cref="BatchSize"/>; returns the tokens received.</summary>
    public async Task<int> RedeemAsync(IssuerService issuer, string cardCode, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        using var channel = GrpcChannel.ForAddress(issuer.Grpc);
        var client = new IssuerClient(channel);
        var directory = await client.GetDirectoryAsync(new GetDirectoryRequest(), cancellationToken: ct);
        if (!TokenPublicKey.TryFromSpki(directory.TokenKey.Span, out var key, out var error))
        {
            throw new ScenarioCheckException($"the issuer's directory key does not parse ({error})");
        }

        ScenarioCheckException.That(directory.IssuerName == issuer.Name, $"the issuer calls itself {directory.IssuerName}, not {issuer.Name}");
        var challenge = TokenChallenge.ForNetwork(directory.IssuerName);
        var card = await client.GetCardAsync(new GetCardRequest { CardCode = cardCode }, cancellationToken: ct);
        var received = 0;
        var remaining = card.RemainingCredits;
        var batch = (ulong)Math.Min(BatchSize, (int)directory.MaxBatch);
        while (remaining > 0)
        {
            var n = (int)Math.Min(batch, remaining);
            var states = Enumerable.Range(0, n).Select(_ => TokenClient.CreateRequest(key, challenge)).ToList();
            try
            {
                var request = new RedeemRequest { CardCode = cardCode, RequestId = ByteString.CopyFrom(RandomNumberGenerator.GetBytes(16)) };
                request.TokenRequests.AddRange(states.Select(s => ByteString.CopyFrom(s.Request.ToArray())));
                var reply = await client.RedeemAsync(request, cancellationToken: ct);
                ScenarioCheckException.That(reply.TokenResponses.Count == n, $"asked for {n} tokens, got {reply.TokenResponses.Count}");
                for (var i = 0; i < n; i++)
                {
                    var token = TokenClient.Finalize(states[i], TokenResponse.Parse(reply.TokenResponses[i].Span));
                    ScenarioCheckException.That(TokenVerifier.Verify(key, token, challenge), "a finalized token does not verify under the issuer's key");
                    _tokens.Enqueue(token.ToArray());
                }

                received += n;
                remaining = reply.RemainingCredits;
            }
            catch (RpcException e)
            {
                throw new ScenarioCheckException($"the issuer refused the redemption: {e.StatusCode} {e.Trailers.GetValue("sxl-error")}", e);
            }
            finally
            {
                foreach (var s in states)
                {
                    s.Dispose();
                }
            }
        }

        Issued += received;
        return received;
    }

    /// <summary>Takes one token out of the wallet (the caller spends it or loses it).</summary>
    public byte[] TakeToken() => _tokens.Count > 0 ? _tokens.Dequeue() : throw new ScenarioCheckException($"{Name} has no tokens left");

    /// <summary>Creates a queue at a relay, paying with one token, and secures it with a key for its senders.</summary>
    public async Task<UserQueue> CreateQueueAsync(RelayService relay, string queueName, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(relay);
        var client = await ClientAsync(relay, ct);
        var recipientKey = RelayProtocol.NewKey();
        try
        {
            using var senderKey = RelayProtocol.NewKey();
            var created = await client.CreateQueueAsync(recipientKey, null, TakeToken(), ct);
            Spent++;
            await client.SecureAsync(created.RecipientId.Memory, recipientKey, senderKey.PublicKey, ct);
            var link = new SenderLink(client.Address, created.SenderId.ToByteArray(), RelayProtocol.ExportSeed(senderKey));
            return new UserQueue(queueName, relay, created.RecipientId.ToByteArray(), recipientKey, link);
        }
        catch
        {
            recipientKey.Dispose();
            throw;
        }
    }

    /// <summary>Tries one given token as a top-up; true when the relay accepted it.</summary>
    public async Task<bool> TryTopUpAsync(UserQueue queue, byte[] token, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(queue);
        var client = await ClientAsync(queue.Relay, ct);
        try
        {
            await client.TopUpAsync(queue.RecipientId, queue.RecipientKey, token, ct);
            Spent++;
            return true;
        }
        catch (RelayException e) when (e.Code == SimpleXLedger.Protos.Relay.ErrorCode.PaymentRefused)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _relays.Values)
        {
            await client.DisposeAsync();
        }

        _relays.Clear();
        while (_tokens.TryDequeue(out var token))
        {
            CryptographicOperations.ZeroMemory(token);
        }
    }

    private async Task<RelayClient> ClientAsync(RelayService relay, CancellationToken ct)
    {
        if (!_relays.TryGetValue(relay.Address, out var client))
        {
            if (!PinnedAddress.TryParse(relay.Address, out var address, out var error))
            {
                throw new ScenarioCheckException($"{relay.Name}'s address does not parse: {error}");
            }

            client = await RelayClient.ConnectAsync(address, ct);
            _relays[relay.Address] = client;
        }

        return client;
    }
}
