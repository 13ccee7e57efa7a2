using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using SimpleXLedger.Protos.Relay;
using SimpleXLedger.Relay.Client;

namespace SimpleXLedger.Audit.Fuzz;

/// <summary>Builds the transmissions of relay cases: valid signatures only on commands that must change nothing.</summary>
internal static class RelayTransmissions
{
    /// <summary>A transmission for a session lane: a command (mutated or not) and a signature (valid, or broken on purpose).</summary>
    public static (Transmission Transmission, string Name, bool ValidlySigned) Build(FuzzRandom random, RelayFixture relay, SessionLane lane, FuzzFixture fixture)
    {
        var (command, key, name, ownsKey) = RelayCommands.Template(random, relay, fixture);
        try
        {
            return Build(random, relay, lane, fixture, command, key, name);
        }
        finally
        {
            if (ownsKey)
            {
                key.Dispose();
            }
        }
    }

    private static (Transmission Transmission, string Name, bool ValidlySigned) Build(FuzzRandom random, RelayFixture relay, SessionLane lane, FuzzFixture fixture, Command command, NSec.Cryptography.Key key, string name)
    {
        byte[] commandBytes;
        switch (random.Next(4))
        {
            case 0:
                commandBytes = command.ToByteArray();
                break;
            case 1 or 2:
                name += " " + ProtoMutator.MutateField(random, command, 500, 0);
                commandBytes = command.ToByteArray();
                break;
            default:
                {
                    var (bytes, how) = ByteMutator.Mutate(random, command.ToByteArray());
                    name += " wire-" + how;
                    commandBytes = bytes;
                    break;
                }
        }

        // What the relay will parse out of these bytes decides whether a valid signature is safe.
        Command? parsed;
        try
        {
            parsed = Command.Parser.ParseFrom(commandBytes);
        }
        catch (InvalidProtocolBufferException)
        {
            parsed = null;
        }

        var safe = parsed is null || RelayCommands.SafeToSign(parsed, fixture.UnspentTokens);
        if (safe && random.Chance(0.6))
        {
            return (new Transmission { Command = ByteString.CopyFrom(commandBytes), Signature = ByteString.CopyFrom(RelayProtocol.SignBytes(commandBytes, key, lane.Nonce)) }, name + ", signed", true);
        }

        var (signature, how2) = BrokenSignature(random, commandBytes, key, relay, lane);
        return (new Transmission { Command = ByteString.CopyFrom(commandBytes), Signature = ByteString.CopyFrom(signature) }, name + ", " + how2, false);
    }

    /// <summary>A signature that must not verify here: flipped, cut, empty, by another key, or for another session (a replay).</summary>
    private static (byte[], string) BrokenSignature(FuzzRandom random, byte[] commandBytes, NSec.Cryptography.Key key, RelayFixture relay, SessionLane lane)
    {
        switch (random.Next(6))
        {
            case 0:
                {
                    var signature = RelayProtocol.SignBytes(commandBytes, key, lane.Nonce);
                    ByteMutator.FlipBit(random, signature);
                    return (signature, "signature bit-flipped");
                }

            case 1:
                return (RelayProtocol.SignBytes(commandBytes, key, lane.Nonce)[..random.Next(RelayProtocol.SignatureLength)], "signature cut");
            case 2:
                return ([], "unsigned");
            case 3:
                {
                    using var other = RelayProtocol.NewKey();
                    return (RelayProtocol.SignBytes(commandBytes, other, lane.Nonce), "signed by another key");
                }

            case 4:
                {
                    // Signed for another connection's session: a transmission replayed across sessions.
                    var others = relay.Sessions.Where(s => !ReferenceEquals(s, lane)).ToList();
                    var nonce = others.Count > 0 ? random.Pick(others).Nonce : RandomNumberGenerator.GetBytes(RelayProtocol.SessionNonceLength);
                    return (RelayProtocol.SignBytes(commandBytes, key, nonce), "replayed from another session");
                }

            default:
                return (RelayProtocol.SignBytes(commandBytes, key, RandomNumberGenerator.GetBytes(RelayProtocol.SessionNonceLength)), "signed for a made-up session");
        }
    }

