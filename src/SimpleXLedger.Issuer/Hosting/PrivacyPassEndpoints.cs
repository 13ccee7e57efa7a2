using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Mediator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.WebUtilities;
using SimpleXLedger.Cards;
using SimpleXLedger.Hosting.Pipeline;
using SimpleXLedger.Issuer.Issuance;
using SimpleXLedger.Issuer.Keys;
using SimpleXLedger.Issuer.Ledger;
using SimpleXLedger.Tokens;

namespace SimpleXLedger.Issuer.Hosting;

/// <summary>
/// RFC 9578 issuance over HTTP for any standard Privacy Pass client, paid with a gift card:
/// <c>GET /.well-known/private-token-issuer-directory</c> and <c>POST /token-request</c> with
/// <c>Authorization: GiftCard &lt;code&gt;</c>. One request debits one credit; the same TokenRequest under the same
/// card is answered again (signing is deterministic) without a second debit.
/// </summary>
public static class PrivacyPassEndpoints
{
    public const string DirectoryPath = "/.well-known/private-token-issuer-directory";
    public const string RequestPath = "/token-request";
    public const string DirectoryMediaType = "application/private-token-issuer-directory";
    public const string RequestMediaType = "application/private-token-request";
    public const string ResponseMediaType = "application/private-token-response";
    public const string AuthScheme = "GiftCard";

    public static void Map(IEndpointRouteBuilder app, string? requireHost)
    {
        ArgumentNullException.ThrowIfNull(app);
        var directory = app.MapGet(DirectoryPath, ServeDirectoryAsync);
        var request = app.MapPost(RequestPath, IssueAsync);
        if (requireHost is not null)
        {
            directory.RequireHost(requireHost);
            request.RequireHost(requireHost);
        }
    }

