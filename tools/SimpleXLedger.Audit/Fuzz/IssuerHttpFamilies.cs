using System.Net.Http.Headers;
using System.Text;

namespace SimpleXLedger.Audit.Fuzz;

/// <summary>
/// RFC 9578 issuance over HTTP (<c>POST /token-request</c>): the Authorization header in every shape, content types
/// right and wrong, bodies empty, truncated, bad, bit-flipped or far too large, other methods and paths.
/// </summary>
internal sealed class IssuerTokenRequestFamily : IFuzzFamily
{
    private static readonly string[] ContentTypes =
    [
        "application/private-token-request", "application/private-token-request", "application/private-token-request",
        "APPLICATION/PRIVATE-TOKEN-REQUEST", "application/private-token-request; charset=utf-8", "application/json",
        "text/plain", "application/octet-stream", "multipart/form-data; boundary=x", "", "application/private-token-request\u0001",
    ];

    public string Endpoint => "issuer.http/token-request";

    public int Weight => 10;

    public async Task<CaseResult> RunAsync(FuzzRandom random, FuzzContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(context);
        var f = context.Fixture;
        var names = new List<string>();

        // Who pays: the untouched card (only with bodies no issuer may sign), the spent card, a wrong code, nobody.
        string? authorization;
        byte[] body;
        var dirty = false;
        switch (random.Next(6))
        {
            case 0 or 1:
                authorization = "GiftCard " + f.ValidCode;
                (body, var bad) = BadTokenRequests.Any(random, f.Issuer);
                names.Add("valid card, " + bad);
                break;
            case 2:
                authorization = "GiftCard " + f.SpentCode;
                body = random.Chance(0.5) ? f.ReplayTokenRequest : ByteMutator.Mutate(random, f.ReplayTokenRequest).Bytes;
                names.Add("spent card, real or mutated request");
                break;
            case 3:
                {
                    // A code mutated only in form (case, spaces) is still its card: a signable request goes with the spent one only.
                    var signable = random.Chance(0.5);
                    var (code, name) = ByteMutator.MutateText(random, signable ? f.SpentCode : f.ValidCode);
                    authorization = "GiftCard " + code.Replace("\r", string.Empty, StringComparison.Ordinal).Replace("\n", string.Empty, StringComparison.Ordinal);
                    body = signable ? f.ReplayTokenRequest : BadTokenRequests.Any(random, f.Issuer).Request;
                    names.Add("card code " + name);
                    dirty = true;
                    break;
                }

            case 4:
                authorization = random.Pick<string?>([null, "", "GiftCard", "GiftCard ", "Bearer abc", "Basic Zm9vOmJhcg==", "PrivateToken token=\"AAAA\"", "GiftCard\t" + f.ValidCode]);
                body = f.ReplayTokenRequest;
                names.Add("authorization " + (authorization is null ? "missing" : "malformed"));
                dirty = authorization?.Contains(f.ValidCode, StringComparison.Ordinal) == true;
                break;
            default:
                authorization = "GiftCard " + f.ValidCode;
                body = random.Next(3) switch
                {
                    0 => [],
                    1 => random.Bytes(random.Between(260, 4096)),
                    _ => new byte[random.Between(64 * 1024, 5 * 1024 * 1024)],
                };
                names.Add($"valid card, {body.Length}-byte body");
                break;
        }

        var method = random.Chance(0.93) ? HttpMethod.Post : random.Pick([HttpMethod.Get, HttpMethod.Put, HttpMethod.Delete, HttpMethod.Patch, HttpMethod.Options, new HttpMethod("BREW")]);
        var path = random.Chance(0.9) ? "/token-request" : random.Pick(["/token-request/", "/TOKEN-REQUEST", "/token-request?x=%00", "/token-request/../token-request", "/token-request;a=b"]);
        var contentType = random.Pick(ContentTypes);
        if (method != HttpMethod.Post)
        {
            names.Add(method.Method);
        }

        if (contentType != ContentTypes[0])
        {
            names.Add($"content type '{contentType}'");
        }

        using var request = new HttpRequestMessage(method, new Uri(f.IssuerHttp.BaseUri, path));
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", HttpText.Ascii(authorization));
        }

        var hugeHeader = random.Chance(0.05);
        if (hugeHeader)
        {
            request.Headers.TryAddWithoutValidation("X-Fuzz", new string('h', random.Between(8 * 1024, 64 * 1024)));
            names.Add("huge header");
        }

