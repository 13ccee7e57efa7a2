using System.Diagnostics;
using System.Text.Json;
using SimpleXLedger.Testing;
using SimpleXLedger.Testing.Hosts;
using SimpleXLedger.Tokens;

namespace SimpleXLedger.Issuer.Tests.Hosting;

/// <summary>
/// An independent RFC 9578 client, Cloudflare's privacypass-ts (tests/interop/issuer-client.mjs), gets tokens from
/// the issuer over HTTP with a gift card, and never more than the card's value.
/// </summary>
public class PrivacyPassClientInteropTests
{
    private static readonly string InteropDir = Path.Combine(RepositoryPaths.Root, "tests", "interop");

    [Fact]
    public async Task Privacypass_ts_gets_exactly_the_cards_value_in_valid_tokens_over_http()
    {
        await RunAsync("flock", [Path.Combine(InteropDir, ".npm-install.lock"), "npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], null);
        await using var server = await IssuerServer.StartAsync(tls: false, key: () => SharedKeys.Get(1));
        var code = (await server.CreateCardsAsync(4))[0];

        var output = await RunAsync(
            "node",
            ["issuer-client.mjs", "--issuer", server.HttpUrl.ToString(), "--issuer-name", TestIssuer.IssuerName, "--count", "7"],
            code.Reveal());

        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        Assert.Equal(4, root.GetProperty("issued").GetInt32());
        Assert.Equal([403, 403, 403], root.GetProperty("refused").EnumerateArray().Select(e => e.GetInt32()));
        Assert.True(root.GetProperty("repeatedSame").GetBoolean());
        Assert.Equal(server.Key.ToBase64Url(), root.GetProperty("tokenKey").GetString());
        var challenge = TokenChallenge.ForNetwork(TestIssuer.IssuerName);
        foreach (var text in root.GetProperty("tokens").EnumerateArray().Select(t => t.GetString()))
        {
            Assert.True(Token.TryParseBase64Url(text, out var token, out _));
            Assert.True(TokenVerifier.Verify(server.Key, token, challenge));
        }

        Assert.Equal(0, (await server.CardAsync(code)).Remaining);
    }

    private static async Task<string> RunAsync(string program, string[] arguments, string? card)
    {
        var environment = new Dictionary<string, string?>();
        if (card is not null)
        {
            environment["SXL_CARD"] = card; // not on the command line, where other users could see it
        }

        await using var process = ChildProcess.Start(program, arguments, environment, InteropDir);
        var exit = await process.WaitForExitAsync(TimeSpan.FromMinutes(3));
        await process.Exited;
        Assert.True(exit == 0, $"{program} failed:\n{process.AllOutput}");
        return string.Join('\n', process.StandardOutput);
    }
}
