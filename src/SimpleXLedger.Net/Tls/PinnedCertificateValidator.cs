using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace SimpleXLedger.Net.Tls;

/// <summary>
/// Client-side pinning: the server is trusted exactly when its certificate has the fingerprint the
/// address carries, whatever CA chain it shows (services use self-signed certificates). A mismatch
/// fails the TLS handshake; <see cref="Mismatched"/> then tells the caller why, so it can say so clearly.
/// </summary>
public sealed class PinnedCertificateValidator
{
    private readonly byte[] _expected;
    private volatile bool _mismatched;

    public PinnedCertificateValidator(ReadOnlySpan<byte> expectedFingerprint)
    {
        if (expectedFingerprint.Length != CertificateFingerprint.Length)
        {
            throw new ArgumentException("a certificate fingerprint is 32 bytes (SHA-256)", nameof(expectedFingerprint));
        }

        _expected = expectedFingerprint.ToArray();
    }

    /// <summary>True once a server presented a certificate with another fingerprint.</summary>
    public bool Mismatched => _mismatched;

    public bool Validate(X509Certificate? certificate)
    {
        var ok = CertificateFingerprint.Matches(certificate, _expected);
        if (!ok)
        {
            _mismatched = true;
        }

        return ok;
    }

    /// <summary>For <see cref="SslClientAuthenticationOptions.RemoteCertificateValidationCallback"/>.</summary>
    public bool RemoteCertificateValidationCallback(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors) => Validate(certificate);

    /// <summary>TLS client options that pin this fingerprint (TLS 1.3 or 1.2 only, h2, never resuming a session: <see cref="ClientTls"/>).</summary>
    public SslClientAuthenticationOptions ClientOptions(string targetHost) => ClientTls.Options(targetHost, RemoteCertificateValidationCallback, http2: true);
}
