using System.Net;
using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using NSec.Cryptography;
using Nethereum.Hex.HexConvertors.Extensions;
using Nethereum.Signer;
using SimpleXLedger.Clearing.Client;
using SimpleXLedger.Net;
using SimpleXLedger.Protos.Clearing;
using SimpleXLedger.Protos.Relay;
using SimpleXLedger.Relay.Client;
using SimpleXLedger.Tokens;
using SimpleXLedger.Wallet;
using SimpleXLedger.Wallet.Issuance;
using SimpleXLedger.Wallet.Storage;
using IssuerProto = SimpleXLedger.Protos.Issuer;

namespace SimpleXLedger.Audit.Fuzz;

/// <summary>A relay connection with its session (Hello done): transmissions signed for <see cref="Nonce"/> are good on it only.</summary>
internal sealed class SessionLane(Lane lane, byte[] nonce) : IDisposable
{
    public Lane Lane { get; } = lane;

    public byte[] Nonce { get; private set; } = nonce;

    /// <summary>The lane's connection count when Hello was said: a higher count means the session went with its connection.</summary>
    public int HelloConnection { get; private set; } = lane.Connections;

    /// <summary>The relay closed the connection the session lived on, and the lane has (or will make) a new one.</summary>
    public bool Renewed => Lane.Connections != HelloConnection;

    /// <summary>Says Hello again when the connection was replaced since the last Hello; cheap otherwise.</summary>
    public async Task EnsureSessionAsync(CancellationToken ct)
    {
        if (Renewed)
        {
            await RenewAsync(ct);
        }
    }

    /// <summary>Says Hello (again) and keeps the nonce for the connection it went over.</summary>
    public async Task RenewAsync(CancellationToken ct)
    {
        Nonce = await FuzzFixture.HelloAsync(Lane, ct);
        HelloConnection = Lane.Connections;
        Interlocked.Increment(ref _renewals);
    }

    /// <summary>Hellos said again after the relay replaced a connection (reported, so a relay that drops connections shows).</summary>
    public int Renewals => Volatile.Read(ref _renewals);

    private int _renewals;

    public void Dispose() => Lane.Dispose();
}

/// <summary>The fuzzer's own queue at one relay: created with a token, secured, and never sent a message.</summary>
internal sealed class RelayFixture : IDisposable
{
    public required FuzzRelay Relay { get; init; }

    public required IReadOnlyList<SessionLane> Sessions { get; init; }

    /// <summary>A connection that never said Hello: every command on it must be refused for want of a session.</summary>
    public required Lane Sessionless { get; init; }

    public required byte[] RecipientId { get; init; }

    public required byte[] SenderId { get; init; }

    public required Key RecipientKey { get; init; }

    public required Key SenderKey { get; init; }

    public required Limits Limits { get; init; }

    public void Dispose()
    {
        foreach (var s in Sessions)
        {
            s.Dispose();
        }

        Sessionless.Dispose();
        RecipientKey.Dispose();
        SenderKey.Dispose();
    }
}

/// <summary>
/// What the fuzzer sets up before it takes the first digest, so that structure-aware cases start from real values:
/// three funded cards (one redeemed whole by a real wallet for tokens, one left untouched, one redeemed once under a
/// known request id to replay), a secured queue at each relay paid with one of those tokens, an operator registered
/// at the clearing house with one batch recorded, and the connections ("lanes") every case reuses.
/// </summary>
internal sealed class FuzzFixture : IAsyncDisposable
{
    /// <summary>Source addresses for wrong card codes: the issuer holds each off after a few, and never the clean lane.</summary>
    public const int DirtyAddresses = 16;

    private readonly List<IDisposable> _owned = [];

    private FuzzFixture()
    {
    }

    public required FuzzTargets Targets { get; init; }

    // ---- the issuer ----

    /// <summary>Active, full, never redeemed by the fuzzer: any debit of it is a finding.</summary>
    public required string ValidCode { get; init; }

    /// <summary>Redeemed whole (by the fuzzer's wallet).</summary>
    public required string SpentCode { get; init; }

    /// <summary>Redeemed once under <see cref="ReplayRequestId"/> with <see cref="ReplayTokenRequest"/>.</summary>
    public required string ReplayCode { get; init; }

    public required byte[] ReplayRequestId { get; init; }

    public required byte[] ReplayTokenRequest { get; init; }

    public required TokenPublicKey IssuerKey { get; init; }

    public required string IssuerName { get; init; }

    /// <summary>The truncated key ids of every key the issuer holds (refreshed every window).</summary>
    public HashSet<byte> KnownTruncatedKeyIds { get; set; } = [];

