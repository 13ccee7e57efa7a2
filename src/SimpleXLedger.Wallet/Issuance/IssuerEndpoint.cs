using System.Net;
using SimpleXLedger.Net.Tls;
using SimpleXLedger.Tokens;

namespace SimpleXLedger.Wallet.Issuance;

/// <summary>
/// Where the issuer is: its gRPC endpoint (Redeem, GetCard, GetDirectory) and its RFC 9578 directory URL. HTTPS uses
/// the system's trust, or exactly the pinned certificate when <see cref="TlsFingerprint"/> is set (self-signed issuers).
/// Plain HTTP only to loopback.
/// </summary>
public sealed record IssuerEndpoint
{
    public IssuerEndpoint(Uri grpc, Uri directory, byte[]? tlsFingerprint = null)
    {
        ArgumentNullException.ThrowIfNull(grpc);
        ArgumentNullException.ThrowIfNull(directory);
        Check(grpc, "the issuer's gRPC URL");
        Check(directory, "the issuer's directory URL");
        if (tlsFingerprint is not null && tlsFingerprint.Length != CertificateFingerprint.Length)
        {
            throw new WalletException(WalletError.InvalidInput, "a TLS fingerprint is a SHA-256 (32 bytes)");
        }

        Grpc = grpc;
        Directory = directory.AbsolutePath is "" or "/" ? new Uri(directory, IssuerDirectory.WellKnownPath) : directory;
        TlsFingerprint = tlsFingerprint;
    }

    public Uri Grpc { get; }

    /// <summary>The directory document's URL (the well-known path is added to a bare origin).</summary>
    public Uri Directory { get; }

    public byte[]? TlsFingerprint { get; }

    /// <summary>From option text: two URLs and an optional fingerprint (base64url or hex).</summary>
    public static IssuerEndpoint Parse(string grpc, string directory, string? fingerprint = null)
    {
        if (!Uri.TryCreate(grpc, UriKind.Absolute, out var grpcUri))
        {
            throw new WalletException(WalletError.InvalidInput, "the issuer's gRPC address is not a URL (e.g. https://issuer.example:8444)");
        }

        if (!Uri.TryCreate(directory, UriKind.Absolute, out var directoryUri))
        {
            throw new WalletException(WalletError.InvalidInput, "the issuer's directory address is not a URL (e.g. https://issuer.example)");
        }

        byte[]? pin = null;
        if (fingerprint is not null && !CertificateFingerprint.TryParse(fingerprint, out pin))
        {
            throw new WalletException(WalletError.InvalidInput, "the issuer's TLS fingerprint is not a SHA-256 (43 base64url characters or 64 hex digits)");
        }

        return new IssuerEndpoint(grpcUri, directoryUri, pin);
    }

    private static void Check(Uri uri, string what)
    {
        if (uri.Scheme == Uri.UriSchemeHttps)
        {
            return;
        }

        if (uri.Scheme != Uri.UriSchemeHttp)
        {
            throw new WalletException(WalletError.InvalidInput, $"{what} must be https (or http to loopback)");
        }

        var loopback = uri.IsLoopback || (IPAddress.TryParse(uri.Host, out var ip) && IPAddress.IsLoopback(ip));
        if (!loopback)
        {
            throw new WalletException(WalletError.InvalidInput, $"{what} uses plain http to a host that is not loopback; use https");
        }
    }

    /// <summary>
    /// An HTTP handler for this endpoint: pinned when a fingerprint is set, the system's trust otherwise; never resumes a
    /// TLS session (<see cref="ClientTls"/>), so the issuer cannot link one redemption's connection to another's.
    /// </summary>
    internal SocketsHttpHandler Handler()
    {
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(15),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
        };
        var validator = TlsFingerprint is { } pin ? new PinnedCertificateValidator(pin) : null;
        ClientTls.Apply(handler, validator is null ? null : validator.RemoteCertificateValidationCallback);
        return handler;
    }
}
