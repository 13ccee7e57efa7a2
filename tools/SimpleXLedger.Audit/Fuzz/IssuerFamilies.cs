using System.Security.Cryptography;
using Google.Protobuf;
using SimpleXLedger.Protos.Issuer;

namespace SimpleXLedger.Audit.Fuzz;

/// <summary>
/// issuer.proto's Redeem: the untouched card with requests no issuer may sign, the spent card with bit-flipped real
/// requests, the replay card under its used request id, wrong card codes (from their own source addresses, which the
/// issuer holds off), batches of every size, request ids of every length, and the encoding itself broken.
/// </summary>
internal sealed class IssuerRedeemFamily : IFuzzFamily
{
    public const string Path = "/sxl.issuer.v1.Issuer/Redeem";

    public string Endpoint => "issuer.grpc/Redeem";

    public int Weight => 12;

    public async Task<CaseResult> RunAsync(FuzzRandom random, FuzzContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(context);
        var f = context.Fixture;
        var (request, mutation, dirty) = random.Next(6) switch
        {
            0 or 1 => ValidCardBadRequests(random, f),
            2 => SpentCardFlippedRequests(random, f),
            3 => Replay(random, f),
            4 => WrongCode(random, f),
            _ => Encoding(random, f),
        };
        var lane = dirty ? random.Pick(f.IssuerGrpcDirty) : f.IssuerGrpc;
        var answer = await lane.GrpcAsync(Path, Lane.Frame(request), FuzzContext.Deadline, ct);
        return context.Grpc(Endpoint, mutation, answer);
    }

    private static (byte[], string, bool) ValidCardBadRequests(FuzzRandom random, FuzzFixture f)
    {
        var message = new RedeemRequest { CardCode = f.ValidCode, RequestId = ByteString.CopyFrom(RequestId(random, out var idName)) };
        string what;
        switch (random.Next(5))
        {
            case 0:
                what = "no-requests";
                break;
            case 1:
                {
                    // More than the issuer's max batch: bad requests, many of them.
                    var n = random.Between(1001, 3000);
                    var bad = BadTokenRequests.Robust(random, f.Issuer);
                    for (var i = 0; i < n; i++)
                    {
                        message.TokenRequests.Add(ByteString.CopyFrom(bad));
                    }

                    what = $"oversized-batch×{n}";
                    break;
                }

            default:
                {
                    // A batch with at least one bad request; the others may be anything (even signable).
                    var n = random.Between(1, 12);
                    var badAt = random.Next(n);
                    var names = new List<string>();
                    for (var i = 0; i < n; i++)
                    {
                        if (i == badAt)
                        {
                            var (bad, name) = BadTokenRequests.Any(random, f.Issuer);
                            message.TokenRequests.Add(ByteString.CopyFrom(bad));
                            names.Add(name);
                        }
                        else
                        {
                            message.TokenRequests.Add(ByteString.CopyFrom(random.Chance(0.5) ? f.ReplayTokenRequest : BadTokenRequests.Any(random, f.Issuer).Request));
                        }
                    }

                    what = $"batch of {n} with {string.Join("+", names)}";
                    break;
                }
        }

        return (message.ToByteArray(), $"valid card, {what}, {idName}", false);
    }

    private static (byte[], string, bool) SpentCardFlippedRequests(FuzzRandom random, FuzzFixture f)
    {
        var message = new RedeemRequest { CardCode = f.SpentCode, RequestId = ByteString.CopyFrom(RandomNumberGenerator.GetBytes(32)) };
        var n = random.Between(1, 8);
        for (var i = 0; i < n; i++)
        {
            var (bytes, _) = ByteMutator.Mutate(random, f.ReplayTokenRequest);
            message.TokenRequests.Add(ByteString.CopyFrom(random.Chance(0.3) ? f.ReplayTokenRequest : bytes));
        }

        return (message.ToByteArray(), $"spent card, {n} real or mutated requests", false);
    }

    private static (byte[], string, bool) Replay(FuzzRandom random, FuzzFixture f)
    {
        var message = new RedeemRequest { CardCode = f.ReplayCode, RequestId = ByteString.CopyFrom(f.ReplayRequestId) };
        message.TokenRequests.Add(ByteString.CopyFrom(f.ReplayTokenRequest));
        switch (random.Next(4))
        {
            case 0:
                return (message.ToByteArray(), "exact replay of a redemption", false);
            case 1:
                message.TokenRequests[0] = ByteString.CopyFrom(ByteMutator.Mutate(random, f.ReplayTokenRequest).Bytes);
                return (message.ToByteArray(), "used request id, other request", false);
            case 2:
                message.TokenRequests.Add(ByteString.CopyFrom(f.ReplayTokenRequest));
                return (message.ToByteArray(), "used request id, request twice", false);
            default:
                message.CardCode = random.Chance(0.5) ? f.ValidCode : f.SpentCode;
                return (message.ToByteArray(), "used request id, another card", false);
        }
    }

