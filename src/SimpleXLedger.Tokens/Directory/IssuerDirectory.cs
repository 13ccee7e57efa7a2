using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace SimpleXLedger.Tokens;

/// <summary>One "token-keys" entry of an issuer directory (RFC 9578 §4).</summary>
/// <param name="TokenType">The "token-type" number.</param>
/// <param name="TokenKey">The "token-key" as written (base64url); see <see cref="TryGetPublicKey"/>.</param>
/// <param name="NotBefore">"not-before", UNIX seconds, when present.</param>
public sealed record IssuerDirectoryKey(int TokenType, string TokenKey, long? NotBefore)
{
    /// <summary>The type 2 public key of this entry, if it is one and is well-formed.</summary>
    public bool TryGetPublicKey([NotNullWhen(true)] out TokenPublicKey? key)
    {
        key = null;
        return TokenType == TokenTypes.BlindRsa2048 && TokenPublicKey.TryFromBase64Url(TokenKey, out key, out _);
    }
}

/// <summary>
/// The issuer directory JSON (RFC 9578 §4) served at /.well-known/private-token-issuer-directory:
/// <c>{"issuer-request-uri": "...", "token-keys": [{"token-type": 2, "token-key": "...", "not-before": 123}]}</c>.
/// </summary>
public sealed class IssuerDirectory
{
    public const string WellKnownPath = "/.well-known/private-token-issuer-directory";
    public const string MediaType = "application/private-token-issuer-directory";

    private const int MaxJsonLength = 1 << 20;

    public IssuerDirectory(string issuerRequestUri, IReadOnlyList<IssuerDirectoryKey> tokenKeys)
    {
        ArgumentException.ThrowIfNullOrEmpty(issuerRequestUri);
        ArgumentNullException.ThrowIfNull(tokenKeys);
        IssuerRequestUri = issuerRequestUri;
        TokenKeys = tokenKeys;
    }

    public string IssuerRequestUri { get; }

    /// <summary>In the issuer's order of preference.</summary>
    public IReadOnlyList<IssuerDirectoryKey> TokenKeys { get; }

    /// <summary>A directory listing the given type 2 keys in order.</summary>
    public static IssuerDirectory Create(string issuerRequestUri, params IEnumerable<(TokenPublicKey Key, DateTimeOffset? NotBefore)> keys) =>
        new(issuerRequestUri, keys.Select(k => new IssuerDirectoryKey(TokenTypes.BlindRsa2048, k.Key.ToBase64Url(), k.NotBefore?.ToUnixTimeSeconds())).ToList());

    /// <summary>RFC 9578 §4 client rule: the first type 2 key without "not-before" or with it in the past.</summary>
    public TokenPublicKey? CurrentKey(DateTimeOffset now)
    {
        foreach (var entry in TokenKeys)
        {
            if ((entry.NotBefore is null || entry.NotBefore <= now.ToUnixTimeSeconds()) && entry.TryGetPublicKey(out var key))
            {
                return key;
            }
        }

        return null;
    }

    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false }))
        {
            w.WriteStartObject();
            w.WriteString("issuer-request-uri", IssuerRequestUri);
            w.WriteStartArray("token-keys");
            foreach (var k in TokenKeys)
            {
                w.WriteStartObject();
                w.WriteNumber("token-type", k.TokenType);
                w.WriteString("token-key", k.TokenKey);
                if (k.NotBefore is { } nb)
                {
                    w.WriteNumber("not-before", nb);
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>
    /// Parses a directory. Required: "issuer-request-uri" (string) and "token-keys" (array of objects with a
    /// numeric "token-type" and a string "token-key"; optional numeric "not-before"). Unknown members are ignored.
    /// </summary>
    public static bool TryParse(string? json, [NotNullWhen(true)] out IssuerDirectory? directory, out TokenError error)
    {
        directory = null;
        error = TokenError.InvalidDirectory;
        if (json is null || json.Length > MaxJsonLength)
        {
            return false;
        }

        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, MaxDepth = 8 });
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("issuer-request-uri", out var uri) || uri.ValueKind != JsonValueKind.String
                || string.IsNullOrEmpty(uri.GetString())
                || !root.TryGetProperty("token-keys", out var keys) || keys.ValueKind != JsonValueKind.Array)
            {
                return false;
            }

            var list = new List<IssuerDirectoryKey>();
            foreach (var k in keys.EnumerateArray())
            {
                if (k.ValueKind != JsonValueKind.Object
                    || !k.TryGetProperty("token-type", out var type) || type.ValueKind != JsonValueKind.Number || !type.TryGetInt32(out var tokenType)
                    || tokenType is < 0 or > ushort.MaxValue
                    || !k.TryGetProperty("token-key", out var key) || key.ValueKind != JsonValueKind.String)
                {
                    return false;
                }

                long? notBefore = null;
                if (k.TryGetProperty("not-before", out var nb))
                {
                    if (nb.ValueKind != JsonValueKind.Number || !nb.TryGetInt64(out var seconds) || seconds < 0)
                    {
                        return false;
                    }

                    notBefore = seconds;
                }

                list.Add(new IssuerDirectoryKey(tokenType, key.GetString()!, notBefore));
            }

            directory = new IssuerDirectory(uri.GetString()!, list);
            error = TokenError.None;
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