        var content = new ByteArrayContent(body);
        if (contentType.Length > 0)
        {
            content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        request.Content = content;
        // Refused by HTTP itself (Kestrel, before any endpoint): headers too large or with control characters, a body
        // past the server's limit (its answer may be lost when it closes the connection under the upload).
        var protocolLevel = HttpText.BreaksHttp(request);
        var tooLarge = body.Length > 4 * 1024 * 1024;
        var lane = protocolLevel || body.Length > 4096 ? f.IssuerHttpRough : dirty ? random.Pick(f.IssuerHttpDirty) : f.IssuerHttp;
        return context.Http(Endpoint, string.Join(", ", names), await lane.SendAsync(request, FuzzContext.Deadline, 64 * 1024, ct), mayDrop: protocolLevel || tooLarge, protocolLevel: protocolLevel || tooLarge);
    }
}

/// <summary>The directory (<c>GET /.well-known/private-token-issuer-directory</c>) with odd headers, and paths and methods nobody serves.</summary>
internal sealed class IssuerHttpOtherFamily : IFuzzFamily
{
    public string Endpoint => "issuer.http/other";

    public int Weight => 3;

    public async Task<CaseResult> RunAsync(FuzzRandom random, FuzzContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(context);
        var f = context.Fixture;
        string path;
        HttpMethod method;
        string mutation;
        switch (random.Next(4))
        {
            case 0:
                path = "/.well-known/private-token-issuer-directory" + random.Pick(["", "?x=1", "?" + new string('q', 4000), "/", "%2F"]);
                method = HttpMethod.Get;
                mutation = "directory";
                break;
            case 1:
                path = "/.well-known/private-token-issuer-directory";
                method = random.Pick([HttpMethod.Post, HttpMethod.Put, HttpMethod.Delete, HttpMethod.Head]);
                mutation = "directory, " + method.Method;
                break;
            case 2:
                path = random.Pick(["/", "/admin", "/.well-known/", "/sxl.issuer.v1.Issuer/Redeem", "/%00", "/" + new string('a', 2000), "/token-request/x", "/../../etc/passwd"]);
                method = random.Pick([HttpMethod.Get, HttpMethod.Post]);
                mutation = "unknown path";
                break;
            default:
                path = "/" + Convert.ToHexString(random.Bytes(random.Between(1, 64)));
                method = HttpMethod.Get;
                mutation = "random path";
                break;
        }

        using var request = new HttpRequestMessage(method, new Uri(f.IssuerHttp.BaseUri, path));
        if (random.Chance(0.3))
        {
            request.Headers.TryAddWithoutValidation("Accept", random.Pick(["*/*", "application/json", "text/html", "\u0001\u007f", string.Empty]));
        }

        if (method != HttpMethod.Get && method != HttpMethod.Head)
        {
            request.Content = new ByteArrayContent(random.Bytes(random.Length(64, 4096)));
        }

        var answer = await (HttpText.BreaksHttp(request) ? f.IssuerHttpRough : f.IssuerHttp).SendAsync(request, FuzzContext.Deadline, 64 * 1024, ct);
        if (method == HttpMethod.Head && answer.HttpStatus is >= 400 and < 500)
        {
            // A HEAD answer has no body by definition: its status is all it can say.
            return new CaseResult(Endpoint, mutation, $"HTTP {answer.HttpStatus}", Verdict.Refused);
        }

        var protocolLevel = HttpText.BreaksHttp(request);
        return context.Http(Endpoint, mutation, answer, mayDrop: protocolLevel, protocolLevel: protocolLevel);
    }
}

/// <summary>Bytes that are not HTTP as it should be, straight onto the issuer's sockets (both listeners).</summary>
internal sealed class IssuerRawFamily : IFuzzFamily
{
    public string Endpoint => "issuer.raw";

    public int Weight => 1;

    public async Task<CaseResult> RunAsync(FuzzRandom random, FuzzContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(context);
        var f = context.Fixture;
        var grpcPort = random.Chance(0.3);
        var target = grpcPort ? f.Targets.IssuerGrpc : f.Targets.IssuerHttp;
        var (payload, mutation) = RawPayloads.Http1(random, target);
        if (grpcPort)
        {
            (payload, mutation) = random.Chance(0.5) ? RawPayloads.Http2(random) : (payload, mutation);
        }

        var (received, closed) = await RawConnection.ExchangeAsync(target, null, tls: false, payload, TimeSpan.FromSeconds(2), ct);
        var text = Encoding.ASCII.GetString(received, 0, Math.Min(received.Length, 64));
        var endpoint = Endpoint + (grpcPort ? "/grpc-port" : "/http-port");
        if (text.StartsWith("HTTP/1.1 5", StringComparison.Ordinal) || text.StartsWith("HTTP/1.0 5", StringComparison.Ordinal))
        {
            return new CaseResult(endpoint, mutation, text.Split('\r')[0], Verdict.Untyped);
        }

        return new CaseResult(endpoint, mutation, received.Length == 0 ? (closed ? "closed" : "silent") : text.Split('\r')[0], received.Length > 0 ? Verdict.Refused : Verdict.Dropped);
    }
}