    private static (byte[], string, bool) WrongCode(FuzzRandom random, FuzzFixture f)
    {
        var (code, name) = ByteMutator.MutateText(random, random.Pick([f.ValidCode, f.SpentCode, f.ReplayCode]));
        var message = new RedeemRequest { CardCode = code, RequestId = ByteString.CopyFrom(RandomNumberGenerator.GetBytes(32)) };
        message.TokenRequests.Add(ByteString.CopyFrom(BadTokenRequests.Any(random, f.Issuer).Request));
        return (message.ToByteArray(), $"card code {name}", true);
    }

    /// <summary>The encoding of a request broken; the valid card's code appended last (the last value of a field wins).</summary>
    private static (byte[], string, bool) Encoding(FuzzRandom random, FuzzFixture f)
    {
        var template = new RedeemRequest { RequestId = ByteString.CopyFrom(RandomNumberGenerator.GetBytes(32)) };
        template.TokenRequests.Add(ByteString.CopyFrom(BadTokenRequests.Robust(random, f.Issuer)));
        var (bytes, name) = ProtoMutator.Mutate(random, template);
        if (name.StartsWith("card_code", StringComparison.Ordinal))
        {
            return (bytes, name, true);
        }

        return ([.. bytes, .. new RedeemRequest { CardCode = f.ValidCode }.ToByteArray()], name, false);
    }

    private static byte[] RequestId(FuzzRandom random, out string name)
    {
        switch (random.Next(6))
        {
            case 0:
                name = "short request id";
                return random.Bytes(random.Next(16));
            case 1:
                name = "long request id";
                return random.Bytes(random.Between(65, 4096));
            default:
                name = "request id ok";
                return random.Bytes(random.Between(16, 64));
        }
    }
}

/// <summary>issuer.proto's GetCard: the fixture's cards (a read), codes mutated every way (from the held-off addresses), broken encodings.</summary>
internal sealed class IssuerGetCardFamily : IFuzzFamily
{
    public string Endpoint => "issuer.grpc/GetCard";

    public int Weight => 4;

    public async Task<CaseResult> RunAsync(FuzzRandom random, FuzzContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(context);
        var f = context.Fixture;
        var code = random.Pick([f.ValidCode, f.SpentCode, f.ReplayCode]);
        byte[] request;
        string mutation;
        bool dirty;
        switch (random.Next(3))
        {
            case 0:
                request = new GetCardRequest { CardCode = code }.ToByteArray();
                mutation = "a real card";
                dirty = false;
                break;
            case 1:
                {
                    var (text, name) = ByteMutator.MutateText(random, code);
                    request = new GetCardRequest { CardCode = text }.ToByteArray();
                    mutation = "card code " + name;
                    dirty = true;
                    break;
                }

            default:
                (request, mutation) = ProtoMutator.Mutate(random, new GetCardRequest { CardCode = code });
                dirty = true;
                break;
        }

        var lane = dirty ? random.Pick(f.IssuerGrpcDirty) : f.IssuerGrpc;
        return context.Grpc(Endpoint, mutation, await lane.GrpcAsync("/sxl.issuer.v1.Issuer/GetCard", Lane.Frame(request), FuzzContext.Deadline, ct));
    }
}

/// <summary>issuer.proto's GetDirectory: its empty request mutated and garbage in its place.</summary>
internal sealed class IssuerGetDirectoryFamily : IFuzzFamily
{
    public string Endpoint => "issuer.grpc/GetDirectory";

    public int Weight => 2;

    public async Task<CaseResult> RunAsync(FuzzRandom random, FuzzContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(context);
        var (request, mutation) = random.Chance(0.5)
            ? ProtoMutator.Mutate(random, new GetDirectoryRequest())
            : (random.Bytes(random.Length(32, 8192)), "garbage");
        return context.Grpc(Endpoint, mutation, await context.Fixture.IssuerGrpc.GrpcAsync("/sxl.issuer.v1.Issuer/GetDirectory", Lane.Frame(request), FuzzContext.Deadline, ct));
    }
}
