using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace SimpleXLedger.Tokens;

/// <summary>One usable "PrivateToken" challenge from a WWW-Authenticate value (RFC 9577 §2.1.2).</summary>
/// <param name="Challenge">The parsed TokenChallenge (type 2).</param>
/// <param name="TokenKey">The "token-key" parameter, when present.</param>
/// <param name="MaxAge">The "max-age" parameter in seconds, when present.</param>
public sealed record PrivateTokenChallenge(TokenChallenge Challenge, TokenPublicKey? TokenKey, int? MaxAge);

/// <summary>
/// The "PrivateToken" HTTP authentication scheme values (RFC 9577 §2.1.2 and §2.2.2): build and parse the
/// WWW-Authenticate challenge and the Authorization credentials. The same strings travel in gRPC metadata.
/// </summary>
public static class PrivateTokenHeaders
{
    public const string Scheme = "PrivateToken";

    /// <summary><c>PrivateToken challenge="…", token-key="…"[, max-age="…"]</c>.</summary>
    public static string FormatChallenge(TokenChallenge challenge, TokenPublicKey? tokenKey, int? maxAge = null)
    {
        ArgumentNullException.ThrowIfNull(challenge);
        var sb = new StringBuilder(Scheme).Append(" challenge=\"").Append(challenge.ToBase64Url()).Append('"');
        if (tokenKey is not null)
        {
            sb.Append(", token-key=\"").Append(tokenKey.ToBase64Url()).Append('"');
        }

        if (maxAge is { } age)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(age, nameof(maxAge));
            sb.Append(", max-age=\"").Append(age.ToString(CultureInfo.InvariantCulture)).Append('"');
        }

