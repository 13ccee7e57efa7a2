using System.Text.Json;
using SimpleXLedger.Testing;
using SimpleXLedger.Tokens;

namespace SimpleXLedger.Cli.Tests.Token;

/// <summary>
/// Interop with an independent Privacy Pass implementation: Cloudflare's TypeScript privacypass-ts (tests/interop).
/// Its tokens must pass <c>sxl token verify</c>, tampered copies must not, and it must accept ours.
/// The harness installs its npm packages itself, once per run, under a file lock.
/// </summary>
public sealed class PrivacyPassInteropTests
{
    private const string IssuerName = "issuer.sxl.test";

    private static readonly string InteropDir = Path.Combine(RepositoryPaths.Root, "tests", "interop");
    private static readonly Lazy<Task> Installed = new(InstallAsync);

    private static async Task InstallAsync()
    {
        var result = await TokenCli.RunAsync(
            "flock",
            [Path.Combine(InteropDir, ".npm-install.lock"), "npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            InteropDir);
        Assert.True(result.ExitCode == 0, $"npm ci failed in tests/interop:\n{result.Stdout}\n{result.Stderr}");
    }

    private static async Task<(string TokenKey, string Challenge, string[] Tokens)> MintAsync(params string[] extra)
    {
        await Installed.Value;
        var result = await TokenCli.RunAsync("node", ["privacypass.mjs", "mint", "--issuer-name", IssuerName, .. extra], InteropDir);
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var json = JsonDocument.Parse(result.Stdout);
        var root = json.RootElement;
        return (root.GetProperty("tokenKey").GetString()!, root.GetProperty("challenge").GetString()!,
            root.GetProperty("tokens").EnumerateArray().Select(t => t.GetString()!).ToArray());
    }

    [Fact]
    public async Task Tokens_minted_by_privacypass_ts_with_a_key_from_sxl_keygen_verify_and_tampered_copies_do_not()
    {
        using var dir = TokenCli.TempDir();
        var pem = dir.File("issuer.pem");
        var keygen = await TokenCli.SxlAsync("token", "keygen", "--out", pem);
        Assert.Equal(0, keygen.ExitCode);
        var tokenKey = keygen.Stdout.Trim();

        var minted = await MintAsync("--key", pem, "--count", "3");

        // The independent implementation computes the same SPKI and the same network challenge.
        Assert.Equal(tokenKey, minted.TokenKey);
        Assert.Equal(TokenChallenge.ForNetwork(IssuerName).ToBase64Url(), minted.Challenge);

        foreach (var token in minted.Tokens)
        {
            var ok = await TokenCli.SxlAsync("token", "verify", "--token-key", tokenKey, "--issuer-name", IssuerName, "--token", token);
            Assert.Equal((0, "valid"), (ok.ExitCode, ok.Stdout.Trim()));
        }

        // Tampered copies of a foreign token: one bit in each field, truncated, extended, another issuer name.
        Assert.True(Base64Url.TryDecode(minted.Tokens[0], out var bytes));
        var tampered = new List<(string Token, string Issuer)>();
        foreach (var index in new[] { 1, 2, 33, 34, 65, 66, 97, 98, 200, 353 })
        {
            var copy = (byte[])bytes.Clone();
            copy[index] ^= 0x01;
            tampered.Add((Base64Url.Encode(copy), IssuerName));
        }

        tampered.Add((Base64Url.Encode(bytes[..^1]), IssuerName));
        tampered.Add((Base64Url.Encode([.. bytes, 0]), IssuerName));
        tampered.Add((minted.Tokens[0], "other.sxl.test"));
        foreach (var (token, issuer) in tampered)
        {
            var refused = await TokenCli.SxlAsync("token", "verify", "--token-key", tokenKey, "--issuer-name", issuer, "--token", token);
            Assert.Equal(1, refused.ExitCode);
            Assert.StartsWith("invalid: ", refused.Stdout.Trim(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Tokens_under_a_key_privacypass_ts_generated_itself_verify()
    {
        var minted = await MintAsync();
        var key = TokenPublicKey.FromBase64Url(minted.TokenKey);
        Assert.Equal(2048, key.RsaKey.ModulusBits);
        var ok = await TokenCli.SxlAsync("token", "verify", "--token-key", minted.TokenKey, "--issuer-name", IssuerName, "--token", minted.Tokens[0]);
        Assert.Equal((0, "valid"), (ok.ExitCode, ok.Stdout.Trim()));
    }

    [Fact]
    public async Task Privacypass_ts_accepts_our_tokens_and_refuses_tampered_ones()
    {
        await Installed.Value;
        using var key = TokenPrivateKey.Generate();
        using var state = TokenClient.CreateRequest(key.PublicKey, TokenChallenge.ForNetwork(IssuerName));
        var token = TokenClient.Finalize(state, TokenIssuer.Issue(key, state.Request));

        var ok = await TokenCli.RunAsync("node", ["privacypass.mjs", "verify", "--issuer-name", IssuerName, "--token-key", key.PublicKey.ToBase64Url(), "--token", token.ToBase64Url()], InteropDir);
        Assert.Equal((0, "valid"), (ok.ExitCode, ok.Stdout.Trim()));

        var copy = token.ToArray();
        copy[300] ^= 0x04;
        var refused = await TokenCli.RunAsync("node", ["privacypass.mjs", "verify", "--issuer-name", IssuerName, "--token-key", key.PublicKey.ToBase64Url(), "--token", Base64Url.Encode(copy)], InteropDir);
        Assert.Equal((1, "invalid"), (refused.ExitCode, refused.Stdout.Trim()));
    }
}