    /// <summary>
    /// The transmission sent as bytes, sometimes as noise or mutated as a message itself. <c>ValidlySigned</c>: its
    /// command was signed for this session with the queue's key (so the relay may carry it out, harmlessly).
    /// </summary>
    public static (byte[] Bytes, string Name, bool Parses, bool ValidlySigned) Encode(FuzzRandom random, RelayFixture relay, SessionLane lane, FuzzFixture fixture)
    {
        switch (random.Next(10))
        {
            case 0:
                {
                    var noise = random.Bytes(random.Length(64, 4096));
                    return (noise, "transmission noise", Parses(noise), false);
                }

            case 1:
                {
                    // Still validly signed when the mutation only added fields the relay skips.
                    var (t, name, signed) = Build(random, relay, lane, fixture);
                    var (bytes, how) = ProtoMutator.Mutate(random, t);
                    return (bytes, name + ", transmission " + how, Parses(bytes), signed);
                }

            default:
                {
                    var (t, name, signed) = Build(random, relay, lane, fixture);
                    return (t.ToByteArray(), name, true, signed);
                }
        }
    }

    public static bool Parses(byte[] bytes)
    {
        try
        {
            Transmission.Parser.ParseFrom(bytes);
            return true;
        }
        catch (InvalidProtocolBufferException)
        {
            return false;
        }
    }
}

/// <summary>relay.proto's Hello, its empty request mutated; on a connection with a session it must keep that session.</summary>
internal sealed class RelayHelloFamily : IFuzzFamily
{
    public string Endpoint => "relay.grpc/Hello";

    public int Weight => 3;

    public async Task<CaseResult> RunAsync(FuzzRandom random, FuzzContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(context);
        var relay = random.Pick(context.Fixture.Relays);
        var lane = random.Pick(relay.Sessions);
        await lane.EnsureSessionAsync(ct);
        var (request, mutation) = random.Chance(0.6) ? ProtoMutator.Mutate(random, new HelloRequest()) : (random.Bytes(random.Length(32, 4096)), "garbage");
        var answer = await lane.Lane.GrpcAsync("/sxl.relay.v1.Relay/Hello", Lane.Frame(request), FuzzContext.Deadline, ct);
        var result = context.Grpc(Endpoint, mutation, answer);
        if (answer.GrpcStatus == 0 && answer.Messages.Count == 1
            && !HelloReply.Parser.ParseFrom(answer.Messages[0]).SessionNonce.Span.SequenceEqual(lane.Nonce))
        {
            if (lane.Renewed)
            {
                // A new connection (the relay closed the old one) has a new session: right, and the lane takes it.
                await lane.RenewAsync(ct);
                return result;
            }

            return result with { Answer = "Hello changed the connection's session nonce", Verdict = Verdict.Untyped };
        }

        return result;
    }
}

/// <summary>relay.proto's Execute: mutated commands, broken and replayed signatures, no session, odd authorization headers, oversized transmissions.</summary>
internal sealed class RelayExecuteFamily : IFuzzFamily
{
    public string Endpoint => "relay.grpc/Execute";

    public int Weight => 20;

    public async Task<CaseResult> RunAsync(FuzzRandom random, FuzzContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(context);
        var f = context.Fixture;
        var relay = random.Pick(f.Relays);
        var lane = random.Pick(relay.Sessions);
        await lane.EnsureSessionAsync(ct);
        var (bytes, name, _, _) = RelayTransmissions.Encode(random, relay, lane, f);
        var target = lane.Lane;
        var headers = new List<(string, string)>();
        switch (random.Next(12))
        {
            case 0:
                target = relay.Sessionless;
                name += ", on a connection without a session";
                break;
            case 1:
                {
                    var token = RelayCommands.Payment(random, f, out var how);
                    headers.Add(("authorization", random.Chance(0.7) ? RelayProtocol.AuthorizationHeader(token) : random.Pick(["PrivateToken", "PrivateToken token=", "PrivateToken token=\"%%%\"", "Bearer x", "PrivateToken token=\"" + new string('A', 9000) + "\""])));
                    name += ", authorization header " + how;
                    break;
                }

            case 2:
                bytes = [.. bytes, .. new byte[random.Between((int)relay.Limits.MaxMessageBytes + (8 * 1024), (int)relay.Limits.MaxMessageBytes + (64 * 1024))]];
                name = "oversized transmission";
                break;
        }

        var answer = await target.GrpcAsync("/sxl.relay.v1.Relay/Execute", Lane.Frame(bytes), FuzzContext.Deadline, ct, headers: headers);

        // Headers over the server's advertised limit are refused by HTTP/2 itself (or by the client, which knows the limit).
        var result = context.Grpc(Endpoint, name, answer, mayDrop: headers.Sum(h => h.Item2.Length) > 16 * 1024);
        return ReferenceEquals(target, lane.Lane) ? await SessionLoss.JudgeAsync(lane, answer.Reason, result, ct) : result;
    }
}