    /// <summary>What bad token requests are made from.</summary>
    public IssuerFacts Issuer => new(IssuerKey, ReplayTokenRequest, KnownTruncatedKeyIds);

    public required Lane IssuerGrpc { get; init; }

    public required IReadOnlyList<Lane> IssuerGrpcDirty { get; init; }

    public required Lane IssuerHttp { get; init; }

    public required IReadOnlyList<Lane> IssuerHttpDirty { get; init; }

    /// <summary>
    /// For HTTP requests the server may answer by closing the connection (a body past its limit, headers too large or
    /// with control characters): kept off the other lanes, whose next request would find the connection gone. From an
    /// address of its own, as a code in such a request may still reach the issuer and count as a wrong one.
    /// </summary>
    public required Lane IssuerHttpRough { get; init; }

    // ---- tokens ----

    /// <summary>Tokens spent (at a relay, so at the clearing house too).</summary>
    public required IReadOnlyList<byte[]> SpentTokens { get; init; }

    /// <summary>Valid tokens never spent: cases only ever send them mutated.</summary>
    public required IReadOnlyList<byte[]> UnspentTokens { get; init; }

    // ---- the relays ----

    public required IReadOnlyList<RelayFixture> Relays { get; init; }

    // ---- the TURN credential service (when the devnet runs coturn) ----

    /// <summary>A lane to the TURN credential service, or null without one.</summary>
    public Lane? Turn { get; init; }

    /// <summary>The token that bought the fixture's one TURN credential: spent there (and at the clearing house).</summary>
    public byte[]? TurnSpentToken { get; init; }

    // ---- the clearing house ----

    public required Lane Clearing { get; init; }

    public required byte[] ClearingIdentity { get; init; }

    public required int ClearingMaxBatch { get; init; }

    public required OperatorKey Operator { get; init; }

    public required RegisterOperatorRequest Registration { get; init; }

    /// <summary>A batch recorded during set-up (nothing accepted): its id replays.</summary>
    public required RedeemRequest RecordedBatch { get; init; }

    /// <summary>Everything secret the fixture handled, for the log check after the run.</summary>
    public required IReadOnlyList<(string Kind, byte[] Value)> Secrets { get; init; }

    public required IReadOnlyList<(string Kind, string Text)> SecretTexts { get; init; }

