using System.Buffers.Binary;

namespace SimpleXLedger.Audit.Fuzz;

/// <summary>
/// gRPC bodies broken below the message: frames cut short, lengths that lie, data after the message, a compressed flag
/// with no or a bogus encoding, flags that do not exist, empty bodies; and requests that are not gRPC at all (other
/// content types, GET, unknown methods and services). Sent to every method of every service.
/// </summary>
internal sealed class RawFrameFamily : IFuzzFamily
{
    private static readonly string[] IssuerMethods = ["/sxl.issuer.v1.Issuer/Redeem", "/sxl.issuer.v1.Issuer/GetCard", "/sxl.issuer.v1.Issuer/GetDirectory"];
    private static readonly string[] RelayMethods = ["/sxl.relay.v1.Relay/Hello", "/sxl.relay.v1.Relay/Execute", "/sxl.relay.v1.Relay/Subscribe", "/sxl.relay.v1.Relay/Session"];
    private static readonly string[] ClearingMethods = ["/sxl.clearing.v1.ClearingHouse/GetInfo", "/sxl.clearing.v1.ClearingHouse/RegisterOperator", "/sxl.clearing.v1.ClearingHouse/Redeem", "/sxl.settlement.v1.Settlement/GetEpoch"];

    public string Endpoint => "raw.grpc";

    public int Weight => 8;

    public async Task<CaseResult> RunAsync(FuzzRandom random, FuzzContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(context);
        var f = context.Fixture;
        Lane lane;
        string path;
        string service;
        switch (random.Next(3))
        {
            case 0:
                lane = f.IssuerGrpc;
                path = random.Pick(IssuerMethods);
                service = "issuer";
                break;
            case 1:
                {
                    var relay = random.Pick(f.Relays);
                    lane = relay.Sessionless;
                    path = random.Pick(RelayMethods);
                    service = relay.Relay.Name;
                    break;
                }

            default:
                lane = f.Clearing;
                path = random.Pick(ClearingMethods);
                service = "clearing";
                break;
        }

        var message = random.Bytes(random.Length(64, 2048));
        var contentType = "application/grpc";
        var method = HttpMethod.Post;
        var headers = new List<(string, string)>();
        byte[] body;
        string mutation;
        switch (random.Next(13))
        {
            case 0:
                body = Lane.Frame(message)[..random.Between(1, 4)];
                mutation = "frame header cut short";
                break;
            case 1:
                body = Lane.Frame(message);
                BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(1), (uint)(message.Length + random.Between(1, 4096)));
                mutation = "length longer than the message";
                break;
            case 2:
                body = [.. Lane.Frame(message), .. random.Bytes(random.Between(1, 64))];
                mutation = "data after the message";
                break;
            case 3:
                body = [.. Lane.Frame(message), .. Lane.Frame(message)];
                mutation = "two messages";
                break;
            case 4:
                body = Lane.Frame(message, flag: 1);
                mutation = "compressed flag, no encoding";
                break;
            case 5:
                body = Lane.Frame(message, flag: 1);
                headers.Add(("grpc-encoding", random.Pick(["gzip", "deflate", "identity", "br", "snappy", "zz"])));
                mutation = "compressed flag, encoding " + headers[0].Item2 + ", bytes not compressed";
                break;
            case 6:
                body = Lane.Frame(message, flag: (byte)random.Between(2, 255));
                mutation = "undefined flag";
                break;
            case 7:
                body = [];
                mutation = "empty body";
                break;
            case 8:
                body = Lane.Frame(message);
                BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(1), random.Chance(0.5) ? uint.MaxValue : (uint)int.MaxValue);
                mutation = "length of 2 or 4 GB";
                break;
            case 9:
                body = Lane.Frame(message);
                contentType = random.Pick(["application/json", "text/plain", "", "application/grpc+json", "application/grpc-web", "application/grpc; charset=\u0001"]);
                mutation = $"content type '{contentType}'";
                break;
            case 10:
                body = [];
                method = random.Pick([HttpMethod.Get, HttpMethod.Put, HttpMethod.Delete]);
                mutation = method.Method;
                break;
            case 11:
                body = Lane.Frame(message);
                path = random.Pick(["/sxl.issuer.v1.Issuer/Nope", "/sxl.relay.v1.Relay/Execut", "/nope.Service/Call", "/", "/sxl.clearing.v1.ClearingHouse/", "/grpc.health.v1.Health/Check", "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"]);
                mutation = "unknown method";
                break;
            default:
                body = random.Bytes(random.Length(32, 4096));
                mutation = "noise";
                break;
        }

        var answer = await lane.GrpcAsync(path, body, FuzzContext.Deadline, ct, contentType, method, headers);
        return context.Grpc($"raw.grpc/{service}", $"{path}: {mutation}", answer);
    }
}

/// <summary>Bytes that are not HTTP/2 as it should be, over TLS to the relays and the clearing house.</summary>
internal sealed class RawTlsFamily : IFuzzFamily
{
    public string Endpoint => "raw.tls";

    public int Weight => 1;

    public async Task<CaseResult> RunAsync(FuzzRandom random, FuzzContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(context);
        var f = context.Fixture;
        Uri target;
        byte[] fingerprint;
        string service;
        if (random.Chance(0.6))
        {
            var relay = random.Pick(f.Relays);
            target = relay.Relay.Address.HttpsUri;
            fingerprint = relay.Relay.Address.Fingerprint;
            service = relay.Relay.Name;
        }
        else
        {
            target = f.Targets.Clearing.HttpsUri;
            fingerprint = f.Targets.Clearing.Fingerprint;
            service = "clearing";
        }

        var tls = random.Chance(0.85);
        var (payload, mutation) = tls ? RawPayloads.Http2(random) : (random.Bytes(random.Length(64, 4096)), "not even TLS");
        var (received, closed) = await RawConnection.ExchangeAsync(target, fingerprint, tls, payload, TimeSpan.FromSeconds(2), ct);
        return new CaseResult($"raw.tls/{service}", mutation, received.Length == 0 ? (closed ? "closed" : "silent") : $"{received.Length} bytes back", Verdict.Dropped);
    }
}