/// <summary>relay.proto's Subscribe (server streaming): the same transmissions; a validly signed one may open a stream, which the case leaves.</summary>
internal sealed class RelaySubscribeFamily : IFuzzFamily
{
    public string Endpoint => "relay.grpc/Subscribe";

    public int Weight => 4;

    public async Task<CaseResult> RunAsync(FuzzRandom random, FuzzContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(context);
        var f = context.Fixture;
        var relay = random.Pick(f.Relays);
        var lane = random.Pick(relay.Sessions);
        await lane.EnsureSessionAsync(ct);
        var (bytes, name, _, signed) = RelayTransmissions.Encode(random, relay, lane, f);

        // A command the relay carries out keeps the call open for deliveries: such a case looks briefly, then leaves.
        var answer = await lane.Lane.GrpcAsync("/sxl.relay.v1.Relay/Subscribe", Lane.Frame(bytes), signed ? TimeSpan.FromMilliseconds(500) : FuzzContext.Deadline, ct);
        if (signed && answer.TimedOut)
        {
            return new CaseResult(Endpoint, name, "stream open", Verdict.Accepted);
        }

        return await SessionLoss.JudgeAsync(lane, answer.Reason, context.Grpc(Endpoint, name, answer), ct);
    }
}

/// <summary>
/// relay.proto's Session (bidirectional): a run of transmissions (valid reads, mutated and replayed commands, noise,
/// sometimes an oversized one), then the client half-closes, or abandons the call midway. Every transmission that
/// parses gets its reply; one that does not ends the call with a typed status; no reply is INTERNAL.
/// </summary>
internal sealed class RelaySessionFamily : IFuzzFamily
{
    private static readonly Marshaller<byte[]> Bytes = Marshallers.Create(b => b, b => b);
    private static readonly Method<byte[], byte[]> Session = new(MethodType.DuplexStreaming, "sxl.relay.v1.Relay", "Session", Bytes, Bytes);

    public string Endpoint => "relay.grpc/Session";

    public int Weight => 6;

