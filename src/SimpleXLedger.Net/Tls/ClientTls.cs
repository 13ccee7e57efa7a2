using System.Net.Security;
using System.Security.Authentication;

namespace SimpleXLedger.Net.Tls;

/// <summary>
/// The one place TLS client options are made. TLS session resumption is always off: a resumed session presents the
/// ticket (TLS 1.3 pre_shared_key) or session id the server gave an earlier connection, so the server could link a
/// wallet's "fresh" connections (a queue to its top-ups, one queue to another, a redemption to the next) even though
/// each is a new TCP connection. .NET on Linux caches client sessions per process and host name, so this must be
/// set on every connection, not left at its default.
/// </summary>
public static class ClientTls
{
    /// <param name="targetHost">The server's name (SNI); null lets an HTTP handler take it from the request URL.</param>
    /// <param name="validate">The certificate check; null uses the system's trust.</param>
    /// <param name="http2">Offer only h2 by ALPN (gRPC channels); otherwise the HTTP handler chooses.</param>
    public static SslClientAuthenticationOptions Options(string? targetHost, RemoteCertificateValidationCallback? validate, bool http2 = false)
    {
        var options = new SslClientAuthenticationOptions
        {
            EnabledSslProtocols = SslProtocols.Tls13 | SslProtocols.Tls12,
            RemoteCertificateValidationCallback = validate,
            AllowTlsResume = false,
        };
        if (targetHost is not null)
        {
            options.TargetHost = targetHost;
        }

        if (http2)
        {
            options.ApplicationProtocols = [SslApplicationProtocol.Http2];
        }

        return options;
    }

    /// <summary>Makes an HTTP handler's TLS follow <see cref="Options"/> (no resumption), keeping its certificate check.</summary>
    public static void Apply(System.Net.Http.SocketsHttpHandler handler, RemoteCertificateValidationCallback? validate = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        handler.SslOptions = Options(null, validate ?? handler.SslOptions.RemoteCertificateValidationCallback);
    }
}