    /// <summary>
    /// The directory's <c>issuer-request-uri</c>: from configuration only, never from the request (its Host header is
    /// the client's to choose, and a per-client URI would tag the client).
    /// </summary>
    public static string RequestUri(IssuerSettings settings, Uri? boundHttp)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var origin = settings.PublicOrigin
            ?? (settings.Devnet && boundHttp is not null ? boundHttp : new Uri("https://" + settings.Name));
        return new Uri(origin, RequestPath).ToString();
    }

    private static async Task ServeDirectoryAsync(HttpContext context, IssuingKeyDirectory keys, IssuerSettings settings, ILedgerView ledger, IssuerHttpOrigin bound)
    {
        // Only the key that issues now (key consistency: no other key is ever offered).
        var key = await keys.CurrentAsync(context.RequestAborted);
        var uri = RequestUri(settings, bound.Uri);
        var directory = key is null
            ? new IssuerDirectory(uri, [])
            : IssuerDirectory.Create(uri, (TokenPublicKey.FromSpki(key.Spki), DateTimeOffset.FromUnixTimeSeconds(key.UsableFrom)));
        var json = JsonNode.Parse(directory.ToJson())!.AsObject();
        if (ledger.IsDevelopment)
        {
            // Not part of RFC 9578 (clients ignore unknown members): says plainly that cards here are not funded.
            json["sxl-development-mode"] = true;
        }

        context.Response.ContentType = DirectoryMediaType;
        context.Response.Headers.CacheControl = "max-age=60";
        await context.Response.WriteAsync(json.ToJsonString(), context.RequestAborted);
    }

    private static async Task IssueAsync(HttpContext context, IMediator mediator, WrongCodeLimiter limiter)
    {
        var client = ClientAddress.Of(context);
        var authorization = context.Request.Headers.Authorization.ToString();
        if (!authorization.StartsWith(AuthScheme + " ", StringComparison.OrdinalIgnoreCase))
        {
            context.Response.Headers.WWWAuthenticate = AuthScheme;
            await Refuse(context, StatusCodes.Status401Unauthorized, "gift card required (Authorization: GiftCard <code>)");
            return;
        }

        if (!string.Equals(context.Request.ContentType, RequestMediaType, StringComparison.OrdinalIgnoreCase))
        {
            await Refuse(context, StatusCodes.Status415UnsupportedMediaType, $"content type must be {RequestMediaType}");
            return;
        }

        var body = await ReadBodyAsync(context.Request, TokenRequest.Length + 1, context.RequestAborted);
        if (body is null || !TokenRequest.TryParse(body, out _, out _))
        {
            await Refuse(context, StatusCodes.Status422UnprocessableEntity, RedeemOutcome.Reason(RedeemStatus.BadTokenRequest));
            return;
        }

        if (!limiter.MayTry(client))
        {
            await Refuse(context, StatusCodes.Status429TooManyRequests, "too many wrong card codes; try again later");
            return;
        }

        if (!CardCode.TryParse(authorization.AsSpan(AuthScheme.Length + 1), out var code, out var error))
        {
            limiter.RecordWrong(client);
            await Refuse(context, StatusCodes.Status401Unauthorized, CardCodeFormatException.Describe(error));
            return;
        }

        // The same TokenRequest under the same card always maps to the same request id: a repeat is a replay.
        var hash = code.ComputeHash();
        var requestId = SHA256.HashData([.. Encoding.ASCII.GetBytes("sxl-http-request-v1"), .. hash.Bytes, .. body]);
        RedeemOutcome outcome;
        try
        {
            outcome = await mediator.Send(new RedeemGiftCard(code, requestId, [body]), context.RequestAborted);
        }
        catch (CommandValidationException e)
        {
            await Refuse(context, StatusCodes.Status400BadRequest, e.Message);
            return;
        }

        if (!outcome.Succeeded)
        {
            if (outcome.Status == RedeemStatus.UnknownCard)
            {
                limiter.RecordWrong(client);
            }

            await Refuse(context, StatusOf(outcome.Status), RedeemOutcome.Reason(outcome.Status));
            return;
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = ResponseMediaType;
        await context.Response.Body.WriteAsync(outcome.Responses[0], context.RequestAborted);
    }

    private static int StatusOf(RedeemStatus status) => status switch
    {
        RedeemStatus.UnknownCard => StatusCodes.Status401Unauthorized,
        RedeemStatus.Unfunded or RedeemStatus.Spent or RedeemStatus.InsufficientCredits or RedeemStatus.Revoked or RedeemStatus.Expired => StatusCodes.Status403Forbidden,
        RedeemStatus.WrongKey or RedeemStatus.BadTokenRequest or RedeemStatus.BadBatchSize => StatusCodes.Status422UnprocessableEntity,
        RedeemStatus.NoIssuingKey => StatusCodes.Status503ServiceUnavailable,
        RedeemStatus.RequestIdReused => StatusCodes.Status409Conflict,
        _ => StatusCodes.Status400BadRequest,
    };

    /// <summary>The problem body of a refusal no endpoint wrote (no such path, a method not allowed), whatever the client accepts.</summary>
    public static Task WriteStatusProblemAsync(StatusCodeContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var status = context.HttpContext.Response.StatusCode;
        return Refuse(context.HttpContext, status, status == StatusCodes.Status404NotFound ? "no such resource" : ReasonPhrases.GetReasonPhrase(status));
    }

    /// <summary>A refusal with an RFC 9457 problem body: the status, its title, and the reason (which never names the card).</summary>
    private static async Task Refuse(HttpContext context, int status, string reason)
    {
        context.Response.StatusCode = status;
        var problem = new JsonObject
        {
            ["type"] = "about:blank",
            ["title"] = ReasonPhrases.GetReasonPhrase(status),
            ["status"] = status,
            ["detail"] = reason,
        };
        context.Response.ContentType = "application/problem+json";
        await context.Response.WriteAsync(problem.ToJsonString(), context.RequestAborted);
    }

    /// <summary>Reads at most <paramref name="limit"/> bytes; null when the body is longer (it is never buffered whole).</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit)
        {
            return null;
        }

        var buffer = new byte[limit];
        var total = 0;
        while (total < limit)
        {
            var read = await request.Body.ReadAsync(buffer.AsMemory(total), cancellationToken);
            if (read == 0)
            {
                return buffer[..total];
            }

            total += read;
        }

        return null;
    }
}
