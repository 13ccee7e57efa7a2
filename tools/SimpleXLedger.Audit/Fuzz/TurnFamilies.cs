using Google.Protobuf;
using SimpleXLedger.Protos.Turn;
using SimpleXLedger.Tokens;

namespace SimpleXLedger.Audit.Fuzz;

/// <summary>
/// turn.proto's Buy, the TURN credential endpoint: tokens that pay nothing — replayed (spent at the TURN service
/// itself, or at a relay: one spent-set across the network), mutated, signed under a key the ledger's registry does
/// not name (as a retired or expired key is refused), for another challenge, noise, empty, or past the token size and
/// the request limit — and the request message itself mutated. Every case must get a typed refusal and no credential;
/// the digest expects the service's spent-set not to change. Without coturn on the devnet there is no service: the
/// family then says so in each case's answer, and counts as refused.
/// </summary>
internal sealed class TurnBuyFamily : IFuzzFamily
{
    public const string Path = "/sxl.turn.v1.Turn/Buy";

    /// <summary>One RSA key of the fuzzer's own, made once (key generation is slow): no registry window names it.</summary>
    private static readonly Lazy<TokenPrivateKey> ForeignKey = new(TokenPrivateKey.Generate);

    public string Endpoint => "turn.grpc/Buy";

    public int Weight => 8;

    public async Task<CaseResult> RunAsync(FuzzRandom random, FuzzContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(context);
        var f = context.Fixture;
        if (f.Turn is not { } lane)
        {
            return new CaseResult(Endpoint, "none", "no TURN credential service on this devnet (coturn not installed)", Verdict.Refused);
        }

        var (body, mutation) = Request(random, new TurnFacts(f.TurnSpentToken!, f.SpentTokens, f.UnspentTokens, f.IssuerName));
        var answer = await lane.GrpcAsync(Path, Lane.Frame(body), FuzzContext.Deadline, ct);
        if (answer.GrpcStatus == 0 && answer.Messages.Count > 0)
        {
            // Any credential for a token that pays nothing is money created.
            TurnCredentials granted;
            try
            {
                granted = TurnCredentials.Parser.ParseFrom(answer.Messages[0]);
            }
            catch (InvalidProtocolBufferException)
            {
                return new CaseResult(Endpoint, mutation, "OK with an unreadable answer", Verdict.Untyped);
            }

            return new CaseResult(Endpoint, mutation, granted.Username.Length > 0 ? "a credential was granted" : "OK without a refusal", Verdict.Untyped);
        }

        var result = context.Grpc(Endpoint, mutation, answer);
        // A refusal must say which (the sxl-error trailer), so a wallet knows whether to keep or drop its token.
        return result.Verdict == Verdict.Refused && answer.Reason is not { Length: > 0 } && answer.GrpcStatus is not (int)Grpc.Core.StatusCode.ResourceExhausted
            ? result with { Answer = result.Answer + " without sxl-error", Verdict = Verdict.Untyped }
            : result;
    }

    /// <summary>A Buy request carrying no token that pays, and what it is.</summary>
    internal static (byte[] Body, string Mutation) Request(FuzzRandom random, TurnFacts f)
    {
        switch (random.Next(9))
        {
            case 0:
                return (Buy(f.SpentHere), "token replayed (spent here)");
            case 1:
                return (Buy(random.Pick(f.SpentTokens)), "token spent elsewhere (a relay or here)");
            case 2 or 3:
                {
                    var (bytes, how) = ByteMutator.Mutate(random, random.Pick(f.UnspentTokens));
                    return RelayCommands.IsUnspent(bytes, f.UnspentTokens)
                        ? (Buy(random.Pick(f.SpentTokens)), "token spent elsewhere (mutation gave back a valid token)")
                        : (Buy(bytes), "token " + how);
                }

            case 4:
                {
                    // A key the registry does not name: as a retired or expired key's token is refused.
                    var key = ForeignKey.Value;
                    var challenge = random.Chance(0.5) ? TokenChallenge.ForNetwork(f.IssuerName) : TokenChallenge.ForNetwork("other." + f.IssuerName);
                    using var state = TokenClient.CreateRequest(key.PublicKey, challenge);
                    return (Buy(TokenClient.Finalize(state, TokenIssuer.Issue(key, state.Request)).ToArray()), "token under a key no registry window names");
                }

            case 5:
                {
                    var n = random.Next(4);
                    return n switch
                    {
                        0 => (Buy([]), "empty token"),
                        1 => (Array.Empty<byte>(), "empty request"),
                        2 => (Buy(random.Bytes(random.Length(Token.Length, 4096))), "noise token"),
                        _ => (Buy(random.Bytes(Token.Length)), "noise token of a token's length"),
                    };
                }

            case 6:
                {
                    // Past a token's size, and past the service's request limit (8 KiB).
                    var size = random.Chance(0.5) ? random.Between(Token.Length + 1, 8 * 1024) : random.Between(8 * 1024, 256 * 1024);
                    return (Buy(new byte[size]), $"oversized token ({size} bytes)");
                }

            default:
                {
                    var template = new BuyRequest { Token = ByteString.CopyFrom(random.Pick(f.SpentTokens)) };
                    var (bytes, how) = ProtoMutator.Mutate(random, template, maxRepeat: 64);
                    return ContainsUnspent(bytes, f) ? (Buy(random.Pick(f.SpentTokens)), "token spent elsewhere") : (bytes, "request " + how);
                }
        }
    }

    private static byte[] Buy(byte[] token) => new BuyRequest { Token = ByteString.CopyFrom(token) }.ToByteArray();

    /// <summary>A mutated request that parses to an unspent token would really buy: never sent.</summary>
    private static bool ContainsUnspent(byte[] bytes, TurnFacts f)
    {
        try
        {
            return RelayCommands.IsUnspent(BuyRequest.Parser.ParseFrom(bytes).Token.Span, f.UnspentTokens);
        }
        catch (InvalidProtocolBufferException)
        {
            return false;
        }
    }
}

/// <summary>What TURN requests are made from: the token spent at the service, tokens spent anywhere, valid tokens never spent (sent only mutated), the network's issuer name.</summary>
internal sealed record TurnFacts(byte[] SpentHere, IReadOnlyList<byte[]> SpentTokens, IReadOnlyList<byte[]> UnspentTokens, string IssuerName);

/// <summary>turn.proto's Info: a read; mutated or noisy requests get the price or a typed refusal, never a crash.</summary>
internal sealed class TurnInfoFamily : IFuzzFamily
{
    public string Endpoint => "turn.grpc/Info";

    public int Weight => 2;

    public async Task<CaseResult> RunAsync(FuzzRandom random, FuzzContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(context);
        if (context.Fixture.Turn is not { } lane)
        {
            return new CaseResult(Endpoint, "none", "no TURN credential service on this devnet (coturn not installed)", Verdict.Refused);
        }

        var (body, mutation) = random.Next(3) switch
        {
            0 => (random.Bytes(random.Length(16, 9000)), "noise body"),
            1 => ByteMutator.Mutate(random, new BuyRequest { Token = ByteString.CopyFrom(random.Pick(context.Fixture.SpentTokens)) }.ToByteArray()),
            _ => (Array.Empty<byte>(), "empty"),
        };
        var answer = await lane.GrpcAsync("/sxl.turn.v1.Turn/Info", Lane.Frame(body), FuzzContext.Deadline, ct);
        return context.Grpc(Endpoint, mutation, answer);
    }
}
