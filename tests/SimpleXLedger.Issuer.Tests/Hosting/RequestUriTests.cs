using SimpleXLedger.Issuer.Hosting;
using SimpleXLedger.Testing.Hosts;
using SimpleXLedger.Tokens;

namespace SimpleXLedger.Issuer.Tests.Hosting;

/// <summary>
/// The directory's <c>issuer-request-uri</c> comes from configuration, never from the request: a Host header is the
/// client's to choose, so a URI built from it could hand each client its own URI (a tag).
/// </summary>
public sealed class RequestUriTests(IssuerServerFixture fixture) : IClassFixture<IssuerServerFixture>
{
    [Fact]
    public async Task A_forged_host_header_does_not_change_the_request_uri()
    {
        var server = fixture.Server;
        using var http = server.Http();
        using var request = new HttpRequestMessage(HttpMethod.Get, PrivacyPassEndpoints.DirectoryPath);
        request.Headers.Host = $"tag-7f3a.attacker.example:{server.HttpUrl.Port}";
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        Assert.True(IssuerDirectory.TryParse(await response.Content.ReadAsStringAsync(), out var directory, out var error), error.ToString());
        Assert.Equal(new Uri(server.HttpUrl, PrivacyPassEndpoints.RequestPath), new Uri(directory.IssuerRequestUri));
        Assert.DoesNotContain("attacker", directory.IssuerRequestUri, StringComparison.Ordinal);
    }

    [Fact]
    public void Outside_the_devnet_the_origin_is_the_issuers_name_or_the_configured_one()
    {
        var settings = new IssuerSettings { DataDirectory = "/unused", Name = "issuer.example.org" };
        Assert.Equal("https://issuer.example.org/token-request", PrivacyPassEndpoints.RequestUri(settings, new Uri("https://10.0.0.5:8443")));
        var configured = settings with { PublicOrigin = new Uri("https://tokens.example.org:8443") };
        Assert.Equal("https://tokens.example.org:8443/token-request", PrivacyPassEndpoints.RequestUri(configured, null));
    }

    [Theory]
    [InlineData("https://issuer.example.org/path")]
    [InlineData("http://issuer.example.org")]
    [InlineData("https://issuer.example.org/?q=1")]
    public void A_public_origin_with_a_path_a_query_or_plain_http_is_refused_outside_the_devnet(string origin)
    {
        var settings = new IssuerSettings { DataDirectory = "/unused", Name = "issuer.example.org", PublicOrigin = new Uri(origin) };
        Assert.Throws<ArgumentException>(settings.Validate);
    }
}
