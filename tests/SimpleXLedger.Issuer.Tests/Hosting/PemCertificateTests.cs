using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SimpleXLedger.Hosting.Startup;
using SimpleXLedger.Testing;
using SimpleXLedger.Testing.Hosts;

namespace SimpleXLedger.Issuer.Tests.Hosting;

/// <summary>
/// The issuer's certificate from PEM files follows a renewal without restart: certbot's way (new files, the symlinks
/// moved), noticed by polling the contents, or at once on SIGHUP (which calls <see cref="ReloadingPemCertificate.Reload"/>).
/// </summary>
public sealed class PemCertificateTests
{
    [Fact]
    public async Task A_renewal_through_moved_symlinks_is_served_to_new_handshakes_after_the_poll()
    {
        using var dir = new TempDirectory();
        var (cert, key) = Install(dir, "a", "issuer-a.test");
        await using var server = await IssuerServer.StartAsync(configureEndpoints: e => e with { CertificatePemPath = cert, KeyPemPath = key, CertificatePollInterval = TimeSpan.FromMilliseconds(50) });
        Assert.Equal("CN=issuer-a.test", (await HandshakeAsync(server)).Subject);

        var pem = (ReloadingPemCertificate)server.Services.GetService(typeof(ReloadingPemCertificate))!;
        var reloaded = new TaskCompletionSource<X509Certificate2>(TaskCreationOptions.RunContinuationsAsynchronously);
        pem.Reloaded += (_, c) => reloaded.TrySetResult(c);
        Install(dir, "b", "issuer-b.test");
        Assert.Equal("CN=issuer-b.test", (await reloaded.Task.WaitAsync(TimeSpan.FromSeconds(30))).Subject);
        Assert.Equal("CN=issuer-b.test", (await HandshakeAsync(server)).Subject);
    }

    [Fact]
    public async Task Without_polling_the_files_are_reread_when_asked_as_on_SIGHUP_and_a_broken_file_keeps_the_old_one()
    {
        using var dir = new TempDirectory();
        var (cert, key) = Install(dir, "a", "issuer-a.test");
        await using var server = await IssuerServer.StartAsync(configureEndpoints: e => e with { CertificatePemPath = cert, KeyPemPath = key, CertificatePollInterval = TimeSpan.Zero });
        var pem = (ReloadingPemCertificate)server.Services.GetService(typeof(ReloadingPemCertificate))!;
        Assert.False(pem.Reload());

        File.Delete(Path.Combine(dir.Path, "live", "privkey.pem"));
        await File.WriteAllTextAsync(Path.Combine(dir.Path, "live", "privkey.pem"), "not a key");
        Assert.False(pem.Reload());
        Assert.Equal("CN=issuer-a.test", (await HandshakeAsync(server)).Subject);

        Install(dir, "b", "issuer-b.test");
        Assert.True(pem.Reload());
        Assert.Equal("CN=issuer-b.test", (await HandshakeAsync(server)).Subject);
    }

    /// <summary>Writes a certificate and key as certbot does: files in archive/, symlinks in live/ moved onto them.</summary>
    private static (string Cert, string Key) Install(TempDirectory dir, string version, string host)
    {
        var archive = Directory.CreateDirectory(Path.Combine(dir.Path, "archive", version)).FullName;
        var live = Directory.CreateDirectory(Path.Combine(dir.Path, "live")).FullName;
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest($"CN={host}", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(Path.Combine(archive, "fullchain.pem"), certificate.ExportCertificatePem());
        File.WriteAllText(Path.Combine(archive, "privkey.pem"), rsa.ExportPkcs8PrivateKeyPem());
        foreach (var name in new[] { "fullchain.pem", "privkey.pem" })
        {
            var link = Path.Combine(live, name);
            var temporary = link + ".new";
            File.CreateSymbolicLink(temporary, Path.Combine(archive, name));
            File.Move(temporary, link, overwrite: true);
        }

        return (Path.Combine(live, "fullchain.pem"), Path.Combine(live, "privkey.pem"));
    }

    private static async Task<X509Certificate2> HandshakeAsync(IssuerServer server)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Endpoints.Grpc);
        X509Certificate2? seen = null;
        await using var tls = new SslStream(tcp.GetStream(), false, (_, c, _, _) =>
        {
            seen = c is null ? null : new X509Certificate2(c);
            return true;
        });
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost", ApplicationProtocols = [SslApplicationProtocol.Http2] });
        return seen ?? throw new InvalidOperationException("no certificate");
    }
}
