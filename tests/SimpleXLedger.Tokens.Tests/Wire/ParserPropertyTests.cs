using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using SimpleXLedger.Tokens.Tests.Support;

namespace SimpleXLedger.Tokens.Tests.Wire;

/// <summary>Random input never crashes a parser: it yields a value or a typed error, never an exception.</summary>
public sealed class ParserPropertyTests
{
    private static readonly byte[] ValidToken = SharedKeys.MintToken().ToArray();
    private static readonly byte[] ValidChallenge = TokenChallenge.Create("issuer.sxl.test", new byte[32], "a.example,b.example").ToArray();
    private static readonly byte[] ValidSpki = SharedKeys.Issuer.PublicKey.ExportSpki();

    private static bool Consistent(bool ok, TokenError error) => ok == (error == TokenError.None);

    [Property(MaxTest = 500)]
    public bool Random_bytes_never_crash_the_binary_parsers(byte[] data)
    {
        data ??= [];
        return Consistent(Token.TryParse(data, out var t, out var e1), e1) && (t is null || t.Encoded.Length == Token.Length)
            && Consistent(TokenRequest.TryParse(data, out _, out var e2), e2)
            && Consistent(TokenResponse.TryParse(data, out _, out var e3), e3)
            && Consistent(TokenChallenge.TryParse(data, out _, out var e4), e4)
            && Consistent(TokenPublicKey.TryFromSpki(data, out _, out var e5), e5)
            && Consistent(TokenRequestState.TryImportSecret(SharedKeys.Issuer.PublicKey, data, out _, out var e6), e6);
    }

    [Property(MaxTest = 300)]
    public bool Mutated_valid_encodings_never_crash_the_parsers(PositiveInt position, byte value, bool truncate)
    {
        foreach (var valid in new[] { ValidToken, ValidChallenge, ValidSpki })
        {
            var copy = (byte[])valid.Clone();
            var i = position.Get % copy.Length;
            copy[i] = value;
            var input = truncate ? copy[..i] : copy;
            if (!Consistent(Token.TryParse(input, out _, out var e1), e1)
                || !Consistent(TokenChallenge.TryParse(input, out _, out var e2), e2)
                || !Consistent(TokenPublicKey.TryFromSpki(input, out _, out var e3), e3))
            {
                return false;
            }
        }

        return true;
    }

    [Property(MaxTest = 500)]
    public bool Random_strings_never_crash_the_text_parsers(string text)
    {
        _ = Base64Url.TryDecode(text, out _);
        _ = PrivateTokenHeaders.TryParseChallenges(text, out _);
        _ = PrivateTokenHeaders.TryParseChallenges("PrivateToken " + text, out _);
        var a = PrivateTokenHeaders.TryParseAuthorization(text, out _, out var e1);
        var b = PrivateTokenHeaders.TryParseAuthorization("PrivateToken token=" + text, out _, out var e2);
        var c = Token.TryParseBase64Url(text, out _, out var e3);
        var d = TokenPublicKey.TryFromBase64Url(text, out _, out var e4);
        var e = IssuerDirectory.TryParse(text, out _, out var e5);
        return Consistent(a, e1) && Consistent(b, e2) && Consistent(c, e3) && Consistent(d, e4) && Consistent(e, e5);
    }

    [Property(MaxTest = 200)]
    public bool Base64url_round_trips(byte[] data)
    {
        data ??= [];
        var text = Base64Url.Encode(data);
        return Base64Url.TryDecode(text, out var a) && a.AsSpan().SequenceEqual(data)
            && Base64Url.TryDecode(text.TrimEnd('='), out var b) && b.AsSpan().SequenceEqual(data);
    }

    [Property(MaxTest = 200)]
    public Property Challenges_round_trip(NonEmptyString issuer, bool withContext)
    {
        var name = new string(issuer.Get.Where(c => c is > ' ' and < (char)0x7F and not (',' or '@' or '/' or '\\' or '?' or '#')).ToArray());
        var valid = name.Length > 0;
        return (!valid || TokenChallenge.Parse(TokenChallenge.Create(name, withContext ? new byte[32] : [], "").Encoded).IssuerName == name).Label(name);
    }
}