        return sb.ToString();
    }

    /// <summary><c>PrivateToken token="…"</c>.</summary>
    public static string FormatAuthorization(Token token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return $"{Scheme} token=\"{token.ToBase64Url()}\"";
    }

    /// <summary>
    /// All usable PrivateToken challenges in a WWW-Authenticate value, in order. Other schemes, challenges of
    /// unsupported token types, and malformed challenges are skipped (RFC 9577 §2.1.3: clients ignore them);
    /// unknown parameters are ignored. Returns false only when the header itself cannot be parsed.
    /// </summary>
    public static bool TryParseChallenges(string? wwwAuthenticate, out IReadOnlyList<PrivateTokenChallenge> challenges)
    {
        var usable = new List<PrivateTokenChallenge>();
        challenges = usable;
        if (!AuthHeaderParser.TryParse(wwwAuthenticate, out var parsed))
        {
            return false;
        }

        foreach (var (scheme, parameters) in parsed)
        {
            if (!scheme.Equals(Scheme, StringComparison.OrdinalIgnoreCase)
                || !parameters.TryGetValue("challenge", out var challengeText)
                || !Base64Url.TryDecode(challengeText, out var challengeBytes)
                || !TokenChallenge.TryParse(challengeBytes, out var challenge, out _))
            {
                continue;
            }

            TokenPublicKey? key = null;
            if (parameters.TryGetValue("token-key", out var keyText) && !TokenPublicKey.TryFromBase64Url(keyText, out key, out _))
            {
                continue;
            }

            int? maxAge = null;
            if (parameters.TryGetValue("max-age", out var maxAgeText))
            {
                if (!int.TryParse(maxAgeText, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
                {
                    continue;
                }

                maxAge = seconds;
            }

            usable.Add(new PrivateTokenChallenge(challenge, key, maxAge));
        }

        return true;
    }

    /// <summary>Parses <c>PrivateToken token="…"</c> (other parameters ignored) into a type 2 token.</summary>
    public static bool TryParseAuthorization(string? authorization, [NotNullWhen(true)] out Token? token, out TokenError error)
    {
        token = null;
        if (!AuthHeaderParser.TryParse(authorization, out var parsed) || parsed.Count != 1
            || !parsed[0].Scheme.Equals(Scheme, StringComparison.OrdinalIgnoreCase)
            || !parsed[0].Parameters.TryGetValue("token", out var tokenText))
        {
            error = TokenError.InvalidHeader;
            return false;
        }

        return Token.TryParseBase64Url(tokenText, out token, out error);
    }
}

/// <summary>RFC 9110 §11 challenge/credentials lists: <c>scheme [ token68 / #auth-param ]</c>, comma-separated.</summary>
internal static class AuthHeaderParser
{
    private const int MaxLength = 64 * 1024;

    public static bool TryParse(string? value, out List<(string Scheme, Dictionary<string, string> Parameters)> result)
    {
        result = [];
        if (value is null || value.Length > MaxLength)
        {
            return false;
        }

        var s = value.AsSpan();
        var i = 0;
        while (true)
        {
            SkipSeparators(s, ref i, commas: true);
            if (i >= s.Length)
            {
                break;
            }

            var scheme = ReadToken(s, ref i);
            if (scheme.Length == 0)
            {
                return false;
            }

            var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            result.Add((scheme, parameters));
            var first = true;
            while (true)
            {
                var j = i;
                SkipSeparators(s, ref j, commas: false);
                if (!first)
                {
                    if (j >= s.Length || s[j] != ',')
                    {
                        if (j >= s.Length)
                        {
                            i = j;
                            break;
                        }

                        return false;
                    }

                    j++;
                    SkipSeparators(s, ref j, commas: true);
                }
                else if (j == i && j < s.Length && s[j] != ',')
                {
                    // The scheme must be followed by a space before its parameters.
                    return false;
                }

                var k = j;
                var name = ReadToken(s, ref k);
                var m = k;
                SkipSeparators(s, ref m, commas: false);
                if (name.Length > 0 && m < s.Length && s[m] == '=' && !(m + 1 >= s.Length || s[m + 1] is '=' or ','))
                {
                    m++;
                    SkipSeparators(s, ref m, commas: false);
                    if (!TryReadValue(s, ref m, out var paramValue))
                    {
                        return false;
                    }

                    // RFC 9110: each parameter name occurs once per challenge.
                    if (!parameters.TryAdd(name, paramValue))
                    {
                        return false;
                    }

                    i = m;
                    first = false;
                    continue;
                }

                if (first && j < s.Length && s[j] != ',')
                {
                    // token68
                    var t = j;
                    while (t < s.Length && (char.IsAsciiLetterOrDigit(s[t]) || s[t] is '-' or '.' or '_' or '~' or '+' or '/'))
                    {
                        t++;
                    }

                    while (t < s.Length && s[t] == '=')
                    {
                        t++;
                    }

                    if (t == j)
                    {
                        return false;
                    }

                    parameters[string.Empty] = s[j..t].ToString();
                    i = t;
                    first = false;
                    continue;
                }

                // Next challenge (or the end).
                i = j;
                break;
            }
        }

        return true;
    }

    private static void SkipSeparators(ReadOnlySpan<char> s, ref int i, bool commas)
    {
        while (i < s.Length && (s[i] is ' ' or '\t' || (commas && s[i] == ',')))
        {
            i++;
        }
    }

    private static string ReadToken(ReadOnlySpan<char> s, ref int i)
    {
        var start = i;
        while (i < s.Length && IsTokenChar(s[i]))
        {
            i++;
        }

        return s[start..i].ToString();
    }

    private static bool TryReadValue(ReadOnlySpan<char> s, ref int i, out string value)
    {
        value = string.Empty;
        if (i < s.Length && s[i] == '"')
        {
            var sb = new StringBuilder();
            i++;
            while (i < s.Length)
            {
                var c = s[i++];
                if (c == '"')
                {
                    value = sb.ToString();
                    return true;
                }

                if (c == '\\')
                {
                    if (i >= s.Length)
                    {
                        return false;
                    }

                    c = s[i++];
                }

                if (c < ' ' && c != '\t' || c == 0x7F)
                {
                    return false;
                }

                sb.Append(c);
            }

            return false;
        }

        value = ReadToken(s, ref i);
        return value.Length > 0;
    }

    private static bool IsTokenChar(char c) =>
        char.IsAsciiLetterOrDigit(c) || c is '!' or '#' or '$' or '%' or '&' or '\'' or '*' or '+' or '-' or '.' or '^' or '_' or '`' or '|' or '~';
}