    public async Task<CaseResult> RunAsync(FuzzRandom random, FuzzContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(context);
        var f = context.Fixture;
        var relay = random.Pick(f.Relays);
        var laneIndex = random.Next(relay.Sessions.Count);
        var lane = relay.Sessions[laneIndex];
        await lane.EnsureSessionAsync(ct);
        var invoker = Channels.For(lane).CreateCallInvoker();
        var count = random.Chance(0.8) ? random.Between(1, 12) : random.Between(50, 600);
        var abandon = random.Chance(0.1);
        var names = new List<string>();
        var expectedReplies = 0;
        var brokenAt = -1;
        var messages = new List<byte[]>();
        for (var i = 0; i < count; i++)
        {
            if (random.Chance(0.01))
            {
                messages.Add(new byte[(int)relay.Limits.MaxMessageBytes + random.Between(9 * 1024, 64 * 1024)]);
                names.Add("oversized");
                brokenAt = brokenAt < 0 ? i : brokenAt;
                break;
            }

            var (bytes, name, parses, _) = RelayTransmissions.Encode(random, relay, lane, f);
            messages.Add(bytes);
            if (names.Count < 3)
            {
                names.Add(name);
            }

            if (!parses)
            {
                brokenAt = i;
                break;
            }

            expectedReplies++;
        }

        var mutation = $"{messages.Count} transmissions{(abandon ? ", abandoned" : string.Empty)}: {string.Join("; ", names)}";
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(FuzzContext.Deadline);
        using var call = invoker.AsyncDuplexStreamingCall(Session, null, new CallOptions(cancellationToken: deadline.Token));
        var replies = 0;
        var internalReply = false;
        var reading = Task.Run(async () =>
        {
            while (await call.ResponseStream.MoveNext(deadline.Token))
            {
                var e = SessionEvent.Parser.ParseFrom(call.ResponseStream.Current);
                if (e.EventCase == SessionEvent.EventOneofCase.Reply)
                {
                    replies++;
                    if (e.Reply.ResultCase == Reply.ResultOneofCase.Error && e.Reply.Error.Code is ErrorCode.Internal or ErrorCode.Unspecified)
                    {
                        internalReply = true;
                    }
                }
            }
        }, CancellationToken.None);
        try
        {
            try
            {
                foreach (var m in messages)
                {
                    await call.RequestStream.WriteAsync(m, deadline.Token);
                }

                if (abandon)
                {
                    await deadline.CancelAsync();
                }
                else
                {
                    await call.RequestStream.CompleteAsync();
                }
            }
            catch (Exception e) when (e is RpcException or InvalidOperationException or IOException or OperationCanceledException)
            {
                // The relay ended the call while we wrote (a broken transmission): the status says why.
            }

            await reading;
            var status = call.GetStatus();
            if (internalReply)
            {
                return new CaseResult(Endpoint, mutation, "a reply with error INTERNAL", Verdict.Untyped);
            }

            if (abandon)
            {
                return new CaseResult(Endpoint, mutation, "abandoned", Verdict.Accepted);
            }

            if (brokenAt < 0 && replies != expectedReplies)
            {
                return new CaseResult(Endpoint, mutation, $"{replies} replies to {expectedReplies} transmissions", Verdict.Untyped);
            }

            return brokenAt >= 0
                ? new CaseResult(Endpoint, mutation, $"ended OK after a broken transmission ({replies}/{expectedReplies} replies)", Verdict.Untyped)
                : new CaseResult(Endpoint, mutation, $"OK, {replies} replies", Verdict.Accepted);
        }
        catch (RpcException) when (abandon)
        {
            // The client walked away mid-call: whatever its side saw of the reset (Cancelled, or the stream gone), the relay owes it nothing more.
            return internalReply ? new CaseResult(Endpoint, mutation, "a reply with error INTERNAL", Verdict.Untyped) : new CaseResult(Endpoint, mutation, "abandoned", Verdict.Accepted);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && deadline.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            return new CaseResult(Endpoint, mutation, "no answer", Verdict.Hang);
        }
        catch (RpcException e)
        {
            if (internalReply)
            {
                return new CaseResult(Endpoint, mutation, "a reply with error INTERNAL", Verdict.Untyped);
            }

            if (e.Status.DebugException is { } local)
            {
                // Not the relay's status: the client saw the stream or connection go.
                return new CaseResult(Endpoint, mutation, $"dropped: {e.StatusCode} ({local.GetType().Name})", Verdict.Untyped);
            }

            var answer = new WireAnswer(200, (int)e.StatusCode, e.Status.Detail, e.Trailers.GetValue("sxl-error"), "application/grpc", [], []);
            var result = context.Grpc(Endpoint, mutation, answer);
            if (replies == 0 && answer.Reason == nameof(ErrorCode.NoSession))
            {
                // Refused as a whole before any transmission was read: typed, if the session went with its connection.
                return await SessionLoss.JudgeAsync(lane, answer.Reason, result, ct);
            }

            if (result.Verdict == Verdict.Refused && brokenAt < 0 && replies < expectedReplies && e.StatusCode != StatusCode.ResourceExhausted)
            {
                return result with { Answer = $"{result.Answer} before answering every transmission ({replies}/{expectedReplies})", Verdict = Verdict.Untyped };
            }

            return result;
        }
    }

    /// <summary>One gRPC channel per session lane, over the lane's own connection (so its session is the lane's).</summary>
    private static class Channels
    {
        private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<SessionLane, GrpcChannel> ByLane = [];

        // An HttpClient over the lane's handler: the channel leaves a client's handler as it is (one connection, one session).
        public static GrpcChannel For(SessionLane lane) => ByLane.GetValue(lane, l => GrpcChannel.ForAddress(l.Lane.BaseUri, new GrpcChannelOptions
        {
            HttpClient = new HttpClient(l.Lane.Handler, disposeHandler: false) { DefaultRequestVersion = System.Net.HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact, Timeout = Timeout.InfiniteTimeSpan },
            DisposeHttpClient = true,
            MaxReceiveMessageSize = null,
            MaxSendMessageSize = null,
        }));
    }
}

/// <summary>
/// A relay's NoSession on a lane that said Hello: typed and right when the relay closed the connection the session lived on
/// (the lane says Hello again), a finding when the connection is the one that said Hello.
/// </summary>
internal static class SessionLoss
{
    public static async Task<CaseResult> JudgeAsync(SessionLane lane, string? reason, CaseResult result, CancellationToken ct)
    {
        if (reason != nameof(ErrorCode.NoSession))
        {
            return result;
        }

        if (!lane.Renewed)
        {
            return result with { Answer = $"{result.Answer} on the connection that said Hello", Verdict = Verdict.Untyped };
        }

        await lane.RenewAsync(ct);
        return result with { Answer = $"{result.Answer}: the relay replaced the connection" };
    }
}
