using SimpleXLedger.Tokens;

namespace SimpleXLedger.Cli.Tests.Token;

/// <summary><c>sxl token keygen</c> and <c>sxl token verify</c>, run as the real program.</summary>
public sealed class TokenCommandTests
{
    private const string IssuerName = "issuer.sxl.test";

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task Keygen_writes_an_owner_only_pkcs8_file_and_prints_its_token_key()
    {
        using var dir = TokenCli.TempDir();
        var path = dir.File("issuer.pem");
        var result = await TokenCli.SxlAsync("token", "keygen", "--out", path);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", await File.ReadAllTextAsync(path), StringComparison.Ordinal);

        var printed = TokenPublicKey.FromBase64Url(result.Stdout.Trim());
        using var key = TokenPrivateKey.Load(path);
        Assert.Equal(key.PublicKey, printed);
        Assert.DoesNotContain("PRIVATE", result.Stdout + result.Stderr, StringComparison.Ordinal);

        // Never overwrites a key.
        var again = await TokenCli.SxlAsync("token", "keygen", "--out", path);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("already exists", again.Stderr, StringComparison.Ordinal);
        Assert.Equal(key.PublicKey, TokenPrivateKey.Load(path).PublicKey);
    }

    [Fact]
    public async Task Keygen_with_a_passphrase_file_writes_an_encrypted_key()
    {
        using var dir = TokenCli.TempDir();
        var passphrase = dir.File("pass");
        await File.WriteAllTextAsync(passphrase, "long and secret\n");
        var path = dir.File("issuer.pem");
        var result = await TokenCli.SxlAsync("token", "keygen", "--out", path, "--passphrase-file", passphrase);
        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----", await File.ReadAllTextAsync(path), StringComparison.Ordinal);
        using var key = TokenPrivateKey.Load(path, "long and secret");
        Assert.Equal(result.Stdout.Trim(), key.PublicKey.ToBase64Url());
    }

    [Fact]
    public async Task Verify_accepts_a_valid_token_and_refuses_tampered_ones_with_a_reason()
    {
        using var key = TokenPrivateKey.Generate();
        var challenge = TokenChallenge.ForNetwork(IssuerName);
        using var state = TokenClient.CreateRequest(key.PublicKey, challenge);
        var token = TokenClient.Finalize(state, TokenIssuer.Issue(key, state.Request));
        var tokenKey = key.PublicKey.ToBase64Url();

        var ok = await TokenCli.SxlAsync("token", "verify", "--token-key", tokenKey, "--issuer-name", IssuerName, "--token", token.ToBase64Url());
        Assert.Equal((0, "valid"), (ok.ExitCode, ok.Stdout.Trim()));

        // Unpadded base64url is accepted too.
        ok = await TokenCli.SxlAsync("token", "verify", "--token-key", tokenKey.TrimEnd('='), "--issuer-name", IssuerName, "--token", token.ToBase64Url().TrimEnd('='));
        Assert.Equal((0, "valid"), (ok.ExitCode, ok.Stdout.Trim()));

        async Task Refused(byte[] bytes, string reason, string issuer = IssuerName)
        {
            var r = await TokenCli.SxlAsync("token", "verify", "--token-key", tokenKey, "--issuer-name", issuer, "--token", Base64Url.Encode(bytes));
            Assert.Equal((1, $"invalid: {reason}"), (r.ExitCode, r.Stdout.Trim()));
        }

        byte[] Flipped(int index)
        {
            var copy = token.ToArray();
            copy[index] ^= 0x80;
            return copy;
        }

        await Refused(Flipped(1), "unsupported token type");
        await Refused(Flipped(2), "invalid authenticator");
        await Refused(Flipped(2 + 32), "challenge digest mismatch");
        await Refused(Flipped(2 + 64), "token key id mismatch");
        await Refused(Flipped(Tokens.Token.AuthenticatorInputLength + 17), "invalid authenticator");
        await Refused(token.ToArray()[..^1], "truncated input");
        await Refused([.. token.ToArray(), 0], "trailing bytes after the structure");
        await Refused(token.ToArray(), "challenge digest mismatch", issuer: "other.sxl.test");

        var garbage = await TokenCli.SxlAsync("token", "verify", "--token-key", tokenKey, "--issuer-name", IssuerName, "--token", "not base64url!");
        Assert.Equal((1, "invalid: not valid base64url"), (garbage.ExitCode, garbage.Stdout.Trim()));

        // Another issuer key: the token's key id does not match.
        using var other = TokenPrivateKey.Generate();
        var wrongKey = await TokenCli.SxlAsync("token", "verify", "--token-key", other.PublicKey.ToBase64Url(), "--issuer-name", IssuerName, "--token", token.ToBase64Url());
        Assert.Equal((1, "invalid: token key id mismatch"), (wrongKey.ExitCode, wrongKey.Stdout.Trim()));
    }

    [Theory]
    [InlineData("token", "verify", "--issuer-name", "i.example", "--token", "AAAA")] // missing --token-key
    [InlineData("token", "verify", "--token-key", "!!", "--issuer-name", "i.example", "--token", "AAAA")] // malformed key
    [InlineData("token", "verify", "--token-key", "AAAA", "--issuer-name", "i.example", "--token", "AAAA")] // not an SPKI
    [InlineData("token", "keygen")] // missing --out
    [InlineData("token", "keygen", "--out", "x.pem", "--bogus")]
    [InlineData("token", "frobnicate")]
    public async Task Usage_errors_exit_2(params string[] args)
    {
        var result = await TokenCli.SxlAsync(args);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("error", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(string.Empty, result.Stdout.Trim());
    }

    [Fact]
    public async Task A_bad_issuer_name_is_a_usage_error()
    {
        using var key = TokenPrivateKey.Generate();
        var result = await TokenCli.SxlAsync("token", "verify", "--token-key", key.PublicKey.ToBase64Url(), "--issuer-name", "a b", "--token", "AAAA");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--issuer-name", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("token")]
    [InlineData("token", "keygen")]
    [InlineData("token", "verify")]
    public async Task Every_token_command_has_help(params string[] command)
    {
        var result = await TokenCli.SxlAsync([.. command, "--help"]);
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Usage:", result.Stdout, StringComparison.Ordinal);
    }
}
