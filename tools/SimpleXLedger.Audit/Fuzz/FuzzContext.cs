using System.Globalization;
using SimpleXLedger.Cards;
using SimpleXLedger.Tokens;
using StatusCode = Grpc.Core.StatusCode;

namespace SimpleXLedger.Audit.Fuzz;

/// <summary>What every case shares: the fixture, the deadlines, and the rules that turn an answer into a verdict.</summary>
internal sealed class FuzzContext
{
    /// <summary>Far beyond any honest answer on a loaded machine: an answer later than this is a hang.</summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(45);

    private readonly string[] _secretTexts;

    public FuzzContext(FuzzFixture fixture)
        : this(SecretTextsOf(fixture))
    {
        Fixture = fixture;
    }

    /// <summary>A judge alone (no fixture): for the judging rules' own tests.</summary>
    public FuzzContext(IEnumerable<string> secretTexts)
    {
        ArgumentNullException.ThrowIfNull(secretTexts);
        _secretTexts = [.. secretTexts.Where(t => t.Length >= 8).Distinct(StringComparer.Ordinal)];
        Fixture = null!;
    }

    /// <summary>The forms a secret of the fixture could take in an answer: card codes as given and normalised, queue ids in hex and base64url.</summary>
    private static List<string> SecretTextsOf(FuzzFixture fixture)
    {
        ArgumentNullException.ThrowIfNull(fixture);
        var texts = new List<string>();
        foreach (var code in new[] { fixture.ValidCode, fixture.SpentCode, fixture.ReplayCode })
        {
            texts.Add(code);
            texts.Add(CardCode.Parse(code).Reveal());
        }

        foreach (var relay in fixture.Relays)
        {
            texts.Add(Convert.ToHexString(relay.RecipientId));
            texts.Add(Convert.ToHexString(relay.SenderId));
            texts.Add(Base64Url.Encode(relay.RecipientId));
            texts.Add(Base64Url.Encode(relay.SenderId));
        }

        return texts;
    }

    public FuzzFixture Fixture { get; }

    /// <summary>A gRPC answer judged: Unknown, Internal, a missing status or a dropped call are untyped; the rest typed.</summary>
    public CaseResult Grpc(string endpoint, string mutation, WireAnswer answer, bool mayDrop = false)
    {
        ArgumentNullException.ThrowIfNull(answer);
        if (answer.TimedOut)
        {
            return new CaseResult(endpoint, mutation, "no answer", Verdict.Hang);
        }

        if (answer.Dropped is { } why)
        {
            return new CaseResult(endpoint, mutation, "dropped: " + why, mayDrop ? Verdict.Dropped : Verdict.Untyped);
        }

        if (Leaks(answer.GrpcMessage) || Leaks(answer.Body))
        {
            return new CaseResult(endpoint, mutation, "secret in the answer", Verdict.Leak);
        }

        if (answer.GrpcStatus is not { } code)
        {
            // Not even gRPC (e.g. a content type gRPC does not serve): an HTTP 4xx is a typed refusal.
            return answer.HttpStatus is >= 400 and < 500
                ? new CaseResult(endpoint, mutation, $"HTTP {answer.HttpStatus}", Verdict.Refused)
                : new CaseResult(endpoint, mutation, $"HTTP {answer.HttpStatus} without grpc-status", Verdict.Untyped);
        }

        var status = (StatusCode)code;
        var name = Enum.IsDefined(status) ? status.ToString() : code.ToString(CultureInfo.InvariantCulture);
        return status switch
        {
            StatusCode.OK => new CaseResult(endpoint, mutation, "OK", Verdict.Accepted),
            StatusCode.Unknown or StatusCode.Internal => new CaseResult(endpoint, mutation, $"{name}: {answer.GrpcMessage}", Verdict.Untyped),
            _ when !Enum.IsDefined(status) => new CaseResult(endpoint, mutation, $"status {name}", Verdict.Untyped),
            _ => new CaseResult(endpoint, mutation, answer.Reason is { Length: > 0 } r ? $"{name} ({r})" : name, Verdict.Refused),
        };
    }

    /// <summary>An HTTP answer judged: 2xx accepted, 4xx typed when it carries a problem body, everything else untyped.</summary>
    /// <param name="protocolLevel">The request breaks HTTP itself (a header too large): the server refuses it before any application code, with a bare 4xx.</param>
    public CaseResult Http(string endpoint, string mutation, WireAnswer answer, bool mayDrop = false, bool protocolLevel = false)
    {
        ArgumentNullException.ThrowIfNull(answer);
        if (answer.TimedOut)
        {
            return new CaseResult(endpoint, mutation, "no answer", Verdict.Hang);
        }

        if (answer.Dropped is { } why)
        {
            return new CaseResult(endpoint, mutation, "dropped: " + why, mayDrop ? Verdict.Dropped : Verdict.Untyped);
        }

        if (Leaks(answer.Body))
        {
            return new CaseResult(endpoint, mutation, "secret in the answer", Verdict.Leak);
        }

        var status = answer.HttpStatus;
        if (status is >= 200 and < 300)
        {
            return new CaseResult(endpoint, mutation, $"HTTP {status}", Verdict.Accepted);
        }

        if (status is >= 400 and < 500)
        {
            return IsProblem(answer) || protocolLevel
                ? new CaseResult(endpoint, mutation, $"HTTP {status}", Verdict.Refused)
                : new CaseResult(endpoint, mutation, $"HTTP {status} without a problem body ({answer.ContentType ?? "no content type"}, {answer.Body.Length} bytes)", Verdict.Untyped);
        }

        return new CaseResult(endpoint, mutation, $"HTTP {status}", Verdict.Untyped);
    }

    /// <summary>RFC 9457: <c>application/problem+json</c> with at least a status and a title.</summary>
    public static bool IsProblem(WireAnswer answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        if (answer.ContentType?.StartsWith("application/problem+json", StringComparison.OrdinalIgnoreCase) != true || answer.Body.Length == 0)
        {
            return false;
        }

        try
        {
            using var json = System.Text.Json.JsonDocument.Parse(answer.Body);
            return json.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object
                && json.RootElement.TryGetProperty("status", out _)
                && json.RootElement.TryGetProperty("title", out _);
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }

    public bool Leaks(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        foreach (var secret in _secretTexts)
        {
            if (text.Contains(secret, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    public bool Leaks(byte[] body) => body.Length > 0 && Leaks(System.Text.Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 64 * 1024)));
}