    public static async Task<FuzzFixture> CreateAsync(FuzzTargets targets, Action<string> note, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(note);
        Directory.CreateDirectory(targets.WorkDirectory);
        var codes = await targets.FundCardsAsync(3, ct);
        note($"3 cards funded and active");

        using var issuer = await IssuerConnection.OpenAsync(new IssuerEndpoint(targets.IssuerGrpc, targets.IssuerHttp), IssuerKeyTrust.Registry(targets.RpcUrl, targets.Ledger), cancellationToken: ct);
        var verified = await issuer.VerifyAsync(ct);

        // Card A: a real wallet redeems it whole; its tokens pay for the queues and feed the token mutations.
        var secrets = new List<(string, byte[])>();
        List<byte[]> tokens;
        await using (var wallet = await UserWallet.CreateAsync(Path.Combine(targets.WorkDirectory, "fuzz.sxlw"), Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)), KdfParameters.WeakForTests, new WalletOptions { Issuer = issuer }))
        {
            await wallet.RedeemCardAsync(codes[0], issuer, ct);
            tokens = [.. wallet.WithdrawTokens(wallet.AvailableTokens).Select(t => t.ToArray())];
        }

        foreach (var t in tokens)
        {
            var token = Token.Parse(t);
            secrets.Add(("token nonce", token.Nonce.ToArray()));
            secrets.Add(("token authenticator", token.Authenticator.ToArray()));
        }

        note($"{tokens.Count} tokens redeemed by a wallet");

        var issuerGrpc = new Lane("issuer-grpc", targets.IssuerGrpc, null, IPAddress.Loopback, singleConnection: false, HttpVersion.Version20);
        var issuerHttp = new Lane("issuer-http", targets.IssuerHttp, null, IPAddress.Loopback, singleConnection: false, HttpVersion.Version11);
        var dirtyGrpc = new List<Lane>();
        var roughHttp = new Lane("issuer-http-rough", targets.IssuerHttp, null, new IPAddress([127, 0, 2, 1]), singleConnection: false, HttpVersion.Version11);
        var dirtyHttp = new List<Lane>();
        for (var i = 0; i < DirtyAddresses; i++)
        {
            var source = new IPAddress([127, 0, 1, (byte)(i + 1)]);
            dirtyGrpc.Add(new Lane($"issuer-grpc-dirty-{i}", targets.IssuerGrpc, null, source, singleConnection: true, HttpVersion.Version20));
            dirtyHttp.Add(new Lane($"issuer-http-dirty-{i}", targets.IssuerHttp, null, source, singleConnection: true, HttpVersion.Version11));
        }

        // Card C: one redemption under a request id the cases replay.
        var replayId = RandomNumberGenerator.GetBytes(32);
        using var state = TokenClient.CreateRequest(verified.Key, verified.Challenge);
        var replayRequest = state.Request.ToArray();
        var redeem = new IssuerProto.RedeemRequest { CardCode = codes[2], RequestId = ByteString.CopyFrom(replayId) };
        redeem.TokenRequests.Add(ByteString.CopyFrom(replayRequest));
        var answer = await issuerGrpc.GrpcAsync("/sxl.issuer.v1.Issuer/Redeem", Lane.Frame(redeem.ToByteArray()), TimeSpan.FromSeconds(60), ct);
        if (answer.GrpcStatus != 0)
        {
            throw new InvalidOperationException($"the fixture's replay redemption failed: {answer.GrpcStatus} {answer.GrpcMessage}");
        }

        // A queue at each relay, paid with a token and secured (so unsigned sends are refused).
        var relays = new List<RelayFixture>();
        var spent = new List<byte[]>();
        var next = 0;
        foreach (var relay in targets.Relays)
        {
            var recipientKey = RelayProtocol.NewKey();
            var senderKey = RelayProtocol.NewKey();
            QueueCreated created;
            Limits limits;
            await using (var client = await RelayClient.ConnectAsync(relay.Address, ct))
            {
                var token = tokens[next++];
                created = await CreateQueueAsync(client, recipientKey, token, ct);
                spent.Add(token);
                await client.SecureAsync(created.RecipientId.Memory, recipientKey, senderKey.PublicKey, ct);
                limits = client.Limits;
            }

            var sessions = new List<SessionLane>();
            for (var i = 0; i < 4; i++)
            {
                var lane = new Lane($"{relay.Name}-session-{i}", relay.Address.HttpsUri, relay.Address.Fingerprint, null, singleConnection: true, HttpVersion.Version20);
                sessions.Add(new SessionLane(lane, await HelloAsync(lane, ct)));
            }

            relays.Add(new RelayFixture
            {
                Relay = relay,
                Sessions = sessions,
                Sessionless = new Lane($"{relay.Name}-sessionless", relay.Address.HttpsUri, relay.Address.Fingerprint, null, singleConnection: true, HttpVersion.Version20),
                RecipientId = created.RecipientId.ToByteArray(),
                SenderId = created.SenderId.ToByteArray(),
                RecipientKey = recipientKey,
                SenderKey = senderKey,
                Limits = limits,
            });
            secrets.Add(("queue id", created.RecipientId.ToByteArray()));
            secrets.Add(("queue id", created.SenderId.ToByteArray()));
            secrets.Add(("queue private key", RelayProtocol.ExportSeed(recipientKey)));
            secrets.Add(("queue private key", RelayProtocol.ExportSeed(senderKey)));
        }

        note($"a secured queue at each of {relays.Count} relays");

        // One TURN credential bought with a token (so a token spent there can be replayed); its credential is a secret.
        Lane? turnLane = null;
        byte[]? turnToken = null;
        if (targets.Turn is { } turn)
        {
            turnToken = tokens[next++];
            spent.Add(turnToken);
            var credential = await BuyTurnAsync(turn.Address, turnToken, ct);
            secrets.Add(("TURN credential", Encoding.UTF8.GetBytes(credential)));
            turnLane = new Lane("turn", turn.Address.HttpsUri, turn.Address.Fingerprint, null, singleConnection: false, HttpVersion.Version20);
            note("one TURN credential bought with a token");
        }

        // An operator of the fuzzer's own at the clearing house, and one batch of it recorded.
        var operatorKey = OperatorKey.Generate();
        using var clearing = await ClearingClient.ConnectAsync(targets.Clearing, ct);
        var payeeKey = EthECKey.GenerateKey();
        var payee = payeeKey.GetPublicAddress();
        var text = clearing.RegistrationMessage(operatorKey, payee);
        var registration = new RegisterOperatorRequest
        {
            OperatorKey = ByteString.CopyFrom(operatorKey.PublicKey),
            Payee = payee,
            PayeeSignature = ByteString.CopyFrom(new EthereumMessageSigner().EncodeUTF8AndSign(text, payeeKey).HexToByteArray()),
            OperatorSignature = ByteString.CopyFrom(operatorKey.Sign(Encoding.UTF8.GetBytes(text))),
        };
        await clearing.Grpc.RegisterOperatorAsync(registration, deadline: DateTime.UtcNow.AddSeconds(60), cancellationToken: ct);
        var batch = clearing.SignBatch(operatorKey, ClearingClient.NewBatchId(), RandomNumberGenerator.GetBytes(ClearingProtocol.RedeemerIdLength), [RandomNumberGenerator.GetBytes(Token.Length)]);
        await clearing.RedeemAsync(batch, TimeSpan.FromSeconds(60), ct);
        secrets.Add(("payee private key", payeeKey.GetPrivateKeyAsBytes()));
        note("an operator registered at the clearing house with one batch recorded");

        var fixture = new FuzzFixture
        {
            Targets = targets,
            ValidCode = codes[1],
            SpentCode = codes[0],
            ReplayCode = codes[2],
            ReplayRequestId = replayId,
            ReplayTokenRequest = replayRequest,
            IssuerKey = verified.Key,
            IssuerName = verified.Name,
            KnownTruncatedKeyIds = StateDigest.IssuerTruncatedKeyIds(targets.IssuerDataDirectory),
            IssuerGrpc = issuerGrpc,
            IssuerGrpcDirty = dirtyGrpc,
            IssuerHttp = issuerHttp,
            IssuerHttpDirty = dirtyHttp,
            IssuerHttpRough = roughHttp,
            SpentTokens = spent,
            UnspentTokens = tokens.Skip(next).ToList(),
            Relays = relays,
            Turn = turnLane,
            TurnSpentToken = turnToken,
            Clearing = new Lane("clearing", targets.Clearing.HttpsUri, targets.Clearing.Fingerprint, null, singleConnection: false, HttpVersion.Version20),
            ClearingIdentity = clearing.Info.Identity.ToByteArray(),
            ClearingMaxBatch = (int)clearing.Info.MaxBatch,
            Operator = operatorKey,
            Registration = registration,
            RecordedBatch = batch,
            Secrets = secrets,
            SecretTexts = [.. codes.Select(c => ("card code", c))],
        };
        fixture._owned.AddRange([issuerGrpc, issuerHttp, roughHttp, .. dirtyGrpc, .. dirtyHttp, .. relays, fixture.Clearing, operatorKey]);
        if (turnLane is not null)
        {
            fixture._owned.Add(turnLane);
        }

        return fixture;
    }

    /// <summary>
    /// Creates a queue paid with a token; while the relay cannot yet redeem it (the issuer anchors its issued totals
    /// every few seconds, and the clearing house refuses tokens beyond them) it answers Unavailable: try again.
    /// </summary>
    private static async Task<QueueCreated> CreateQueueAsync(RelayClient client, Key recipientKey, byte[] token, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromMinutes(3));
        while (true)
        {
            try
            {
                return await client.CreateQueueAsync(recipientKey, paymentToken: token, cancellationToken: timeout.Token);
            }
            catch (RelayException e) when (e.Code is ErrorCode.Unavailable or ErrorCode.PaymentRefused && !timeout.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), timeout.Token);
            }
        }
    }

    /// <summary>Buys one TURN credential; while the token cannot be redeemed yet (not anchored as issued) the service says "retry later": try again.</summary>
    private static async Task<string> BuyTurnAsync(PinnedAddress service, byte[] token, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromMinutes(3));
        using var client = SimpleXLedger.Turn.Client.TurnClient.Connect(service);
        while (true)
        {
            try
            {
                return (await client.BuyAsync(token, timeout.Token)).Credential;
            }
            catch (SimpleXLedger.Turn.Client.TurnServiceException e) when (e.Code is SimpleXLedger.Protos.Turn.TurnErrorCode.RetryLater && !timeout.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), timeout.Token);
            }
        }
    }

    /// <summary>Says Hello on a relay connection; the nonce binds every signature on that connection.</summary>
    public static async Task<byte[]> HelloAsync(Lane lane, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(lane);
        var answer = await lane.GrpcAsync("/sxl.relay.v1.Relay/Hello", Lane.Frame([]), TimeSpan.FromSeconds(60), ct);
        if (answer.GrpcStatus != 0 || answer.Messages.Count != 1)
        {
            throw new InvalidOperationException($"Hello failed on {lane.Name}: {answer.GrpcStatus} {answer.GrpcMessage} {answer.Dropped}");
        }

        return HelloReply.Parser.ParseFrom(answer.Messages[0]).SessionNonce.ToByteArray();
    }

    public ValueTask DisposeAsync()
    {
        foreach (var o in _owned)
        {
            o.Dispose();
        }

        return ValueTask.CompletedTask;
    }
}
